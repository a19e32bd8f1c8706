-- Downloaded media, one row per episode. The file lives in the library's media folder under a
-- name Earmark made; deleting a download removes the file and this row, never the episode.
CREATE TABLE downloads (
    episode_id  INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'downloading', 'paused', 'done', 'failed')),
    file_name   TEXT NOT NULL,
    bytes       INTEGER NOT NULL DEFAULT 0,
    total       INTEGER,
    error       TEXT,
    updated_at  TEXT NOT NULL
);
