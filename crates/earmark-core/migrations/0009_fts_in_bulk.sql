-- New and changed episodes reach the search index from the library code (since migration 10,
-- `Library::index_pending`), instead of through row triggers. A trigger on INSERT or UPDATE makes each
-- statement open a savepoint, and FTS5 writes its pending index to disk at every savepoint: a
-- 5,000-item feed wrote 5,000 one-row segments and spent most of its ingest merging them.
-- Deleting an episode still updates the index through its trigger (deletes are rare and single).
DROP TRIGGER episodes_fts_ai;
DROP TRIGGER episodes_fts_au;
