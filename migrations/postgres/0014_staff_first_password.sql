-- An account whose password someone else knows (printed at the first start,
-- or set by an admin and shown once) must change it before anything else
-- works: the server refuses every other staff request until it does.
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
