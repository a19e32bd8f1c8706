-- Issue 16: links that hold on a real archive.
--
-- Each automatic link names the kinds of evidence behind it (codes such as "links_audio",
-- "embeds_player", "title_prominent", "podcast_category"), so shells can show and count them.
ALTER TABLE links ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';

-- What the linker knows about a document beyond its words: whether the blog files it under a
-- podcast category or tag, and whether it embeds or links one episode on a podcast host.
CREATE TABLE link_doc_facts (
    document_id      INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    podcast_category INTEGER NOT NULL DEFAULT 0,
    host_player      INTEGER NOT NULL DEFAULT 0
);

-- Categories and tags now count, so a change to them makes a document dirty too.
DROP TRIGGER documents_link_dirty_au;
CREATE TRIGGER documents_link_dirty_au
AFTER UPDATE OF url, title, html_raw, text, published_ts, categories, tags ON documents BEGIN
    INSERT OR IGNORE INTO link_dirty_documents (document_id) VALUES (new.id);
END;

-- Every document is read again once: the URL index gains the podcast hosts' episode keys.
INSERT OR IGNORE INTO link_dirty_documents (document_id) SELECT id FROM documents;
