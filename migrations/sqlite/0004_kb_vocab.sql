-- Document frequencies of the keyword index's tokens: keyword search looks
-- up its query tokens here and scores only the rarer ones, so its work stays
-- bounded as the corpus grows (see SearchKeyword in internal/sqlite/kb.go).
-- fts5vocab reads the FTS5 index itself: nothing is stored or maintained.
CREATE VIRTUAL TABLE kb_chunks_vocab USING fts5vocab(kb_chunks_fts, row);
