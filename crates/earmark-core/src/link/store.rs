//! The links as people see and decide them: an episode's documents, a document's episodes, the
//! review queue, and the decisions (accept, reject, a manual link with a note, unlink). A decided
//! row has `decided = 1`, and relinking never changes it.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::model::{
    DocumentId, DocumentLink, EpisodeLink, LinkKind, LinkState, RelinkReport, RelinkScope, ReviewItem, Unlinked,
};
use super::relink::{self, Tuning};
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::{Changed, EpisodeId};

fn reasons_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Joins a link's shared decision as `ss` (who decided it last, and when), keyed as the share
/// keys decisions: the episode's feed and guid, and the document's address (`e`, `p`, `d`).
const DECISION_CHANGED: &str = "LEFT JOIN share_synced ss ON ss.kind = 'decisions' \
     AND ss.key = p.feed_url || char(10) || e.guid || char(10) || d.url";

impl Library {
    /// Recomputes the automatic links of the episodes in `scope` (explicit evidence and
    /// suggestions). Rows a person decided are never changed, a rejected pair never comes back,
    /// and automatic suggestions that no longer qualify are removed.
    pub fn relink(&mut self, scope: &RelinkScope, now: DateTime<Utc>) -> Result<RelinkReport> {
        relink::relink(self.conn_mut(), scope, Tuning::default(), now)
    }

    /// [`Library::relink`] with other tuning, for experiments and the quality test.
    #[doc(hidden)]
    pub fn relink_tuned(&mut self, scope: &RelinkScope, tuning: Tuning, now: DateTime<Utc>) -> Result<RelinkReport> {
        relink::relink(self.conn_mut(), scope, tuning, now)
    }

    /// Every candidate document of every episode with the features the suggestion model saw and
    /// the score it gave: how the model is fitted and its calibration checked on labelled archives.
    #[doc(hidden)]
    pub fn link_candidates(&mut self, tuning: Tuning) -> Result<Vec<super::relink::CandidateFeatures>> {
        relink::candidate_features(self.conn_mut(), tuning)
    }

