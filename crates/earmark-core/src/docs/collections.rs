//! Collections: named groups of documents and episodes. A campaign ("In Dad's Shoes") is shown as
//! its own view; a topic is a looser grouping. Names are unique, case-insensitively.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::model::{Collection, CollectionId, CollectionKind, CollectionMember, CollectionView, DocumentId};
use super::store::row_from;
use crate::error::{Error, Result};
use crate::library::{episode_from_row, rfc3339, Library, EPISODE_COLUMNS, STATE_JOIN};
use crate::model::{Changed, EpisodeId};
use crate::share::Kind;

const COLLECTION_SELECT: &str = "SELECT c.id, c.name, c.kind, c.description, \
     (SELECT COUNT(*) FROM collection_documents WHERE collection_id = c.id), \
     (SELECT COUNT(*) FROM collection_episodes WHERE collection_id = c.id) FROM collections c";

/// The SQL for "the next free position" in a collection's order of `kind` members (`document` or
/// `episode`, kept in `table`), counting the places held by members a teammate shared that this
/// library does not hold yet (`share_members_waiting`); `?1` is the collection.
pub(crate) fn next_position_sql(table: &str, kind: &str) -> String {
    format!(
        "(SELECT COALESCE(MAX(position) + 1, 0) FROM (SELECT position FROM {table} WHERE collection_id = ?1 \
         UNION ALL SELECT position FROM share_members_waiting WHERE collection_id = ?1 AND member_kind = '{kind}'))"
    )
}

fn collection_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    let kind: String = r.get(2)?;
    Ok(Collection {
        id: CollectionId(r.get(0)?),
        name: r.get(1)?,
        kind: CollectionKind::parse(&kind),
        description: r.get(3)?,
        document_count: r.get(4)?,
        episode_count: r.get(5)?,
        changed: Changed::default(),
    })
}

fn clean_name(name: &str) -> Result<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(Error::Invalid("a collection needs a name".into()));
    }
    if name.chars().count() > 200 {
        return Err(Error::Invalid("a collection name is at most 200 characters".into()));
    }
    Ok(name)
}

impl Library {
    /// The collection named `name` (any case), created with `kind` when there is none yet.
    pub fn collection_ensure(&mut self, name: &str, kind: CollectionKind, now: DateTime<Utc>) -> Result<CollectionId> {
        let name = clean_name(name)?;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO collections (name, kind, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            params![name, kind.as_str(), rfc3339(now)],
        )?;
        Ok(CollectionId(conn.query_row(
            "SELECT id FROM collections WHERE name = ?1",
            [&name],
            |r| r.get(0),
        )?))
    }

