//! Staff's own tags on episodes and documents (one shared vocabulary, case-insensitive).

use rusqlite::params;

use rusqlite::OptionalExtension;

use super::model::{DocumentId, TagInfo, Tagged, TagsView};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::EpisodeId;
use crate::share::Kind;

use Tagged as Target;

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

    /// What a shared tag's key begins with for this item (see the share's `tag_key`): the
    /// episode's feed and guid, or the document's address; `None` if the item is gone.
    fn share_prefix(self, lib: &Library) -> Result<Option<String>> {
        Ok(match self {
            Target::Episode(e) => lib
                .conn()
                .prepare_cached(
                    "SELECT p.feed_url, e.guid FROM episodes e JOIN podcasts p ON p.id = e.podcast_id WHERE e.id = ?1",
                )?
                .query_row([e.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .optional()?
                .map(|(feed, guid)| format!("episode\n{feed}\n{guid}\n")),
            Target::Document(d) => lib
                .conn()
                .prepare_cached("SELECT url FROM documents WHERE id = ?1")?
                .query_row([d.0], |r| r.get::<_, String>(0))
                .optional()?
                .map(|url| format!("document\n{url}\n")),
        })
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

    /// An item's tags with who put each there (in a shared archive), and the library's whole
    /// vocabulary: what the tag editor on an episode's or document's page shows.
    pub fn tags_view(&self, on: Tagged) -> Result<TagsView> {
        let prefix = on.share_prefix(self)?.ok_or_else(|| Error::NotFound(on.describe()))?;
        let mut tags = Vec::new();
        for name in self.tags_of(on)? {
            let changed = self.changed(Kind::Tag, &format!("{prefix}{}", name.to_lowercase()))?;
            tags.push(TagInfo { name, changed });
        }
        Ok(TagsView {
            tags,
            vocabulary: self.tags()?,
        })
    }

    /// Adds and removes tags on an item in one step (the app's tag editor), then shows it.
    pub fn edit_tags(&mut self, on: Tagged, add: &[&str], remove: &[&str]) -> Result<TagsView> {
        if !add.is_empty() {
            self.tag(on, add)?;
        }
        if !remove.is_empty() {
            self.untag(on, remove)?;
        }
        self.tags_view(on)
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
