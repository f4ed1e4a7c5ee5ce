-- Failed attempts are counted from the writer's memory (a TEMP table loaded
-- from this one when the server starts; see `db/attempts.rs`), so the index
-- by user goes: it put every failure on a random page of its own. Without it,
-- a foreign key to `users` would scan the table on every user deleted, so that
-- goes too. User ids are never reused: a deleted user's failures count for
-- nobody, and leave with the pruning. The index by application and time stays
-- for the pruning, and it only ever grows at its end.
CREATE TABLE verify_attempts_new (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    at BIGINT NOT NULL
);
INSERT INTO verify_attempts_new (id, app_id, user_id, at)
    SELECT id, app_id, user_id, at FROM verify_attempts;
DROP TABLE verify_attempts;
ALTER TABLE verify_attempts_new RENAME TO verify_attempts;
CREATE INDEX verify_attempts_by_app_time ON verify_attempts (app_id, at);
