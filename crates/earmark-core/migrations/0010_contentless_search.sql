-- Episode show notes were stored twice: as the feed gave them (notes_raw) and as plain text
-- (notes_text) for the search index to read back. The plain text is now made from notes_raw when it
-- is needed (indexing, snippets, linking), and the index keeps no copy of what it indexes
-- (contentless, deletable by rowid). A big feed writes half the bytes it did.
DROP TRIGGER episodes_fts_ad;
DROP TABLE episode_fts;
CREATE VIRTUAL TABLE episode_fts USING fts5(
    title, notes_text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO episode_fts (rowid, title, notes_text) SELECT id, title, notes_text FROM episodes;
ALTER TABLE episodes DROP COLUMN notes_text;

-- Episodes stored but not yet in the search index. `Library::store_feed_unindexed` fills it in
-- the same transaction as the episodes and `Library::index_pending` empties it in a later one
-- (refresh indexes many feeds at once), so a crash between the two leaves a record of what to
-- index (done when the library is next opened), never a silent gap.
CREATE TABLE search_pending (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE
);
CREATE TRIGGER episodes_fts_ad AFTER DELETE ON episodes BEGIN
    DELETE FROM episode_fts WHERE rowid = old.id;
END;
