-- The turn an acknowledged student message still owes: its answer, or its
-- escalation to a human. The row is written in the transaction that stores
-- the message and deleted when the turn is done; a node that dies after the
-- ack leaves it, and any node takes it once its lease has ended (FOR UPDATE
-- SKIP LOCKED, so each turn goes to one node).
CREATE TABLE pending_turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    client_id       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    level           TEXT NOT NULL,
    categories      JSONB NOT NULL DEFAULT '[]',
    rules           JSONB NOT NULL DEFAULT '[]',
    attempts        INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX pending_turns_lease ON pending_turns (lease_until);
