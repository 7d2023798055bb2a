-- Knowledge base: documents, every version of them, the chunks of the current
-- approved versions, and the counts of unanswered questions per topic.
CREATE TABLE kb_documents (
    id              TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL DEFAULT 0, -- the retrieved version; 0: none
    latest_version  INTEGER NOT NULL DEFAULT 0,
    retired         BOOLEAN NOT NULL DEFAULT false,
    source          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Versions are never deleted: answers cite (doc_id, version).
CREATE TABLE kb_versions (
    doc_id         TEXT NOT NULL REFERENCES kb_documents (id),
    version        INTEGER NOT NULL CHECK (version > 0),
    state          TEXT NOT NULL CHECK (state IN ('draft', 'review', 'approved', 'retired')),
    title          TEXT NOT NULL,
    lang           TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    kind           TEXT NOT NULL CHECK (kind IN ('article', 'card')),
    audience       TEXT[] NOT NULL DEFAULT '{}',
    topics         TEXT[] NOT NULL DEFAULT '{}',
    pinned_for     TEXT[] NOT NULL DEFAULT '{}',
    translation_of TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL,
    hash           TEXT NOT NULL,
    source         TEXT NOT NULL DEFAULT '',
    author         TEXT NOT NULL,
    reviewer       TEXT NOT NULL DEFAULT '',
    reviewed_at    TIMESTAMPTZ,
    review_due     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (doc_id, version)
);

-- Chunks exist only for current approved versions, so a retired document or
-- a superseded version can never be retrieved.
--
-- embedding has no fixed dimension: each row records its embedder and dim,
-- and the store creates at start one HNSW index per dimension in use, a
-- partial expression index (see EnsureVectorIndex in internal/postgres/kb.go):
--   CREATE INDEX kb_chunks_hnsw_<dim> ON kb_chunks
--     USING hnsw ((embedding::vector(<dim>)) vector_cosine_ops)
--     WITH (m = 16, ef_construction = 64) WHERE dim = <dim>;
-- m = 16: links per node (pgvector's default; measured recall@10 is exact at
-- 1k and 10k chunks and 0.79 at 100k with ef_search 100, see BENCHMARKS.md),
-- ef_construction = 64: candidate list while building (default; build time
-- over recall beyond that is not worth it for ≤ 100k chunks).
--
-- tsv is built in Go from the segmenter's tokens as a tsvector literal with
-- positions, so no database text-search parser ever sees CJK text (the
-- 'simple' parser's idea of a word depends on the server's locale).
CREATE TABLE kb_chunks (
    id        BIGSERIAL PRIMARY KEY,
    doc_id    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    ord       INTEGER NOT NULL,
    title     TEXT NOT NULL,
    heading   TEXT NOT NULL DEFAULT '',
    text      TEXT NOT NULL,
    context   TEXT NOT NULL,
    lang      TEXT NOT NULL,
    audience  TEXT[] NOT NULL,
    kind      TEXT NOT NULL,
    topics    TEXT[] NOT NULL DEFAULT '{}',
    tokens    TEXT NOT NULL,
    tsv       TSVECTOR NOT NULL,
    embedding VECTOR,
    embedder  TEXT NOT NULL DEFAULT '',
    dim       INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (doc_id, version) REFERENCES kb_versions (doc_id, version),
    UNIQUE (doc_id, ord)
);
CREATE INDEX kb_chunks_tsv ON kb_chunks USING gin (tsv);

-- Unanswered questions: a count per day, coarse topic and language. No text,
-- no conversation, no student.
CREATE TABLE kb_gaps (
    day   DATE NOT NULL,
    topic TEXT NOT NULL,
    lang  TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, topic, lang)
);
