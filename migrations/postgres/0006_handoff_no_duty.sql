-- Whether nobody was on duty when a handoff opened: set by the handoff
-- service, read by the reports.
ALTER TABLE handoffs ADD COLUMN opened_no_duty BOOLEAN NOT NULL DEFAULT false;
