-- Two-person retirement of cards (the pinned replies shown in a crisis or at
-- medium risk): the first curator's request is recorded here, with the
-- version it was made against; another curator's confirmation of that same
-- version retires the card.
ALTER TABLE kb_documents
    ADD COLUMN retire_requested_by TEXT NOT NULL DEFAULT '',
    ADD COLUMN retire_requested_version INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN retire_requested_at TIMESTAMPTZ;
