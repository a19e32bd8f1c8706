//! `earmark-cli relink | links | link | unlink | accept | reject | review | doc-links`: the links
//! between episodes and the blog posts and pages about them.

use anyhow::Result;
use earmark_core::link::{DocumentId, RelinkScope, Unlinked};
use earmark_core::model::EpisodeId;
use earmark_core::Library;
use serde::Serialize;

use crate::{now, print_json};

/// The JSON contract of `links EPISODE --json`: exactly these keys.
#[derive(Serialize)]
struct LinkJson<'a> {
    doc_id: i64,
    url: &'a str,
    title: &'a str,
    kind: &'a str,
    state: &'a str,
    score: f64,
    reasons: &'a [String],
    /// Codes of the kinds of evidence (issue 16), e.g. "embeds_player", "podcast_category".
    evidence: &'a [String],
}

/// Recomputes automatic links (all episodes, the given ones, or only new and changed ones).
pub fn relink(lib: &mut Library, episodes: &[i64], new_only: bool, json: bool) -> Result<()> {
    let scope = if !episodes.is_empty() {
        RelinkScope::Episodes(episodes.iter().copied().map(EpisodeId).collect())
    } else if new_only {
        RelinkScope::New
    } else {
        RelinkScope::All
    };
    let r = lib.relink(&scope, now())?;
    if json {
        print_json(&r)?;
    } else {
        say!(
            "{} episodes linked ({} documents read): {} explicit, {} suggested, {} removed, {} decided by people kept",
            r.episodes,
            r.documents_indexed,
            r.explicit,
            r.suggested,
            r.removed,
            r.kept_decided
        );
    }
    Ok(())
}

/// Lists an episode's linked documents.
pub fn links(lib: &Library, episode: i64, json: bool) -> Result<()> {
    let rows = lib.episode_links(EpisodeId(episode))?;
    if json {
        let out: Vec<LinkJson<'_>> = rows
            .iter()
            .map(|l| LinkJson {
                doc_id: l.doc_id.0,
                url: &l.url,
                title: &l.title,
                kind: l.kind.as_str(),
                state: l.state.as_str(),
                score: l.score,
                reasons: &l.reasons,
                evidence: &l.evidence,
            })
            .collect();
        print_json(&out)?;
    } else if rows.is_empty() {
        say!("Episode {episode} has no linked posts or pages. Try: earmark-cli relink");
    } else {
        for l in rows {
            say!(
                "{:>6}  {:<9} {:<9} {:.2}  {}\n        {}\n        {}",
                l.doc_id.0,
                l.kind.as_str(),
                l.state.as_str(),
                l.score,
                l.title,
                l.url,
                l.reasons.join("; ")
            );
        }
    }
    Ok(())
}

/// Links a document to an episode by hand.
pub fn link(lib: &mut Library, episode: i64, doc: i64, note: Option<&str>) -> Result<()> {
    lib.add_manual_link(EpisodeId(episode), DocumentId(doc), note, now())?;
    say!("Linked document {doc} to episode {episode}.");
    Ok(())
}

/// Removes a link (a manual one is deleted; an automatic one is rejected so it stays away).
pub fn unlink(lib: &mut Library, episode: i64, doc: i64) -> Result<()> {
    match lib.unlink(EpisodeId(episode), DocumentId(doc), now())? {
        Unlinked::Deleted => say!("Removed the link between episode {episode} and document {doc}."),
        Unlinked::Rejected => say!(
            "Removed the link between episode {episode} and document {doc}; it is marked rejected so relinking will not bring it back."
        ),
    }
    Ok(())
}

/// Accepts a suggestion.
pub fn accept(lib: &mut Library, episode: i64, doc: i64) -> Result<()> {
    lib.accept_link(EpisodeId(episode), DocumentId(doc), now())?;
    say!("Accepted: document {doc} is about episode {episode}.");
    Ok(())
}

/// Rejects a suggestion (or a pair before it is ever suggested).
pub fn reject(lib: &mut Library, episode: i64, doc: i64) -> Result<()> {
    lib.reject_link(EpisodeId(episode), DocumentId(doc), now())?;
    say!("Rejected: document {doc} will not be linked to episode {episode} again.");
    Ok(())
}

/// Pending suggestions, strongest first.
pub fn review(lib: &Library, limit: usize, json: bool) -> Result<()> {
    let rows = lib.link_review_queue(limit)?;
    if json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        say!("No suggestions waiting for review.");
    } else {
        for r in rows {
            say!(
                "{:.2}  episode {:>5} {}\n      document {:>5} {}\n      {}",
                r.score,
                r.episode_id.0,
                r.episode_title,
                r.doc_id.0,
                r.doc_title,
                r.reasons.join("; ")
            );
        }
    }
    Ok(())
}

/// The episodes linked to a document.
pub fn doc_links(lib: &Library, doc: i64, json: bool) -> Result<()> {
    let rows = lib.document_links(DocumentId(doc))?;
    if json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        say!("Document {doc} is not linked to any episode.");
    } else {
        for l in rows {
            say!(
                "{:>6}  {:<9} {:<9} {:.2}  {}",
                l.episode_id.0,
                l.kind.as_str(),
                l.state.as_str(),
                l.score,
                l.title
            );
        }
    }
    Ok(())
}
