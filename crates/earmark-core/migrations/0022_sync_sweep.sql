-- When a sync last asked a gPodder-API server for a week of episode actions rather than only
-- those since its cursor (issue 14): servers disagree on whether `since` counts upload time or
-- the actions' own time, and on one that counts action time another device's late upload would
-- otherwise never be seen. Unix seconds; 0 = never.
ALTER TABLE sync_account ADD COLUMN actions_swept_at INTEGER NOT NULL DEFAULT 0;
