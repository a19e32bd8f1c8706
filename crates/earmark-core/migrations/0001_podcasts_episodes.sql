-- Podcasts, their episodes and each episode's listening state.
CREATE TABLE podcasts (
    id              INTEGER PRIMARY KEY,
    feed_url        TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL DEFAULT '',
    link            TEXT,
    description     TEXT NOT NULL DEFAULT '',
    author          TEXT,
    image_url       TEXT,
    language        TEXT,
    explicit        INTEGER,
    podcast20       TEXT,              -- JSON: Podcasting 2.0 channel data (funding, persons)
    etag            TEXT,
    last_modified   TEXT,
    last_refresh    TEXT,              -- RFC 3339, last successful check
    last_error      TEXT,
    gone            INTEGER NOT NULL DEFAULT 0,
    added_at        TEXT NOT NULL
);

CREATE TABLE episodes (
    id                INTEGER PRIMARY KEY,
    podcast_id        INTEGER NOT NULL REFERENCES podcasts(id) ON DELETE CASCADE,
    guid              TEXT NOT NULL,   -- identity within the podcast
    title             TEXT NOT NULL,
    link              TEXT,
    published         TEXT,            -- RFC 3339 or NULL when unknown
    published_ts      INTEGER,         -- unix seconds, for ordering
    feed_position     INTEGER NOT NULL DEFAULT 0,
    duration_secs     REAL,
    enclosure_url     TEXT,
    enclosure_type    TEXT,
    enclosure_length  INTEGER,
    notes_raw         TEXT NOT NULL DEFAULT '',  -- as the feed gave it; sanitised on the way out
    notes_text        TEXT NOT NULL DEFAULT '',  -- plain text, for search
    image_url         TEXT,
    author            TEXT,
    episode_number    INTEGER,
    season            INTEGER,
    episode_type      TEXT,
    explicit          INTEGER,
    podcast20         TEXT,            -- JSON: chapters, transcripts, soundbites, persons, funding
    content_hash      INTEGER NOT NULL DEFAULT 0,
    in_feed           INTEGER NOT NULL DEFAULT 1,
    first_seen        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (podcast_id, guid)
);
CREATE INDEX episodes_by_date ON episodes (podcast_id, published_ts DESC, feed_position);
CREATE INDEX episodes_all_by_date ON episodes (published_ts DESC, feed_position);

-- Listening state lives apart from the feed's data so a refresh can never touch it.
CREATE TABLE episode_state (
    episode_id     INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    position_secs  REAL NOT NULL DEFAULT 0,
    played         INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
);
