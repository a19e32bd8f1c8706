-- Issue 16: whether a document is an event notice (filed under events, or titled "Event: …",
-- "Save the Date", "Join Us at …", "Tickets …") is a fact about the document, like its podcast
-- category, so it is worked out once when the document is indexed rather than each time the
-- linker reads it.
ALTER TABLE link_doc_facts ADD COLUMN event_notice INTEGER NOT NULL DEFAULT 0;

-- Every document is indexed again once, to fill the new fact and to add the titles of the players
-- it embeds to the link index (`link_doc_refs` rows `player-title:…`).
INSERT OR IGNORE INTO link_dirty_documents (document_id) SELECT id FROM documents;
