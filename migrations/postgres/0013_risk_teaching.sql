-- The district teaches the risk classifier: counselors label students'
-- messages (risk_labels), and supervisors publish models retrained with
-- those labels (risk_models).

-- One label a message, set with one click in the console or by default when
-- a handoff closes (source 'outcome'; never over a counselor's own label).
-- A label goes with its message when retention purges the conversation.
CREATE TABLE risk_labels (
    message_id      BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    label           TEXT NOT NULL CHECK (label IN ('risk', 'none', 'unsure')),
    source          TEXT NOT NULL CHECK (source IN ('counselor', 'outcome')),
    staff_id        TEXT NOT NULL REFERENCES staff (id),
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq)
);

-- The district's own learned model, one row per published version; the
-- highest version is in force. Empty weights put the built-in model back.
-- Versions are never edited or deleted.
CREATE TABLE risk_models (
    version    INTEGER PRIMARY KEY CHECK (version > 0),
    weights    BYTEA NOT NULL,
    sha256     TEXT NOT NULL,
    note       TEXT NOT NULL,
    author     TEXT NOT NULL REFERENCES staff (id),
    created_at TIMESTAMPTZ NOT NULL
);
