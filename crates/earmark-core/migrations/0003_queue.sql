-- "Up next": the episodes to play after the current one, in order. Survives restarts; an episode
-- leaves it when it finishes or by hand, never because a feed changed.
CREATE TABLE queue (
    episode_id  INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL
);
CREATE INDEX queue_by_ord ON queue (ord);
