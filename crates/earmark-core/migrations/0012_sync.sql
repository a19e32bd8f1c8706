-- gPodder sync (issue 14): the account, the server's cursors, and what waits to be sent.
-- The password is never here: it lives in the Secret Service keyring or a file only the user reads.
CREATE TABLE sync_account (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    server_url     TEXT NOT NULL,
    username       TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    flavour        TEXT NOT NULL CHECK (flavour IN ('gpodder', 'nextcloud')),
    actions_since  INTEGER NOT NULL DEFAULT 0,   -- the server's timestamp from the last episode pull
    last_sync      TEXT,                         -- RFC 3339, the last sync that finished
    last_error     TEXT,                         -- in words; NULL after a sync that finished
    created_at     TEXT NOT NULL
);

-- Subscriptions are per device on a gPodder server: one cursor per device we pull from
-- ('' for a server without devices).
CREATE TABLE sync_device_cursors (
    device  TEXT PRIMARY KEY,
    since   INTEGER NOT NULL DEFAULT 0
);

-- An unsubscribed podcast keeps its episodes, state, bookmarks and links; refresh skips it.
ALTER TABLE podcasts ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;

-- Other URLs of a podcast's feed (an old address after a permanent redirect, the server's
-- rewritten form), so the same show arriving under another URL is not added twice.
CREATE TABLE podcast_url_aliases (
    url         TEXT PRIMARY KEY,
    podcast_id  INTEGER NOT NULL REFERENCES podcasts(id) ON DELETE CASCADE
);
CREATE TRIGGER podcast_url_moved AFTER UPDATE OF feed_url ON podcasts
WHEN OLD.feed_url <> NEW.feed_url BEGIN
    INSERT INTO podcast_url_aliases (url, podcast_id) VALUES (OLD.feed_url, NEW.id)
        ON CONFLICT (url) DO UPDATE SET podcast_id = excluded.podcast_id;
    DELETE FROM podcast_url_aliases WHERE url = NEW.feed_url;
END;

-- Subscription changes not yet sent: the latest per feed URL.
CREATE TABLE sync_pending_subs (
    feed_url    TEXT PRIMARY KEY,
    subscribed  INTEGER NOT NULL,
    changed_at  TEXT NOT NULL
);
CREATE TRIGGER sync_sub_added AFTER INSERT ON podcasts BEGIN
    INSERT INTO sync_pending_subs (feed_url, subscribed, changed_at) VALUES (NEW.feed_url, 1, NEW.added_at)
        ON CONFLICT (feed_url) DO UPDATE SET subscribed = 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_sub_moved AFTER UPDATE OF feed_url ON podcasts
WHEN OLD.feed_url <> NEW.feed_url AND NEW.subscribed = 1 BEGIN
    INSERT INTO sync_pending_subs (feed_url, subscribed, changed_at) VALUES (OLD.feed_url, 0, NEW.added_at)
        ON CONFLICT (feed_url) DO UPDATE SET subscribed = 0;
    INSERT INTO sync_pending_subs (feed_url, subscribed, changed_at) VALUES (NEW.feed_url, 1, NEW.added_at)
        ON CONFLICT (feed_url) DO UPDATE SET subscribed = 1;
END;

-- Episodes whose listening state changed since it was last sent; `changed_at` is the state's own
-- time, so a change made while a sync runs is not cleared by that sync.
CREATE TABLE sync_pending_state (
    episode_id  INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    changed_at  TEXT NOT NULL
);
CREATE TRIGGER sync_state_inserted AFTER INSERT ON episode_state BEGIN
    INSERT INTO sync_pending_state (episode_id, changed_at) VALUES (NEW.episode_id, NEW.updated_at)
        ON CONFLICT (episode_id) DO UPDATE SET changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_state_updated AFTER UPDATE ON episode_state BEGIN
    INSERT INTO sync_pending_state (episode_id, changed_at) VALUES (NEW.episode_id, NEW.updated_at)
        ON CONFLICT (episode_id) DO UPDATE SET changed_at = excluded.changed_at;
END;

-- Downloads and deletes, sent as their own actions (never with a position).
CREATE TABLE sync_pending_media (
    episode_id  INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (action IN ('download', 'delete')),
    at          TEXT NOT NULL,
    PRIMARY KEY (episode_id, action)
);
CREATE TRIGGER sync_download_done AFTER UPDATE OF state ON downloads
WHEN NEW.state = 'done' AND OLD.state <> 'done' BEGIN
    DELETE FROM sync_pending_media WHERE episode_id = NEW.episode_id AND action = 'delete';
    INSERT INTO sync_pending_media (episode_id, action, at) VALUES (NEW.episode_id, 'download', NEW.updated_at)
        ON CONFLICT (episode_id, action) DO UPDATE SET at = excluded.at;
END;
CREATE TRIGGER sync_download_inserted_done AFTER INSERT ON downloads
WHEN NEW.state = 'done' BEGIN
    INSERT INTO sync_pending_media (episode_id, action, at) VALUES (NEW.episode_id, 'download', NEW.updated_at)
        ON CONFLICT (episode_id, action) DO UPDATE SET at = excluded.at;
END;
-- The delete's time is SQLite's clock: deleting a download takes no time argument.
CREATE TRIGGER sync_download_deleted AFTER DELETE ON downloads
WHEN OLD.state = 'done' BEGIN
    DELETE FROM sync_pending_media WHERE episode_id = OLD.episode_id AND action = 'download';
    INSERT INTO sync_pending_media (episode_id, action, at)
        VALUES (OLD.episode_id, 'delete', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        ON CONFLICT (episode_id, action) DO UPDATE SET at = excluded.at;
END;

-- Play actions from the server that match no episode yet (the feed not fetched, or failing):
-- kept, the newest per episode URL, and matched again at every sync.
CREATE TABLE sync_unmatched (
    podcast     TEXT NOT NULL,
    episode     TEXT NOT NULL,
    guid        TEXT,
    action      TEXT NOT NULL,
    at          INTEGER NOT NULL,      -- unix seconds
    position    REAL,
    total       REAL,
    PRIMARY KEY (podcast, episode)
);

-- Subscriptions the server named that could not be added yet (the feed failed), retried.
CREATE TABLE sync_failed_subs (
    feed_url  TEXT PRIMARY KEY,
    error     TEXT NOT NULL
);

-- What this library already holds goes to the server at the first sync.
INSERT INTO sync_pending_subs (feed_url, subscribed, changed_at) SELECT feed_url, 1, added_at FROM podcasts;
INSERT INTO sync_pending_state (episode_id, changed_at)
    SELECT episode_id, updated_at FROM episode_state WHERE position_secs > 0 OR played = 1;
INSERT INTO sync_pending_media (episode_id, action, at)
    SELECT episode_id, 'download', updated_at FROM downloads WHERE state = 'done';
