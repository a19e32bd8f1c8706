//! The records the linker hands out: what the episode page, the document page and the review queue
//! show, and what `earmark-cli links --json` prints. Their field names are a contract with the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Changed, EpisodeId};

/// Documents are identified the same way everywhere: the ingestion side defines the id.
pub use crate::docs::model::DocumentId;

/// Why a link exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum LinkKind {
    /// Hard evidence: a hyperlink, an embedded player, the exact title.
    Explicit,
    /// Similar wording, shared names, close dates: a person should confirm it.
    Suggested,
    /// A person made it.
    Manual,
}

impl LinkKind {
    /// As stored in the `links` table.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn parse(s: &str) -> Self {
        s.parse().unwrap_or(LinkKind::Suggested)
    }
}

/// Where a link stands with the staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum LinkState {
    /// Waiting for a person.
    Suggested,
    /// Counts as a link (explicit evidence, or a person said so).
    Accepted,
    /// A person said no; the pair is never suggested again.
    Rejected,
}

impl LinkState {
    /// As stored in the `links` table.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn parse(s: &str) -> Self {
        s.parse().unwrap_or(LinkState::Suggested)
    }
}

/// One document linked to an episode, as the episode page lists it
/// (`earmark-cli links EPISODE --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EpisodeLink {
    /// The document.
    pub doc_id: DocumentId,
    /// Its address.
    pub url: String,
    /// Its title.
    pub title: String,
    /// explicit, suggested or manual.
    pub kind: LinkKind,
    /// suggested, accepted or rejected.
    pub state: LinkState,
    /// Strength in [0, 1] (1 for hard evidence and manual links).
    pub score: f64,
    /// Sentences a person can read, e.g. "links to this episode's audio"; the first says why in
    /// one line.
    pub reasons: Vec<String>,
    /// Codes of the kinds of evidence behind an automatic link ("links_audio", "names_title",
    /// "podcast_category", …); empty for a manual one.
    pub evidence: Vec<String>,
    /// In a shared archive: who changed the decision on this link last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// One episode linked to a document, as the document page lists it (`earmark-cli doc-links`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DocumentLink {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Its title.
    pub title: String,
    /// When it was published (RFC 3339).
    pub published: Option<String>,
    /// explicit, suggested or manual.
    pub kind: LinkKind,
    /// suggested, accepted or rejected.
    pub state: LinkState,
    /// Strength in [0, 1].
    pub score: f64,
    /// Why.
    pub reasons: Vec<String>,
    /// The note a person left on a manual link.
    pub note: Option<String>,
    /// Codes of the kinds of evidence behind it.
    pub evidence: Vec<String>,
    /// In a shared archive: who changed the decision on this link last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// A pending suggestion in the review queue (`earmark-cli review --json`), strongest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReviewItem {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Its title.
    pub episode_title: String,
    /// The document.
    pub doc_id: DocumentId,
    /// Its title.
    pub doc_title: String,
    /// Its address.
    pub url: String,
    /// Calibrated strength in [0, 1]: the share of suggestions this strong that were right.
    pub score: f64,
    /// Why.
    pub reasons: Vec<String>,
    /// Codes of the kinds of evidence behind it.
    pub evidence: Vec<String>,
}

/// What a relink did (`earmark-cli relink --json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RelinkReport {
    /// Episodes examined.
    pub episodes: u64,
    /// Documents whose outgoing links were (re)read.
    pub documents_indexed: u64,
    /// Explicit links now stored (automatic rows).
    pub explicit: u64,
    /// Suggestions now stored (automatic rows).
    pub suggested: u64,
    /// Automatic rows removed because they no longer qualify.
    pub removed: u64,
    /// Rows a person decided, left as they were.
    pub kept_decided: u64,
}

/// Which episodes a relink looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelinkScope {
    /// Every episode (after documents were added or changed, or on demand).
    All,
    /// Only these episodes.
    Episodes(Vec<EpisodeId>),
    /// Episodes never linked or changed since they were last linked, and everything when any
    /// document changed since the last relink.
    New,
}

/// What `unlink` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Unlinked {
    /// A manual link was deleted.
    Deleted,
    /// An automatic link was marked rejected, so relinking does not bring it back.
    Rejected,
}
