-- Knowledge base: documents, every version of them, the chunks of the current
-- approved versions, and the counts of unanswered questions per topic.
-- Times are INTEGER milliseconds since the Unix epoch, UTC (0: none).
CREATE TABLE kb_documents (
    id              TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL DEFAULT 0, -- the retrieved version; 0: none
    latest_version  INTEGER NOT NULL DEFAULT 0,
    retired         INTEGER NOT NULL DEFAULT 0,
    source          TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Versions are never deleted: answers cite (doc_id, version).
-- audience, topics and pinned_for are JSON arrays of strings.
CREATE TABLE kb_versions (
    doc_id         TEXT NOT NULL REFERENCES kb_documents (id),
    version        INTEGER NOT NULL CHECK (version > 0),
    state          TEXT NOT NULL CHECK (state IN ('draft', 'review', 'approved', 'retired')),
    title          TEXT NOT NULL,
    lang           TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    kind           TEXT NOT NULL CHECK (kind IN ('article', 'card')),
    audience       TEXT NOT NULL DEFAULT '[]',
    topics         TEXT NOT NULL DEFAULT '[]',
    pinned_for     TEXT NOT NULL DEFAULT '[]',
    translation_of TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL,
    hash           TEXT NOT NULL,
    source         TEXT NOT NULL DEFAULT '',
    author         TEXT NOT NULL,
    reviewer       TEXT NOT NULL DEFAULT '',
    reviewed_at    INTEGER NOT NULL DEFAULT 0,
    review_due     INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (doc_id, version)
);

-- Chunks exist only for current approved versions, so a retired document or
-- a superseded version can never be retrieved. audience is ",primary,junior,"
-- so a band filters with instr(); tokens are the kb segmenter's tokens joined
-- by spaces; embedding is little-endian float32, searched in process.
CREATE TABLE kb_chunks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    ord       INTEGER NOT NULL,
    title     TEXT NOT NULL,
    heading   TEXT NOT NULL DEFAULT '',
    text      TEXT NOT NULL,
    context   TEXT NOT NULL,
    lang      TEXT NOT NULL,
    audience  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    topics    TEXT NOT NULL DEFAULT '[]',
    tokens    TEXT NOT NULL,
    embedding BLOB,
    embedder  TEXT NOT NULL DEFAULT '',
    dim       INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (doc_id, version) REFERENCES kb_versions (doc_id, version),
    UNIQUE (doc_id, ord)
);

-- Keyword index over the segmenter's tokens (CJK bigrams are already
-- space-separated words to unicode61, so no CJK-aware tokenizer is needed).
CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
    tokens, content = 'kb_chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0'
);

-- kb_meta.gen changes with every change of kb_chunks: the in-process vector
-- cache reloads when it differs, whichever process wrote.
CREATE TABLE kb_meta (gen INTEGER NOT NULL);
INSERT INTO kb_meta (gen) VALUES (0);

CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (rowid, tokens) VALUES (new.id, new.tokens);
    UPDATE kb_meta SET gen = gen + 1;
END;
CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
    UPDATE kb_meta SET gen = gen + 1;
END;
CREATE TRIGGER kb_chunks_ae AFTER UPDATE OF embedding, lang, audience, kind ON kb_chunks BEGIN
    UPDATE kb_meta SET gen = gen + 1;
END;
CREATE TRIGGER kb_chunks_au AFTER UPDATE OF tokens ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
    INSERT INTO kb_chunks_fts (rowid, tokens) VALUES (new.id, new.tokens);
END;

-- Unanswered questions: a count per day, coarse topic and language. No text,
-- no conversation, no student.
CREATE TABLE kb_gaps (
    day   TEXT NOT NULL,
    topic TEXT NOT NULL,
    lang  TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, topic, lang)
);
