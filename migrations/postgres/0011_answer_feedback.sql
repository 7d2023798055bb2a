-- Students' feedback on assistant answers (issue 11): 不对 / 让我难受 / 有帮助.
-- One row per answer, kind and cited document version (doc_id '' and
-- version 0 for an answer that cited nothing), copied from the answer when
-- the feedback is given, so curators count feedback per version without
-- reading messages. No text is kept. Rows go with their conversation.
CREATE TABLE answer_feedback (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('wrong', 'upsetting', 'helpful')),
    doc_id          TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0,
    title           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, seq, kind, doc_id, version)
);
CREATE INDEX answer_feedback_created ON answer_feedback (created_at);
