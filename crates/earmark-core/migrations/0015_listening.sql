-- Listening statistics (issue 17), as the player counted them while sound came out: never
-- derived from positions, which a seek or a "mark played" would turn into listening nobody did.
-- One row per episode per day (the listener's own calendar day), added to as playback reports.
CREATE TABLE listening_days (
    day           TEXT NOT NULL,                 -- YYYY-MM-DD, local to the listener
    episode_id    INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    wall_secs     REAL NOT NULL DEFAULT 0,       -- time sound played
    episode_secs  REAL NOT NULL DEFAULT 0,       -- the stretch of the episode that covered
    trimmed_secs  REAL NOT NULL DEFAULT 0,       -- episode time skipped as silence
    finished      INTEGER NOT NULL DEFAULT 0,    -- times playback reached the end
    PRIMARY KEY (day, episode_id)
) WITHOUT ROWID;
CREATE INDEX listening_days_by_episode ON listening_days (episode_id);
