-- A count of changes to what a shared archive carries (issue 15). Every write that can change a
-- shared item (a subscription, bookmark, link decision, tag, blog, page added by URL, collection
-- or its members) adds one, whichever connection makes it. A sync that compared the library with
-- what both sides last agreed stores the count it started from in `share.checked`; while the two
-- are equal nothing shared changed here, and a sync with nothing new skips reading every item.
-- Writes that cannot change a shared item (a refresh's new episodes, posts of a blog, suggested
-- links) are filtered out, so they cost nothing.
CREATE TABLE share_dirt (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO share_dirt (id, n) VALUES (1, 0);
ALTER TABLE share ADD COLUMN checked INTEGER;

CREATE TRIGGER share_dirt_podcasts_ins AFTER INSERT ON podcasts
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_podcasts_upd AFTER UPDATE ON podcasts
WHEN OLD.feed_url IS NOT NEW.feed_url OR OLD.subscribed IS NOT NEW.subscribed
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_podcasts_del AFTER DELETE ON podcasts
BEGIN UPDATE share_dirt SET n = n + 1; END;

CREATE TRIGGER share_dirt_episodes_upd AFTER UPDATE ON episodes
WHEN OLD.guid IS NOT NEW.guid OR OLD.podcast_id IS NOT NEW.podcast_id
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_episodes_del AFTER DELETE ON episodes
BEGIN UPDATE share_dirt SET n = n + 1; END;

CREATE TRIGGER share_dirt_documents_ins AFTER INSERT ON documents
WHEN NEW.source_id IS NULL
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_documents_upd AFTER UPDATE ON documents
WHEN OLD.url IS NOT NEW.url OR OLD.source_id IS NOT NEW.source_id OR OLD.kind IS NOT NEW.kind
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_documents_del AFTER DELETE ON documents
BEGIN UPDATE share_dirt SET n = n + 1; END;

CREATE TRIGGER share_dirt_links_ins AFTER INSERT ON links
WHEN NEW.decided = 1
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_links_upd AFTER UPDATE ON links
WHEN OLD.decided = 1 OR NEW.decided = 1
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_links_del AFTER DELETE ON links
WHEN OLD.decided = 1
BEGIN UPDATE share_dirt SET n = n + 1; END;

CREATE TRIGGER share_dirt_tags_upd AFTER UPDATE ON tags
BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_tags_del AFTER DELETE ON tags
BEGIN UPDATE share_dirt SET n = n + 1; END;

-- Every write to these tables can change a shared item.
CREATE TRIGGER share_dirt_bookmarks_ins AFTER INSERT ON bookmarks BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_bookmarks_upd AFTER UPDATE ON bookmarks BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_bookmarks_del AFTER DELETE ON bookmarks BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_bookmark_tags_ins AFTER INSERT ON bookmark_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_bookmark_tags_upd AFTER UPDATE ON bookmark_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_bookmark_tags_del AFTER DELETE ON bookmark_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_episode_tags_ins AFTER INSERT ON episode_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_episode_tags_upd AFTER UPDATE ON episode_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_episode_tags_del AFTER DELETE ON episode_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_document_tags_ins AFTER INSERT ON document_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_document_tags_upd AFTER UPDATE ON document_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_document_tags_del AFTER DELETE ON document_tags BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_sources_ins AFTER INSERT ON sources BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_sources_upd AFTER UPDATE ON sources BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_sources_del AFTER DELETE ON sources BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collections_ins AFTER INSERT ON collections BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collections_upd AFTER UPDATE ON collections BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collections_del AFTER DELETE ON collections BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_documents_ins AFTER INSERT ON collection_documents BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_documents_upd AFTER UPDATE ON collection_documents BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_documents_del AFTER DELETE ON collection_documents BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_episodes_ins AFTER INSERT ON collection_episodes BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_episodes_upd AFTER UPDATE ON collection_episodes BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_collection_episodes_del AFTER DELETE ON collection_episodes BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_members_waiting_ins AFTER INSERT ON share_members_waiting BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_members_waiting_upd AFTER UPDATE ON share_members_waiting BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_members_waiting_del AFTER DELETE ON share_members_waiting BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_pages_to_fetch_ins AFTER INSERT ON pages_to_fetch BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_pages_to_fetch_upd AFTER UPDATE ON pages_to_fetch BEGIN UPDATE share_dirt SET n = n + 1; END;
CREATE TRIGGER share_dirt_pages_to_fetch_del AFTER DELETE ON pages_to_fetch BEGIN UPDATE share_dirt SET n = n + 1; END;
