//! Staff's own tags on episodes and documents (one shared vocabulary, case-insensitive).

use rusqlite::params;

use super::model::DocumentId;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::EpisodeId;

/// What a tag is attached to.
#[derive(Clone, Copy)]
enum Target {
    Episode(EpisodeId),
    Document(DocumentId),
}

impl Target {
    fn parts(self) -> (&'static str, &'static str, &'static str, i64) {
        match self {
            Target::Episode(e) => ("episodes", "episode_tags", "episode_id", e.0),
            Target::Document(d) => ("documents", "document_tags", "document_id", d.0),
        }
    }

    fn describe(self) -> String {
        match self {
            Target::Episode(e) => format!("episode {}", e.0),
            Target::Document(d) => format!("document {}", d.0),
        }
    }
}

fn clean_tag(tag: &str) -> Result<String> {
    let t = tag.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(Error::Invalid("a tag cannot be empty".into()));
    }
    if t.chars().count() > 100 {
        return Err(Error::Invalid(format!("tag too long (at most 100 characters): {t}")));
    }
    Ok(t)
}

impl Library {
    fn tag(&mut self, target: Target, tags: &[&str]) -> Result<()> {
        let (table, link, col, id) = target.parts();
        let cleaned = tags.iter().map(|t| clean_tag(t)).collect::<Result<Vec<_>>>()?;
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if !tx
            .prepare(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
            .exists([id])?
        {
            return Err(Error::NotFound(target.describe()));
        }
        for t in &cleaned {
            tx.execute("INSERT OR IGNORE INTO tags (name) VALUES (?1)", [t])?;
            tx.execute(
                &format!("INSERT OR IGNORE INTO {link} ({col}, tag_id) SELECT ?1, id FROM tags WHERE name = ?2"),
                params![id, t],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn untag(&mut self, target: Target, tags: &[&str]) -> Result<usize> {
        let (_, link, col, id) = target.parts();
        let mut removed = 0;
        for t in tags {
            removed += self.conn().execute(
                &format!("DELETE FROM {link} WHERE {col} = ?1 AND tag_id IN (SELECT id FROM tags WHERE name = ?2)"),
                params![id, t.trim()],
            )?;
        }
        Ok(removed)
    }

    fn tags_of(&self, target: Target) -> Result<Vec<String>> {
        let (_, link, col, id) = target.parts();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT t.name FROM {link} x JOIN tags t ON t.id = x.tag_id WHERE x.{col} = ?1 ORDER BY t.name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Tags an episode (tags are created on first use; a tag it already has is ignored).
    pub fn tag_episode(&mut self, id: EpisodeId, tags: &[&str]) -> Result<()> {
        self.tag(Target::Episode(id), tags)
    }

    /// Removes tags from an episode; returns how many it had.
    pub fn untag_episode(&mut self, id: EpisodeId, tags: &[&str]) -> Result<usize> {
        self.untag(Target::Episode(id), tags)
    }

    /// An episode's tags, by name.
    pub fn episode_tags(&self, id: EpisodeId) -> Result<Vec<String>> {
        self.tags_of(Target::Episode(id))
    }

    /// Tags a document.
    pub fn tag_document(&mut self, id: DocumentId, tags: &[&str]) -> Result<()> {
        self.tag(Target::Document(id), tags)
    }

    /// Removes tags from a document; returns how many it had.
    pub fn untag_document(&mut self, id: DocumentId, tags: &[&str]) -> Result<usize> {
        self.untag(Target::Document(id), tags)
    }

    /// A document's tags, by name.
    pub fn document_tags(&self, id: DocumentId) -> Result<Vec<String>> {
        self.tags_of(Target::Document(id))
    }

    /// Every tag in use or made, by name (for completion in the app).
    pub fn tags(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT name FROM tags ORDER BY name COLLATE NOCASE")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
