-- Accepted TOTP steps move out of `users` into an append-only log.
--
-- Accepting a code used to update the user's row, so every verification wrote
-- a 4 KB page of `users` wherever that user lived (twice: to the WAL and at the
-- checkpoint). A row appended here lands on the same few pages as its batch.
-- The writer keeps the newest step of each user and seed in memory (a TEMP
-- table, loaded from this log when the server starts) and decides replays from
-- it; see `db/steps.rs`. No index and no foreign key: user ids are never
-- reused, and rows are pruned from the front once no TOTP window can reach them.
--
-- `step` NULL marks a replaced seed: the steps before it no longer count.
-- `at` is the application's clock when the row was written.
CREATE TABLE used_steps (
    app_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    seed TEXT NOT NULL CHECK (seed IN ('generic', 'device')),
    step BIGINT,
    at BIGINT NOT NULL
);
-- Steps accepted before this migration keep counting. Their time is now, so
-- they are kept for the whole memory period.
INSERT INTO used_steps (app_id, user_id, seed, step, at)
    SELECT users.app_id, users.id, 'generic', generic_last_step, CAST(strftime('%s', 'now') AS INTEGER) + apps.clock_offset
    FROM users JOIN apps ON apps.id = users.app_id WHERE generic_last_step IS NOT NULL;
INSERT INTO used_steps (app_id, user_id, seed, step, at)
    SELECT users.app_id, users.id, 'device', device_last_step, CAST(strftime('%s', 'now') AS INTEGER) + apps.clock_offset
    FROM users JOIN apps ON apps.id = users.app_id WHERE device_last_step IS NOT NULL;
ALTER TABLE users DROP COLUMN generic_last_step;
ALTER TABLE users DROP COLUMN device_last_step;