    fn require_episode_row(&self, id: EpisodeId) -> Result<()> {
        self.conn()
            .query_row("SELECT 1 FROM episodes WHERE id = ?1", [id.0], |_| Ok(()))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    fn require_document_row(&self, id: DocumentId) -> Result<()> {
        self.conn()
            .query_row("SELECT 1 FROM documents WHERE id = ?1", [id.0], |_| Ok(()))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("document {}", id.0)))
    }

    /// The documents linked to an episode: accepted first, then pending suggestions strongest
    /// first, then rejected ones (so a person can change their mind).
    pub fn episode_links(&self, episode: EpisodeId) -> Result<Vec<EpisodeLink>> {
        self.require_episode_row(episode)?;
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT d.id, d.url, d.title, l.kind, l.state, l.score, l.reasons, l.evidence, ss.by, ss.at FROM links l \
             JOIN documents d ON d.id = l.document_id JOIN episodes e ON e.id = l.episode_id \
             JOIN podcasts p ON p.id = e.podcast_id {DECISION_CHANGED} WHERE l.episode_id = ?1 \
             ORDER BY CASE l.state WHEN 'accepted' THEN 0 WHEN 'suggested' THEN 1 ELSE 2 END, l.score DESC, d.id",
        ))?;
        let rows = stmt.query_map([episode.0], |r| {
            Ok(EpisodeLink {
                doc_id: DocumentId(r.get(0)?),
                url: r.get(1)?,
                title: r.get(2)?,
                kind: LinkKind::parse(&r.get::<_, String>(3)?),
                state: LinkState::parse(&r.get::<_, String>(4)?),
                score: r.get(5)?,
                reasons: reasons_of(&r.get::<_, String>(6)?),
                evidence: reasons_of(&r.get::<_, String>(7)?),
                changed: Changed::from_row(r, 8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The episodes linked to a document, in the same order as [`Library::episode_links`].
    pub fn document_links(&self, doc: DocumentId) -> Result<Vec<DocumentLink>> {
        self.require_document_row(doc)?;
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT e.id, e.title, e.published, l.kind, l.state, l.score, l.reasons, l.note, l.evidence, ss.by, ss.at \
             FROM links l JOIN episodes e ON e.id = l.episode_id JOIN documents d ON d.id = l.document_id \
             JOIN podcasts p ON p.id = e.podcast_id {DECISION_CHANGED} WHERE l.document_id = ?1 \
             ORDER BY CASE l.state WHEN 'accepted' THEN 0 WHEN 'suggested' THEN 1 ELSE 2 END, l.score DESC, e.id",
        ))?;
        let rows = stmt.query_map([doc.0], |r| {
            Ok(DocumentLink {
                episode_id: EpisodeId(r.get(0)?),
                title: r.get(1)?,
                published: r.get(2)?,
                kind: LinkKind::parse(&r.get::<_, String>(3)?),
                state: LinkState::parse(&r.get::<_, String>(4)?),
                score: r.get(5)?,
                reasons: reasons_of(&r.get::<_, String>(6)?),
                note: r.get(7)?,
                evidence: reasons_of(&r.get::<_, String>(8)?),
                changed: Changed::from_row(r, 9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Pending suggestions across the archive, strongest first, for a quick triage.
    pub fn link_review_queue(&self, limit: usize) -> Result<Vec<ReviewItem>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT l.episode_id, e.title, d.id, d.title, d.url, l.score, l.reasons, l.evidence FROM links l \
             JOIN episodes e ON e.id = l.episode_id JOIN documents d ON d.id = l.document_id \
             WHERE l.state = 'suggested' ORDER BY l.score DESC, l.episode_id, l.document_id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.min(100_000) as i64], |r| {
            Ok(ReviewItem {
                episode_id: EpisodeId(r.get(0)?),
                episode_title: r.get(1)?,
                doc_id: DocumentId(r.get(2)?),
                doc_title: r.get(3)?,
                url: r.get(4)?,
                score: r.get(5)?,
                reasons: reasons_of(&r.get::<_, String>(6)?),
                evidence: reasons_of(&r.get::<_, String>(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn link_row(&self, episode: EpisodeId, doc: DocumentId) -> Result<Option<(LinkKind, LinkState)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT kind, state FROM links WHERE episode_id = ?1 AND document_id = ?2",
                [episode.0, doc.0],
                |r| {
                    Ok((
                        LinkKind::parse(&r.get::<_, String>(0)?),
                        LinkState::parse(&r.get::<_, String>(1)?),
                    ))
                },
            )
            .optional()?)
    }

    fn require_pair(&self, episode: EpisodeId, doc: DocumentId) -> Result<Option<(LinkKind, LinkState)>> {
        self.require_episode_row(episode)?;
        self.require_document_row(doc)?;
        self.link_row(episode, doc)
    }

    /// A person confirms a link (a suggestion, or a link they had rejected).
    pub fn accept_link(&mut self, episode: EpisodeId, doc: DocumentId, now: DateTime<Utc>) -> Result<()> {
        if self.require_pair(episode, doc)?.is_none() {
            return Err(Error::NotFound(format!(
                "a link between episode {} and document {} (make one with link)",
                episode.0, doc.0
            )));
        }
        self.conn().execute(
            "UPDATE links SET state = 'accepted', decided = 1, updated_at = ?3 WHERE episode_id = ?1 AND document_id = ?2",
            params![episode.0, doc.0, rfc3339(now)],
        )?;
        Ok(())
    }

    /// A person says a document is not about an episode. Works on a pair with no link yet too,
    /// so it is never suggested.
    pub fn reject_link(&mut self, episode: EpisodeId, doc: DocumentId, now: DateTime<Utc>) -> Result<()> {
        self.require_pair(episode, doc)?;
        self.conn().execute(
            "INSERT INTO links (episode_id, document_id, kind, state, score, reasons, decided, created_at, updated_at) \
             VALUES (?1, ?2, 'suggested', 'rejected', 0, '[]', 1, ?3, ?3) \
             ON CONFLICT (episode_id, document_id) DO UPDATE SET state = 'rejected', decided = 1, updated_at = ?3",
            params![episode.0, doc.0, rfc3339(now)],
        )?;
        Ok(())
    }

    /// A person links a document to an episode by hand, with an optional note. An existing
    /// link becomes a manual one (its reasons are kept); calling it again changes the note.
    pub fn add_manual_link(
        &mut self,
        episode: EpisodeId,
        doc: DocumentId,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.require_pair(episode, doc)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 10_000) {
            return Err(Error::Invalid("the note is longer than 10,000 characters".into()));
        }
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO links (episode_id, document_id, kind, state, score, reasons, note, decided, created_at, updated_at) \
             VALUES (?1, ?2, 'manual', 'accepted', 1, '[]', ?3, 1, ?4, ?4) \
             ON CONFLICT (episode_id, document_id) DO UPDATE SET kind = 'manual', state = 'accepted', score = 1, \
             note = COALESCE(?3, links.note), decided = 1, updated_at = ?4",
            params![episode.0, doc.0, note, rfc3339(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes a link: a manual one is deleted; an automatic one is marked rejected so that
    /// relinking does not bring it back.
    pub fn unlink(&mut self, episode: EpisodeId, doc: DocumentId, now: DateTime<Utc>) -> Result<Unlinked> {
        match self.require_pair(episode, doc)? {
            None => Err(Error::NotFound(format!(
                "a link between episode {} and document {}",
                episode.0, doc.0
            ))),
            Some((LinkKind::Manual, _)) => {
                self.conn().execute(
                    "DELETE FROM links WHERE episode_id = ?1 AND document_id = ?2",
                    [episode.0, doc.0],
                )?;
                Ok(Unlinked::Deleted)
            }
            Some(_) => {
                self.reject_link(episode, doc, now)?;
                Ok(Unlinked::Rejected)
            }
        }
    }
}

impl Library {
    /// Stores a document row the way the blog ingest does, for tests of the linker and of the
    /// shells (which cannot speak SQL). Not for production use: the blog ingest owns documents.
    #[doc(hidden)]
    pub fn insert_document_for_tests(
        &mut self,
        kind: &str,
        url: &str,
        title: &str,
        published: Option<&str>,
        html: &str,
    ) -> Result<DocumentId> {
        let ts = published
            .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
            .map(|t| t.timestamp());
        self.conn().execute(
            "INSERT INTO documents (kind, url, title, published, published_ts, html_raw, text, fetched_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '1970-01-01T00:00:00Z')",
            params![kind, url, title, published, ts, html, crate::html::to_text(html)],
        )?;
        Ok(DocumentId(self.conn().last_insert_rowid()))
    }
}
