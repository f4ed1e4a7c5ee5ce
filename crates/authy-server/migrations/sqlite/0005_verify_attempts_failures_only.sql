-- verify_attempts holds failed attempts only: an accepted verification is one
-- transaction that records nothing, so `succeeded` was always 0. Nothing reads
-- the rows' ids either, so AUTOINCREMENT only cost an update of
-- sqlite_sequence on every failed attempt. The table is rebuilt without both;
-- the attempts in it are kept.
CREATE TABLE verify_attempts_new (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at BIGINT NOT NULL
);
INSERT INTO verify_attempts_new (id, app_id, user_id, at)
    SELECT id, app_id, user_id, at FROM verify_attempts WHERE succeeded = 0;
DROP TABLE verify_attempts;
ALTER TABLE verify_attempts_new RENAME TO verify_attempts;
CREATE INDEX verify_attempts_by_user ON verify_attempts (user_id, at);
CREATE INDEX verify_attempts_by_app_time ON verify_attempts (app_id, at);
