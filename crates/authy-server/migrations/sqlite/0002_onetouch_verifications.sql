-- OneTouch approval requests (WIRE.md §3.16, §3.17).
CREATE TABLE approval_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    object_id TEXT NOT NULL,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    details TEXT,
    hidden_details TEXT,
    logos TEXT,
    seconds_to_expire BIGINT NOT NULL,
    status TEXT NOT NULL,
    notified BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX approval_requests_by_app ON approval_requests (app_id, id);

-- Signed OneTouch callbacks, queued here so none is lost across a restart (WIRE.md §9).
CREATE TABLE callbacks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    request_uuid TEXT NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    nonce TEXT,
    signature TEXT,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX callbacks_due ON callbacks (status, next_attempt_at);

ALTER TABLE apps ADD COLUMN onetouch_callback_method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE apps ADD COLUMN custom_codes_enabled BIGINT NOT NULL DEFAULT 0;

-- Phone verifications (WIRE.md §3.14, §3.15, §8.4).
CREATE TABLE verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    country_code BIGINT NOT NULL,
    phone TEXT NOT NULL,
    code TEXT NOT NULL,
    status TEXT NOT NULL,
    failed_checks BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    verified_at BIGINT
);
CREATE INDEX verifications_by_phone ON verifications (app_id, country_code, phone, id);
