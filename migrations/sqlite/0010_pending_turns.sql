-- The turn an acknowledged student message still owes: its answer, or its
-- escalation to a human. The row is written in the transaction that stores
-- the message and deleted when the turn is done; a node that dies after the
-- ack leaves it, and any node takes it once its lease has ended.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.
CREATE TABLE pending_turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    client_id       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    level           TEXT NOT NULL,
    categories      TEXT NOT NULL DEFAULT '[]',
    rules           TEXT NOT NULL DEFAULT '[]',
    attempts        INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX pending_turns_lease ON pending_turns (lease_until);
