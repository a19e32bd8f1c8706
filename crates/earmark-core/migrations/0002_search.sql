-- Full-text search over episodes (title, show notes as text) and podcasts (title, description).
-- External-content FTS5 tables kept in step by triggers, so no code path can forget them.
CREATE VIRTUAL TABLE episode_fts USING fts5(
    title, notes_text, content='episodes', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER episodes_fts_ai AFTER INSERT ON episodes BEGIN
    INSERT INTO episode_fts (rowid, title, notes_text) VALUES (new.id, new.title, new.notes_text);
END;
CREATE TRIGGER episodes_fts_ad AFTER DELETE ON episodes BEGIN
    INSERT INTO episode_fts (episode_fts, rowid, title, notes_text) VALUES ('delete', old.id, old.title, old.notes_text);
END;
CREATE TRIGGER episodes_fts_au AFTER UPDATE OF title, notes_text ON episodes BEGIN
    INSERT INTO episode_fts (episode_fts, rowid, title, notes_text) VALUES ('delete', old.id, old.title, old.notes_text);
    INSERT INTO episode_fts (rowid, title, notes_text) VALUES (new.id, new.title, new.notes_text);
END;

CREATE VIRTUAL TABLE podcast_fts USING fts5(
    title, description, content='podcasts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER podcasts_fts_ai AFTER INSERT ON podcasts BEGIN
    INSERT INTO podcast_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER podcasts_fts_ad AFTER DELETE ON podcasts BEGIN
    INSERT INTO podcast_fts (podcast_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER podcasts_fts_au AFTER UPDATE OF title, description ON podcasts BEGIN
    INSERT INTO podcast_fts (podcast_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO podcast_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;

-- Rows that existed before this migration.
INSERT INTO episode_fts (episode_fts) VALUES ('rebuild');
INSERT INTO podcast_fts (podcast_fts) VALUES ('rebuild');
