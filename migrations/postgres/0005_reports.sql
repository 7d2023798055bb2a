-- Indexes for the reports: every aggregate reads a period of days, so the
-- rows it counts are found by time instead of by scanning whole tables.
-- Student messages by day and risk level (the other roles are never counted).
CREATE INDEX messages_student_created ON messages (created_at) WHERE role = 'student';
-- Conversations started per day.
CREATE INDEX conversations_created ON conversations (created_at);
-- Handoffs opened in the period.
CREATE INDEX handoffs_opened ON handoffs (opened_at);
-- Ladder steps fired in the period (unfired timers are deleted or still due).
CREATE INDEX handoff_timers_fired ON handoff_timers (fired_at) WHERE fired_at IS NOT NULL;
