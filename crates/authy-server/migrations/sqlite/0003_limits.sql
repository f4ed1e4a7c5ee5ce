-- Every verification attempt, to bound failures per user (WIRE.md §8.5). An
-- attempt is recorded before the token is checked, so parallel guesses cannot
-- all slip under the limit; a success marks its own row, never resets others.
CREATE TABLE verify_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    succeeded BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX verify_attempts_by_user ON verify_attempts (user_id, at);

-- Sends per phone and per application are counted from the outbox.
CREATE INDEX messages_by_phone ON messages (app_id, country_code, phone, created_at);
CREATE INDEX messages_by_time ON messages (app_id, created_at);
