-- Blog posts and web pages ("documents"), where they came from, the collections and tags staff
-- organise them with, and the links that join each episode to the documents about it.

-- A named collection of documents and episodes. A campaign ("In Dad's Shoes") is one kind; a
-- topic is another. The app shows each campaign as its own view.
CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind        TEXT NOT NULL DEFAULT 'campaign' CHECK (kind IN ('campaign', 'topic')),
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

-- A blog (a WordPress site, given by its home URL) whose whole archive is kept.
CREATE TABLE sources (
    id             INTEGER PRIMARY KEY,
    home_url       TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL DEFAULT '',
    method         TEXT CHECK (method IN ('rest', 'rss')),  -- how the archive was read last time
    collection_id  INTEGER REFERENCES collections(id) ON DELETE SET NULL,
    archive        INTEGER NOT NULL DEFAULT 0,               -- cache images for offline reading
    last_refresh   TEXT,                                     -- RFC 3339, last successful fetch
    high_water     TEXT,                                     -- newest modified date seen, for incremental fetches
    last_error     TEXT,
    added_at       TEXT NOT NULL
);

-- A post or a page. Raw HTML is kept as fetched; clean HTML (ammonia) is what the webview shows;
-- text is for search and linking.
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER REFERENCES sources(id) ON DELETE CASCADE,  -- NULL for pages added by URL
    kind         TEXT NOT NULL CHECK (kind IN ('post', 'page')),
    url          TEXT NOT NULL UNIQUE,
    remote_id    TEXT,                  -- the site's own id (WordPress post id), when known
    title        TEXT NOT NULL,
    published    TEXT,                  -- RFC 3339 or NULL
    published_ts INTEGER,               -- unix seconds, for ordering and date proximity
    modified     TEXT,
    author       TEXT,
    categories   TEXT NOT NULL DEFAULT '[]',  -- JSON array of names
    tags         TEXT NOT NULL DEFAULT '[]',  -- JSON array of names (the site's own tags)
    html_raw     TEXT NOT NULL DEFAULT '',
    html_clean   TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL DEFAULT '',
    content_hash INTEGER NOT NULL DEFAULT 0,
    fetched_at   TEXT NOT NULL,
    last_error   TEXT
);
CREATE INDEX documents_by_date ON documents (published_ts DESC);
CREATE INDEX documents_by_source ON documents (source_id);

CREATE TABLE collection_documents (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, document_id)
);
CREATE TABLE collection_episodes (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    episode_id    INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, episode_id)
);

-- Staff's own tags, shared by episodes, documents and bookmarks.
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE episode_tags (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (episode_id, tag_id)
);
CREATE TABLE document_tags (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, tag_id)
);

-- One row per (episode, document) pair that has ever been linked or suggested.
-- kind: explicit (hard evidence), suggested (similarity), manual (a person made it).
-- state: suggested, accepted, rejected. decided = 1 once a person set the state: relinking
-- never changes such a row, and a rejected pair never comes back as a suggestion.
CREATE TABLE links (
    episode_id  INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('explicit', 'suggested', 'manual')),
    state       TEXT NOT NULL CHECK (state IN ('suggested', 'accepted', 'rejected')),
    score       REAL NOT NULL DEFAULT 0,
    reasons     TEXT NOT NULL DEFAULT '[]',  -- JSON array of sentences a person can read
    note        TEXT,
    decided     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (episode_id, document_id)
);
CREATE INDEX links_by_document ON links (document_id);
CREATE INDEX links_pending ON links (state, score DESC);

-- The linker's own index of what each document points at (normalised URLs, see link::urls), so
-- relinking one episode finds the posts that link to it without reading every post again.
-- how: self (the document's own address), link (an <a href>), embed (audio, player, iframe).
CREATE TABLE link_doc_refs (
    url         TEXT NOT NULL,
    how         TEXT NOT NULL CHECK (how IN ('self', 'link', 'embed')),
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    PRIMARY KEY (url, how, document_id)
) WITHOUT ROWID;
CREATE INDEX link_doc_refs_by_document ON link_doc_refs (document_id);
-- The length of each document's TF-IDF vector as the last relink computed it, so relinking one
-- episode scores a candidate without looking up the document frequency of every word in it.
CREATE TABLE link_doc_norms (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    norm        REAL NOT NULL
);
-- Documents added or changed since the linker last read them, noted by triggers so no ingest
-- path can forget to tell the linker.
CREATE TABLE link_dirty_documents (document_id INTEGER PRIMARY KEY);
CREATE TRIGGER documents_link_dirty_ai AFTER INSERT ON documents BEGIN
    INSERT OR IGNORE INTO link_dirty_documents (document_id) VALUES (new.id);
END;
CREATE TRIGGER documents_link_dirty_au AFTER UPDATE OF url, title, html_raw, text, published_ts ON documents BEGIN
    INSERT OR IGNORE INTO link_dirty_documents (document_id) VALUES (new.id);
END;
CREATE TRIGGER documents_link_dirty_ad AFTER DELETE ON documents BEGIN
    DELETE FROM link_dirty_documents WHERE document_id = old.id;
END;
-- Each episode as the linker last saw it (its feed content hash): relinking "new" episodes
-- looks only at those missing here or changed since.
CREATE TABLE link_episodes_seen (
    episode_id   INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    content_hash INTEGER NOT NULL
);

CREATE VIRTUAL TABLE document_fts USING fts5(
    title, text, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_ai AFTER INSERT ON documents BEGIN
    INSERT INTO document_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER documents_fts_ad AFTER DELETE ON documents BEGIN
    INSERT INTO document_fts (document_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER documents_fts_au AFTER UPDATE OF title, text ON documents BEGIN
    INSERT INTO document_fts (document_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO document_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
