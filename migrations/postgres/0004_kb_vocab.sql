-- Kept in step with migrations/sqlite/0004_kb_vocab.sql (the engines share
-- version numbers), which adds an fts5vocab table over SQLite's keyword
-- index so keyword search can skip common tokens. PostgreSQL needs no
-- schema change for it.
SELECT 1;
