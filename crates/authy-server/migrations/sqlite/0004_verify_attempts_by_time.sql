-- Pruning forgets each application's attempts older than its window: a range
-- of this index, instead of a scan of every attempt in the writer.
CREATE INDEX verify_attempts_by_app_time ON verify_attempts (app_id, at);
