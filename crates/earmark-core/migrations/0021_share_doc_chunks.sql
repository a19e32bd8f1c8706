-- The shared archive's document, stored incrementally (issue 15): `share.doc` holds a whole save,
-- and each sync appends only the changes made since as a chunk here, instead of writing the whole
-- document (megabytes for a big archive) twice per sync. The chunks are folded into a new whole
-- save once they grow.
CREATE TABLE share_doc_chunks (
    seq   INTEGER PRIMARY KEY,
    bytes BLOB NOT NULL
);
