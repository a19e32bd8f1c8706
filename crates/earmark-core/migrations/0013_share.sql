-- The shared team archive (issue 15): the merged Automerge document and what this library last
-- agreed with it. Media, downloads and positions are never shared.
CREATE TABLE share (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    folder      TEXT NOT NULL,     -- the shared folder
    name        TEXT NOT NULL,     -- the archive's name
    archive_id  TEXT NOT NULL,     -- from the folder's earmark-share.json
    actor       TEXT NOT NULL,     -- this library's Automerge actor (hex)
    person      TEXT NOT NULL,     -- shown as who made this library's changes
    doc         BLOB NOT NULL,     -- the merged document as of the last sync
    heads       TEXT NOT NULL DEFAULT '[]',  -- JSON: the heads of `doc`
    published   TEXT NOT NULL DEFAULT '[]',  -- JSON: the heads last written to the folder
    waiting     INTEGER NOT NULL DEFAULT 0,  -- shared items last seen waiting for an episode or post
    last_sync   TEXT,
    last_error  TEXT
);
-- Files of the folder already merged (content-addressed names).
CREATE TABLE share_files_seen (
    name  TEXT PRIMARY KEY
);
-- Each shared item as both sides last agreed on it (a hash of its canonical form), with who
-- changed it last and when, so a local change is told from a remote one.
CREATE TABLE share_synced (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    hash  INTEGER NOT NULL,
    by    TEXT,
    at    TEXT,
    PRIMARY KEY (kind, key)
);
