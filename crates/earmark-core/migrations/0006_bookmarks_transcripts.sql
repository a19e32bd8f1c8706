-- Segment bookmarks and episode transcripts, both kept offline and searchable.

-- A point (end_secs NULL) or a segment of an episode. uid is stable across export and import, so
-- importing the same file twice creates nothing new.
CREATE TABLE bookmarks (
    id         INTEGER PRIMARY KEY,
    uid        TEXT NOT NULL UNIQUE,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    start_secs REAL NOT NULL CHECK (start_secs >= 0),
    end_secs   REAL CHECK (end_secs IS NULL OR end_secs > start_secs),
    title      TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created    TEXT NOT NULL,
    updated    TEXT NOT NULL
);
CREATE INDEX bookmarks_by_episode ON bookmarks (episode_id, start_secs);
CREATE INDEX bookmarks_by_created ON bookmarks (created DESC);
CREATE TABLE bookmark_tags (
    bookmark_id INTEGER NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (bookmark_id, tag_id)
);
CREATE INDEX bookmark_tags_by_tag ON bookmark_tags (tag_id);

CREATE VIRTUAL TABLE bookmark_fts USING fts5(
    title, note, content='bookmarks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER bookmarks_fts_ai AFTER INSERT ON bookmarks BEGIN
    INSERT INTO bookmark_fts (rowid, title, note) VALUES (new.id, new.title, new.note);
END;
CREATE TRIGGER bookmarks_fts_ad AFTER DELETE ON bookmarks BEGIN
    INSERT INTO bookmark_fts (bookmark_fts, rowid, title, note) VALUES ('delete', old.id, old.title, old.note);
END;
CREATE TRIGGER bookmarks_fts_au AFTER UPDATE OF title, note ON bookmarks BEGIN
    INSERT INTO bookmark_fts (bookmark_fts, rowid, title, note) VALUES ('delete', old.id, old.title, old.note);
    INSERT INTO bookmark_fts (rowid, title, note) VALUES (new.id, new.title, new.note);
END;

-- A fetched transcript (podcast:transcript), one per episode, parsed into timed cues.
CREATE TABLE transcripts (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('srt', 'vtt', 'json', 'html', 'text')),
    raw        TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    error      TEXT
);
CREATE TABLE transcript_cues (
    id         INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES transcripts(episode_id) ON DELETE CASCADE,
    start_secs REAL NOT NULL,
    end_secs   REAL,
    speaker    TEXT,
    text       TEXT NOT NULL
);
CREATE INDEX transcript_cues_by_episode ON transcript_cues (episode_id, start_secs);
CREATE VIRTUAL TABLE transcript_fts USING fts5(
    text, content='transcript_cues', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER transcript_cues_fts_ai AFTER INSERT ON transcript_cues BEGIN
    INSERT INTO transcript_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER transcript_cues_fts_ad AFTER DELETE ON transcript_cues BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