    /// The collection named `name` (any case).
    pub fn collection_by_name(&self, name: &str) -> Result<Collection> {
        self.conn()
            .prepare_cached(&format!("{COLLECTION_SELECT} WHERE c.name = ?1"))?
            .query_row([name.trim()], collection_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("collection {name:?}")))
            .and_then(|c| self.with_changed(c))
    }

    /// A collection with who changed it last in a shared archive, where it is keyed by its name
    /// lower-cased as Rust lower-cases it (SQLite's `lower` knows only ASCII).
    fn with_changed(&self, c: Collection) -> Result<Collection> {
        let changed = self.changed(Kind::Collection, &c.name.to_lowercase())?;
        Ok(Collection { changed, ..c })
    }

    /// Every collection, by name; `kind` narrows to campaigns or topics.
    pub fn collections(&self, kind: Option<CollectionKind>) -> Result<Vec<Collection>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "{COLLECTION_SELECT} WHERE (?1 IS NULL OR c.kind = ?1) ORDER BY c.name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([kind.map(CollectionKind::as_str)], collection_from_row)?;
        rows.map(|c| self.with_changed(c?)).collect()
    }

    /// Appends documents to a collection, in the order given (ones already in it keep their place).
    pub fn collection_add_documents(&mut self, id: CollectionId, docs: &[DocumentId]) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut exists = tx.prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?;
            let mut join = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO collection_documents (collection_id, document_id, position) VALUES (?1, ?2, {})",
                next_position_sql("collection_documents", "document")
            ))?;
            for d in docs {
                if !exists.exists([d.0])? {
                    return Err(Error::NotFound(format!("document {}", d.0)));
                }
                join.execute(params![id.0, d.0])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Appends an episode to a collection (already there: nothing changes).
    pub fn collection_add_episode(&mut self, id: CollectionId, episode: EpisodeId) -> Result<()> {
        let conn = self.conn();
        if !conn
            .prepare_cached("SELECT 1 FROM episodes WHERE id = ?1")?
            .exists([episode.0])?
        {
            return Err(Error::NotFound(format!("episode {}", episode.0)));
        }
        conn.execute(
            &format!(
                "INSERT OR IGNORE INTO collection_episodes (collection_id, episode_id, position) VALUES (?1, ?2, {})",
                next_position_sql("collection_episodes", "episode")
            ),
            params![id.0, episode.0],
        )?;
        Ok(())
    }

    /// Takes an episode or a document out of a collection (it stays in the library); false when it
    /// was not in it.
    pub fn collection_remove(&mut self, id: CollectionId, member: CollectionMember) -> Result<bool> {
        let (sql, member_id) = match member {
            CollectionMember::Episode(e) => (
                "DELETE FROM collection_episodes WHERE collection_id = ?1 AND episode_id = ?2",
                e.0,
            ),
            CollectionMember::Document(d) => (
                "DELETE FROM collection_documents WHERE collection_id = ?1 AND document_id = ?2",
                d.0,
            ),
        };
        Ok(self.conn().execute(sql, params![id.0, member_id])? > 0)
    }

    /// Moves an episode or a document to place `to` (0 is first; past the end is last) among its
    /// kind in its collection's order.
    pub fn collection_move(&mut self, id: CollectionId, member: CollectionMember, to: usize) -> Result<()> {
        match member {
            CollectionMember::Episode(e) => {
                self.move_member(id, ("collection_episodes", "episode_id", "episode"), e.0, to)
            }
            CollectionMember::Document(d) => {
                self.move_member(id, ("collection_documents", "document_id", "document"), d.0, to)
            }
        }
    }

    /// Renumbers a collection's members of one kind with `member` at `to`. Members a teammate
    /// shared that are not here yet hold places too, so they are renumbered with the others.
    fn move_member(
        &mut self,
        id: CollectionId,
        (table, column, kind): (&str, &str, &str),
        member: i64,
        to: usize,
    ) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // (position, held member id, or the waiting member's key)
        let mut order: Vec<(i64, Option<i64>, Option<String>)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT position, {column}, NULL FROM {table} WHERE collection_id = ?1 \
                 UNION ALL SELECT position, NULL, member FROM share_members_waiting \
                 WHERE collection_id = ?1 AND member_kind = ?2 ORDER BY 1, 2, 3"
            ))?;
            let rows = stmt.query_map(params![id.0, kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(from) = order.iter().position(|(_, m, _)| *m == Some(member)) else {
            return Err(Error::NotFound(format!("{kind} {member} in collection {}", id.0)));
        };
        let moved = order.remove(from);
        order.insert(to.min(order.len()), moved);
        {
            let mut held = tx.prepare(&format!(
                "UPDATE {table} SET position = ?3 WHERE collection_id = ?1 AND {column} = ?2"
            ))?;
            let mut waiting = tx.prepare(
                "UPDATE share_members_waiting SET position = ?4 WHERE collection_id = ?1 AND member_kind = ?2 \
                 AND member = ?3",
            )?;
            for (position, (_, held_id, key)) in order.iter().enumerate() {
                let position = i64::try_from(position).unwrap_or(i64::MAX);
                match (held_id, key) {
                    (Some(m), _) => held.execute(params![id.0, m, position])?,
                    (None, Some(k)) => waiting.execute(params![id.0, kind, k, position])?,
                    (None, None) => 0,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A campaign's own view: its documents in order, its episodes, and the episodes linked to any
    /// of its documents (accepted links, and explicit ones nobody rejected).
    pub fn collection_view(&self, id: CollectionId) -> Result<CollectionView> {
        let conn = self.conn();
        let collection = conn
            .prepare_cached(&format!("{COLLECTION_SELECT} WHERE c.id = ?1"))?
            .query_row([id.0], collection_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("collection {}", id.0)))
            .and_then(|c| self.with_changed(c))?;
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, d.kind, d.title, d.url, d.published, ?2 FROM collection_documents cd \
             JOIN documents d ON d.id = cd.document_id WHERE cd.collection_id = ?1 ORDER BY cd.position, d.id",
        )?;
        let documents = stmt
            .query_map(params![id.0, collection.name], row_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {EPISODE_COLUMNS} FROM collection_episodes ce JOIN episodes e ON e.id = ce.episode_id {STATE_JOIN} \
             WHERE ce.collection_id = ?1 ORDER BY ce.position, e.id"
        ))?;
        let episodes = stmt
            .query_map([id.0], episode_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} WHERE e.id IN ( \
               SELECT l.episode_id FROM links l JOIN collection_documents cd ON cd.document_id = l.document_id \
               WHERE cd.collection_id = ?1 AND (l.state = 'accepted' OR (l.kind = 'explicit' AND l.state <> 'rejected'))) \
             AND e.id NOT IN (SELECT episode_id FROM collection_episodes WHERE collection_id = ?1) \
             ORDER BY e.published_ts IS NULL, e.published_ts DESC, e.id"
        ))?;
        let linked_episodes = stmt
            .query_map([id.0], episode_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(CollectionView {
            collection,
            documents,
            episodes,
            linked_episodes,
        })
    }
}
