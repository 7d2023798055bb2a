-- Core schema: terminals, conversations, sessions, messages, staff, audit.
-- pgvector is created here, before any pool registers its types. It needs the
-- extension installed on the server (Debian: build the pgvector source package;
-- Docker: the pgvector/pgvector image).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE terminals (
    code       TEXT PRIMARY KEY,
    school     TEXT NOT NULL DEFAULT '',
    place      TEXT NOT NULL DEFAULT '',
    band       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    terminal   TEXT REFERENCES terminals (code),
    lang       TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    band       TEXT NOT NULL DEFAULT '',
    mode       TEXT NOT NULL DEFAULT 'ai' CHECK (mode IN ('ai', 'handoff', 'ended')),
    risk_level TEXT NOT NULL DEFAULT 'none',
    risk_state JSONB,
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE student_sessions (
    token_hash      TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX student_sessions_expires ON student_sessions (expires_at);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    client_id       TEXT,
    role            TEXT NOT NULL CHECK (role IN ('student', 'assistant', 'counselor', 'system')),
    author          TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    risk            JSONB,
    sources         JSONB,
    ai_generated    BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL,
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
    on_duty       BOOLEAN NOT NULL DEFAULT false,
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_events (
    id     BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_target ON audit_events (target, id DESC);
