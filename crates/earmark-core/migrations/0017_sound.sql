-- How episodes sound (issue 17): per podcast, whether long silences are shortened and a volume
-- boost for quiet shows; per episode, its measured loudness (EBU R128), which playback turns into
-- a gain towards a common target when the library's "even loudness" setting is on.
ALTER TABLE podcasts ADD COLUMN trim_silence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE podcasts ADD COLUMN volume_boost_db REAL NOT NULL DEFAULT 0;
CREATE TABLE episode_loudness (
    episode_id       INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    integrated_lufs  REAL NOT NULL,
    true_peak_dbtp   REAL NOT NULL,
    measured_at      TEXT NOT NULL
);
