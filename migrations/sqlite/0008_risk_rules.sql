-- The district's own risk rules, one row per published version; the highest
-- version is in force. Versions are never edited or deleted: a revert
-- publishes an old source again.
CREATE TABLE risk_rules (
    version    INTEGER PRIMARY KEY CHECK (version > 0),
    source     TEXT NOT NULL,
    note       TEXT NOT NULL,
    author     TEXT NOT NULL REFERENCES staff (id),
    created_at INTEGER NOT NULL
);
