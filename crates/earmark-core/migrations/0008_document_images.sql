-- Images of posts and pages kept for offline reading ("archive a source"). The file lives in the
-- library's `doc-images/` folder under a name Earmark made from the URL's hash; the page's HTML
-- keeps the original address and is pointed at the local copy when shown.
CREATE TABLE document_images (
    url        TEXT PRIMARY KEY,
    file_name  TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    fetched_at TEXT NOT NULL
);
