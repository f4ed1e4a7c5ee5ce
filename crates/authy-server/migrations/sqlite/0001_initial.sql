-- Times are Unix seconds; flags are 0/1 integers (portable across backends).
-- Secrets (API keys, TOTP seeds, codes, message texts) are stored encrypted
-- (`v1:` + XChaCha20-Poly1305), API keys also as a SHA-256 hash for lookup.

CREATE TABLE apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id TEXT NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_enc TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT 'sandbox',
    sms_enabled BIGINT NOT NULL DEFAULT 1,
    phone_calls_enabled BIGINT NOT NULL DEFAULT 1,
    onetouch_enabled BIGINT NOT NULL DEFAULT 1,
    generic_tokens_enabled BIGINT NOT NULL DEFAULT 1,
    legacy_unforced_verify BIGINT NOT NULL DEFAULT 0,
    reject_get_body BIGINT NOT NULL DEFAULT 0,
    token_length BIGINT NOT NULL DEFAULT 7,
    onetouch_callback_url TEXT,
    clock_offset BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Ids are never reused (AUTOINCREMENT): a removed user's id stays dead.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    object_id TEXT NOT NULL,
    country_code BIGINT NOT NULL,
    cellphone TEXT NOT NULL,
    email TEXT NOT NULL,
    other_emails TEXT NOT NULL DEFAULT '[]',
    confirmed BIGINT NOT NULL DEFAULT 0,
    generic_seed TEXT,
    generic_last_step BIGINT,
    device_id BIGINT,
    device_os TEXT,
    device_seed TEXT,
    device_last_step BIGINT,
    device_registered_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, country_code, cellphone)
);

-- SMS and voice codes (WIRE.md §8.3).
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX tokens_by_user ON tokens (user_id, expires_at);

-- Everything "sent": the sandbox inbox (SANDBOX.md §3).
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    authy_id BIGINT,
    country_code BIGINT NOT NULL,
    phone TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT,
    text TEXT NOT NULL,
    locale TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_by_app ON messages (app_id, seq);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    user_ip TEXT,
    created_at BIGINT NOT NULL
);

-- Monthly counters for app/stats (WIRE.md §3.12).
CREATE TABLE counters (
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    month BIGINT NOT NULL,
    sms_count BIGINT NOT NULL DEFAULT 0,
    calls_count BIGINT NOT NULL DEFAULT 0,
    users_count BIGINT NOT NULL DEFAULT 0,
    auths_count BIGINT NOT NULL DEFAULT 0,
    api_calls_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, year, month)
);
