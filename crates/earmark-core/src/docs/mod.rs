//! Blog posts and web pages ("documents") beside the episodes: blog sources read whole through the
//! WordPress REST API or, failing that, the paged RSS feed; pages added by URL with their main
//! content extracted; collections (campaigns, topics) and staff's tags.
//!
//! - [`model`]: the records the CLI prints and the app shows.
//! - [`wordpress`]: pure reading of REST API answers and RSS pages into [`NewDocument`]s.
//! - [`page`]: main-content extraction from a whole web page.
//! - [`clean`]: hostile HTML made safe (trackers, scripts, furniture out; ammonia).
//! - [`fetching`]: the network side: discovering a site's API, paging through its archive,
//!   incremental refreshes, adding pages one by one without one failure stopping the rest.
//! - `store`, `collections`, `tags`: the SQL, as methods on [`Library`](crate::Library).

pub mod clean;
mod collections;
pub mod fetching;
pub mod images;
pub mod model;
pub mod page;
mod store;
mod tags;
pub mod wordpress;

use crate::error_code::ErrorCode;
use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::Xxh3;

pub use fetching::{add_pages, add_source, fetch_shared_pages, refresh_source, refresh_sources};
pub use model::*;
pub use store::{Change, DocQuery};

/// Why a post, a page or a blog's archive could not be used (the fetch itself worked).
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The URL answered with something that is not a web page (an image, a PDF, binary junk).
    #[error("{url} is not a web page: {detail}")]
    NotHtml {
        /// The page's URL.
        url: String,
        /// What was found instead.
        detail: String,
    },
    /// The page parsed but holds no readable text once menus and sidebars are gone.
    #[error("no readable content found at {0}")]
    NoContent(String),
    /// The WordPress REST API answered something we cannot read.
    #[error("the WordPress API at {url} answered something unreadable: {detail}")]
    BadApi {
        /// The request's URL.
        url: String,
        /// What the JSON parser said.
        detail: String,
    },
    /// The blog's RSS feed could not be read.
    #[error("the feed at {url} could not be read: {detail}")]
    BadFeed {
        /// The feed page's URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

impl DocError {
    /// A short stable code for the kind of failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            DocError::NotHtml { .. } => ErrorCode::NotHtml,
            DocError::NoContent(_) => ErrorCode::NoContent,
            DocError::BadApi { .. } => ErrorCode::BadApi,
            DocError::BadFeed { .. } => ErrorCode::BadFeed,
        }
    }
}

/// A post or page as read from the network, ready to store. Identity is the URL.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument {
    /// Post or page.
    pub kind: DocKind,
    /// Its address (unique in the library).
    pub url: String,
    /// The site's own id (WordPress post id), when known.
    pub remote_id: Option<String>,
    /// Title, plain text.
    pub title: String,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last modification the site reports.
    pub modified: Option<DateTime<Utc>>,
    /// Author's display name.
    pub author: Option<String>,
    /// Category names.
    pub categories: Vec<String>,
    /// The site's tag names.
    pub tags: Vec<String>,
    /// The HTML as fetched (a post's body, or a page's main block before sanitising).
    pub html_raw: String,
    /// Sanitised HTML for display.
    pub html_clean: String,
    /// Plain text for search and linking.
    pub text: String,
}

impl NewDocument {
    /// A fingerprint of everything stored, so a document fetched again unchanged costs no write.
    pub fn content_hash(&self) -> i64 {
        let mut h = Xxh3::new();
        let mut put = |s: &str| {
            h.update(s.as_bytes());
            h.update(&[0xff]);
        };
        put(self.kind.as_str());
        put(&self.title);
        put(self.remote_id.as_deref().unwrap_or(""));
        put(&self.published.map(|d| d.timestamp().to_string()).unwrap_or_default());
        put(&self.modified.map(|d| d.timestamp().to_string()).unwrap_or_default());
        put(self.author.as_deref().unwrap_or(""));
        put(&self.categories.join("\u{1f}"));
        put(&self.tags.join("\u{1f}"));
        put(&self.html_raw);
        // Stored as SQLite INTEGER: reinterpret the bits.
        h.digest() as i64
    }
}
