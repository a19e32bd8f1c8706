-- Members of a shared collection that this library does not hold yet (issue 15): an episode whose
-- feed has not been refreshed here, a post whose blog has not been read. Each keeps its place in
-- the collection's order (the same position space as collection_documents and
-- collection_episodes) and joins the collection once the thing arrives.
CREATE TABLE share_members_waiting (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    member_kind   TEXT NOT NULL CHECK (member_kind IN ('document', 'episode')),
    member        TEXT NOT NULL,  -- a document's URL, or an episode's feed URL and guid ("feed\nguid")
    position      INTEGER NOT NULL,
    PRIMARY KEY (collection_id, member_kind, member)
);
