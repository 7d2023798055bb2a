-- Indexes for the retention purge (xinqiao purge, and the daily loop).
-- Conversations last active before the cut-off, oldest first.
CREATE INDEX conversations_updated ON conversations (updated_at);
-- The sessions of a conversation, deleted with it (and by the cascade).
CREATE INDEX student_sessions_conversation ON student_sessions (conversation_id);
-- Expired staff sessions.
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
