-- Offline archive settings: auto-download per podcast, enclosures the server says are gone, and
-- library-wide settings (the media folder).

-- What a refresh downloads for this podcast: 'off', 'all' (every episode first seen by that
-- refresh) or 'latest' (of the newest auto_download_count in-feed episodes, those neither
-- downloaded nor played).
ALTER TABLE podcasts ADD COLUMN auto_download TEXT NOT NULL DEFAULT 'off'
    CHECK (auto_download IN ('off', 'all', 'latest'));
ALTER TABLE podcasts ADD COLUMN auto_download_count INTEGER NOT NULL DEFAULT 0
    CHECK (auto_download_count >= 0);

-- The enclosure URL that answered 404 or 410. Bulk downloads (--new, --podcast, auto-download)
-- skip the episode while its enclosure is still this URL; a feed that moves the file clears it.
ALTER TABLE downloads ADD COLUMN missing_url TEXT;

-- Library-wide settings, one row per key ('media_dir', 'media_dir_moving_to').
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
