-- Why a conversation is in the queue (issue 11): urgent (high or imminent
-- risk), requested (the student asked for a teacher) or review (medium risk
-- in a risk category, read without interrupting the student). kind_rank
-- orders the queue: urgent 2, requested 1, review 0. Every earlier handoff
-- opened at high or above, so it is urgent.
ALTER TABLE handoffs ADD COLUMN kind TEXT NOT NULL DEFAULT 'urgent' CHECK (kind IN ('urgent', 'requested', 'review'));
ALTER TABLE handoffs ADD COLUMN kind_rank INTEGER NOT NULL DEFAULT 2;
DROP INDEX handoffs_queue;
CREATE INDEX handoffs_queue ON handoffs (state, kind_rank DESC, level_rank DESC, opened_at);
