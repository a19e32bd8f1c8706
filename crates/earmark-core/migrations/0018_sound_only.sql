-- Video episodes show their picture unless their podcast is set to sound only (issue 17).
ALTER TABLE podcasts ADD COLUMN sound_only INTEGER NOT NULL DEFAULT 0;
