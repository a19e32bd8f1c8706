//! The records about blog posts, web pages, their sources, collections and tags that the CLI
//! prints and the app shows. Their field names are a contract with the UI: the TypeScript twins in
//! `ui/src/bindings/` are generated from them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Changed, EpisodeId};

/// A document's row id, typed so it cannot be swapped with an episode's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DocumentId(#[ts(type = "number")] pub i64);

/// A blog source's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SourceId(#[ts(type = "number")] pub i64);

/// A collection's (campaign's or topic's) row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CollectionId(#[ts(type = "number")] pub i64);

/// Whether a document is a dated blog post or a standing page: they are listed and searched apart.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum DocKind {
    /// A blog post (WordPress post, or an RSS item).
    Post,
    /// A page: a WordPress page, or any page added by URL.
    Page,
}

impl DocKind {
    /// The word stored in the library.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored word (anything but `post` reads as a page).
    pub fn parse(s: &str) -> Self {
        s.parse().unwrap_or(DocKind::Page)
    }
}

/// One document as lists show it (`earmark-cli docs --json`): exactly these keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DocumentRow {
    /// Row id.
    pub id: DocumentId,
    /// Post or page.
    pub kind: DocKind,
    /// Title as plain text.
    pub title: String,
    /// Where it lives on the web (its identity in the library).
    pub url: String,
    /// Publication time (RFC 3339), or null when unknown.
    pub published: Option<String>,
    /// The campaign it belongs to (the first by name when several), or null.
    pub campaign: Option<String>,
}

/// Everything about one document, for its page in the app. `html` is sanitised: safe to insert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DocumentDetail {
    /// Row id.
    pub id: DocumentId,
    /// Post or page.
    pub kind: DocKind,
    /// Title as plain text.
    pub title: String,
    /// Its address on the web.
    pub url: String,
    /// Publication time (RFC 3339).
    pub published: Option<String>,
    /// Last modification the site reported (RFC 3339).
    pub modified: Option<String>,
    /// Author's display name, when the site says.
    pub author: Option<String>,
    /// The site's categories (names).
    pub categories: Vec<String>,
    /// The site's own tags (names).
    pub site_tags: Vec<String>,
    /// Staff's tags on this document.
    pub tags: Vec<String>,
    /// Collections (campaigns, topics) holding it, by name.
    pub collections: Vec<String>,
    /// The blog source it came from (null for pages added by URL).
    pub source_id: Option<SourceId>,
    /// The sanitised HTML the app displays (no scripts, handlers, trackers or `javascript:` links).
    pub html: String,
    /// Plain text (search and linking read this; it also reads offline).
    pub text: String,
    /// When Earmark last fetched it (RFC 3339).
    pub fetched_at: String,
    /// Images in the text on other servers, shown through the app's proxy once
    /// `remote_images_allowed` ([`crate::Library::document_shown`] fills both).
    pub remote_images: u32,
    /// Whether the source's (or page's) remote images are loaded.
    pub remote_images_allowed: bool,
    /// In a shared archive: who changed it (a page added by URL) last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// How a blog source's archive was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum SourceMethod {
    /// The WordPress REST API (`/wp-json/wp/v2/...`).
    Rest,
    /// The RSS feed, paged with `?paged=N`.
    Rss,
}

impl SourceMethod {
    /// The word stored in the library.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored word.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A blog source as lists show it (`earmark-cli sources --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Source {
    /// Row id.
    pub id: SourceId,
    /// The blog's home URL, as given.
    pub home_url: String,
    /// The site's name, once known.
    pub title: String,
    /// How the archive was read last time.
    pub method: Option<SourceMethod>,
    /// Campaign its documents join, if it was added with one.
    pub campaign: Option<String>,
    /// Documents stored from it.
    #[ts(type = "number")]
    pub document_count: i64,
    /// Last successful fetch (RFC 3339).
    pub last_refresh: Option<String>,
    /// The newest modification date seen: later refreshes ask only for what changed after it.
    pub high_water: Option<String>,
    /// Why the last refresh failed, if it did.
    pub last_error: Option<String>,
    /// In a shared archive: who changed it (added it, or its campaign) last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// What adding or refreshing a source did (`earmark-cli source add --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SourceReport {
    /// The source.
    pub source: Source,
    /// Documents added.
    #[ts(type = "number")]
    pub new: u64,
    /// Documents whose content changed.
    #[ts(type = "number")]
    pub updated: u64,
    /// Documents fetched again but unchanged.
    #[ts(type = "number")]
    pub unchanged: u64,
    /// HTTP requests made (pages of the archive, term look-ups).
    #[ts(type = "number")]
    pub requests: u64,
}

/// What happened to one URL of `earmark-cli page add` (a failure never stops the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PageOutcome {
    /// The URL as given.
    pub url: String,
    /// The stored document, when it worked.
    pub document: Option<DocumentRow>,
    /// True when the page was already in the library (it was updated, not duplicated).
    pub existed: bool,
    /// Short stable code of the failure (`http_status`, `timeout`, `not_html`, `no_content`, …).
    pub error_code: Option<String>,
    /// Why it failed, for people.
    pub error: Option<String>,
}

/// Campaign (a campaign's own view) or topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum CollectionKind {
    /// A campaign ("In Dad's Shoes"): shown as its own view in the app.
    Campaign,
    /// A topic: a looser grouping.
    Topic,
}

impl CollectionKind {
    /// The word stored in the library.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored word.
    pub fn parse(s: &str) -> Self {
        s.parse().unwrap_or(CollectionKind::Campaign)
    }
}

/// One collection as lists show it (`earmark-cli campaigns --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Collection {
    /// Row id.
    pub id: CollectionId,
    /// Its name (unique, case-insensitive).
    pub name: String,
    /// Campaign or topic.
    pub kind: CollectionKind,
    /// Free text.
    pub description: String,
    /// Documents in it.
    #[ts(type = "number")]
    pub document_count: i64,
    /// Episodes put in it directly.
    #[ts(type = "number")]
    pub episode_count: i64,
    /// In a shared archive: who changed it (its name, kind or members) last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// An episode or a document in a campaign or topic: what a person moves or takes out of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
#[ts(export)]
pub enum CollectionMember {
    /// An episode put in the collection by hand.
    Episode(EpisodeId),
    /// A post or page of the collection.
    Document(DocumentId),
}

/// A campaign's own view: its documents in order, the episodes put in it, and the episodes linked
/// to any of its documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CollectionView {
    /// The collection.
    pub collection: Collection,
    /// Its documents, in the order staff gave them.
    pub documents: Vec<DocumentRow>,
    /// Episodes added to it directly, in order.
    pub episodes: Vec<crate::model::Episode>,
    /// Episodes linked to any of its documents (accepted links, or explicit ones not rejected),
    /// not already in `episodes`; newest first.
    pub linked_episodes: Vec<crate::model::Episode>,
}

/// What staff tag: an episode or a post or page (`{"kind": "episode", "id": 3}` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
#[ts(export)]
pub enum Tagged {
    /// An episode.
    Episode(crate::model::EpisodeId),
    /// A post or page.
    Document(DocumentId),
}

/// One of staff's tags on an episode or document, as its page shows it: in a shared archive a
/// tag is an item of its own, so it says who put it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TagInfo {
    /// The tag, as first spelled.
    pub name: String,
    /// In a shared archive: who put it on this item, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// An item's tags and every tag the library knows (for completion as a person types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TagsView {
    /// The item's tags, by name.
    pub tags: Vec<TagInfo>,
    /// Every tag in the library, by name.
    pub vocabulary: Vec<String>,
}
