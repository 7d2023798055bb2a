-- Handoffs to counselors, their escalation timers, alert attempts, staff
-- presence and case records (一人一案).
-- Times are INTEGER milliseconds since the Unix epoch, UTC; lists are JSON text.

CREATE TABLE cases (
    id         TEXT PRIMARY KEY,
    subject    TEXT NOT NULL UNIQUE, -- "terminal:CODE", "conversation:ID" or a pseudonym
    school     TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    risk_level TEXT NOT NULL DEFAULT 'none',
    risk_rank  INTEGER NOT NULL DEFAULT 0,
    opened_at  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cases_list ON cases (risk_rank DESC, updated_at DESC);

CREATE TABLE handoffs (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    case_id         TEXT REFERENCES cases (id) ON DELETE SET NULL,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'closed')),
    level           TEXT NOT NULL,
    level_rank      INTEGER NOT NULL,
    categories      TEXT NOT NULL DEFAULT '[]',
    reason          TEXT NOT NULL DEFAULT '[]', -- rule ids, never message text
    message_seq     INTEGER NOT NULL DEFAULT 0,
    counselor       TEXT REFERENCES staff (id),
    opened_at       INTEGER NOT NULL,
    queued_at       INTEGER NOT NULL, -- opened, or last returned to the queue
    claimed_at      INTEGER,
    closed_at       INTEGER,
    closed_by       TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    escalated       INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
-- At most one open handoff per conversation, whatever node opens it.
CREATE UNIQUE INDEX handoffs_one_open ON handoffs (conversation_id) WHERE state <> 'closed';
CREATE INDEX handoffs_queue ON handoffs (state, level_rank DESC, opened_at);
CREATE INDEX handoffs_case ON handoffs (case_id);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id, opened_at DESC);

CREATE TABLE handoff_timers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    handoff_id TEXT NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('ladder', 'grace')),
    step       INTEGER NOT NULL DEFAULT 0,
    action     TEXT NOT NULL DEFAULT '',
    staff_id   TEXT NOT NULL DEFAULT '',
    due_at     INTEGER NOT NULL,
    fired_at   INTEGER
);
-- The due scan touches unfired rows only.
CREATE INDEX handoff_timers_due ON handoff_timers (due_at) WHERE fired_at IS NULL;
CREATE INDEX handoff_timers_handoff ON handoff_timers (handoff_id);

CREATE TABLE alert_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    handoff_id TEXT NOT NULL DEFAULT '',
    event      TEXT NOT NULL,
    audience   TEXT NOT NULL DEFAULT '',
    target     TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
);
CREATE INDEX alert_attempts_handoff ON alert_attempts (handoff_id, id);

CREATE TABLE staff_presence (
    staff_id TEXT PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    seen_at  INTEGER NOT NULL
);

CREATE TABLE case_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    handoff_id TEXT NOT NULL DEFAULT '',
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

CREATE TABLE referrals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    handoff_id TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    by_staff   TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id, id);

CREATE TABLE follow_ups (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    task       TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    assignee   TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    done_at    INTEGER,
    done_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX follow_ups_case ON follow_ups (case_id, due_at);
CREATE INDEX follow_ups_open ON follow_ups (due_at) WHERE done_at IS NULL;
