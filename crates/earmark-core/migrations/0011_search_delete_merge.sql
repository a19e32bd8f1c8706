-- A changed episode leaves the contentless index as a tombstone. By default FTS5 rewrites a whole
-- segment once a tenth of its rows are tombstones; a refresh in which many episodes changed then
-- rewrote the big segments again and again (300 feeds x 100 changed episodes: 2.2 s, against
-- 0.95 s with this). Half is still often enough to keep dead rows from piling up.
INSERT INTO episode_fts (episode_fts, rank) VALUES ('deletemerge', 50);
