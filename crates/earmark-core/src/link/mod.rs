//! Links between episodes and the documents (blog posts, campaign pages) about them.
//!
//! A link has a kind (`explicit`: hard evidence such as a hyperlink to the episode's audio;
//! `suggested`: similar wording, shared names, close dates; `manual`: a person made it) and a state
//! (`suggested`, `accepted`, `rejected`). [`crate::Library::relink`] computes the automatic ones;
//! people decide with [`crate::Library::accept_link`], [`crate::Library::reject_link`],
//! [`crate::Library::add_manual_link`] and [`crate::Library::unlink`], and a decided row is never
//! changed by a relink.
//!
//! - `urls`: URL normal form and the URLs an HTML fragment points at.
//! - `similarity`: words, TF-IDF vectors, cosine.
//! - `names`: names of people in running text.
//! - `evidence`: the kinds of hard evidence and when a title is distinctive.
//! - `reader`: one connection's statements and caches during a pass.
//! - `relink`: the pass itself, over the full-text and URL indexes, in parallel when long.
//! - `store`: reading links and recording decisions.

pub mod evidence;
pub mod hosts;
pub mod model;
pub mod names;
mod reader;
mod relink;
pub mod similarity;
mod store;
pub mod urls;

pub use model::{
    DocumentId, DocumentLink, EpisodeLink, LinkKind, LinkState, RelinkReport, RelinkScope, ReviewItem, Unlinked,
};
pub use relink::{confidence, CandidateFeatures, Tuning, FEATURES};
