-- Core schema: terminals, conversations, sessions, messages, staff, audit.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.
CREATE TABLE terminals (
    code       TEXT PRIMARY KEY,
    school     TEXT NOT NULL DEFAULT '',
    place      TEXT NOT NULL DEFAULT '',
    band       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    terminal   TEXT REFERENCES terminals (code),
    lang       TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    band       TEXT NOT NULL DEFAULT '',
    mode       TEXT NOT NULL DEFAULT 'ai' CHECK (mode IN ('ai', 'handoff', 'ended')),
    risk_level TEXT NOT NULL DEFAULT 'none',
    risk_state TEXT,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE student_sessions (
    token_hash      TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX student_sessions_expires ON student_sessions (expires_at);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    client_id       TEXT,
    role            TEXT NOT NULL CHECK (role IN ('student', 'assistant', 'counselor', 'system')),
    author          TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    risk            TEXT,
    sources         TEXT,
    ai_generated    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'counselor', 'curator')),
    school        TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    on_duty       INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_target ON audit_events (target, id DESC);
