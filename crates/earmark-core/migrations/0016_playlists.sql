-- Playlists beside "Up next" (issue 17). A playlist with no rule is ordered by hand
-- (`playlist_entries`); one with a rule is a saved filter (JSON, read by playlists.rs), whose
-- episodes are whatever matches when it is read.
CREATE TABLE playlists (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    rule        TEXT,
    created_at  TEXT NOT NULL
);
CREATE TABLE playlist_entries (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    episode_id  INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    PRIMARY KEY (playlist_id, episode_id)
) WITHOUT ROWID;
CREATE INDEX playlist_entries_in_order ON playlist_entries (playlist_id, ord);
CREATE INDEX playlist_entries_by_episode ON playlist_entries (episode_id);
