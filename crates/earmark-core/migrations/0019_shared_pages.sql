-- Pages a teammate added by URL, shared through the team archive (issue 15): kept here until the
-- next refresh fetches them, since a page is a document only once it has been read.
CREATE TABLE pages_to_fetch (
    url      TEXT PRIMARY KEY,
    campaign TEXT,
    added_at TEXT NOT NULL
);
