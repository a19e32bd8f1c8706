//! Commands for the blog archive: sources and pages, campaigns, documents, and the links that
//! join episodes to them. Thin wrappers over earmark-core's `docs` and `link` modules; fetching
//! work opens its own library connection so reads in the window never wait on the network.

use std::sync::Arc;

use earmark_core::docs::fetching;
use earmark_core::docs::model::{
    Collection, CollectionId, CollectionMember, CollectionView, DocumentDetail, DocumentId, DocumentRow, PageOutcome,
    Source, SourceReport, Tagged, TagsView,
};
use earmark_core::docs::DocQuery;
use earmark_core::image_proxy::ImageOwner;
use earmark_core::link::model::{DocumentLink, EpisodeLink, RelinkReport, RelinkScope, ReviewItem};
use earmark_core::model::{EpisodeId, Window};
use earmark_core::Library;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::access::{blocking, now, read, write, Res};
use crate::AppState;

/// Adds a blog by its home URL and reads its whole archive, then links new documents.
#[tauri::command]
pub async fn add_source(state: State<'_, Arc<AppState>>, url: String, campaign: Option<String>) -> Res<SourceReport> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let fetcher = state.config.fetcher()?;
        let campaign = campaign.filter(|c| !c.trim().is_empty());
        let report = fetching::add_source(&mut lib, &fetcher, &url, campaign.as_deref(), now())?;
        lib.relink(&RelinkScope::New, now())?;
        Ok(report)
    })
    .await
}

/// Adds pages by URL (each succeeds or fails on its own), then links them.
#[tauri::command]
pub async fn add_pages(
    state: State<'_, Arc<AppState>>,
    urls: Vec<String>,
    campaign: Option<String>,
) -> Res<Vec<PageOutcome>> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let fetcher = state.config.fetcher()?;
        let campaign = campaign.filter(|c| !c.trim().is_empty());
        let urls: Vec<String> = urls
            .into_iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        let outcomes = fetching::add_pages(&mut lib, &fetcher, &urls, campaign.as_deref(), now())?;
        lib.relink(&RelinkScope::New, now())?;
        Ok(outcomes)
    })
    .await
}

/// One window of the archive's list (`list_documents`), with its length: the list loads as it scrolls.
#[tauri::command]
pub async fn document_window(
    state: State<'_, Arc<AppState>>,
    campaign: Option<String>,
    offset: u64,
    limit: u32,
) -> Res<Window<DocumentRow>> {
    read(&state, move |lib| {
        lib.document_window(
            &DocQuery {
                campaign: campaign.as_deref(),
                ..DocQuery::default()
            },
            offset,
            limit.min(crate::commands::MAX_WINDOW),
        )
    })
    .await
}

/// Posts and pages, newest first (or a campaign's, in its order).
#[tauri::command]
pub async fn list_documents(state: State<'_, Arc<AppState>>, campaign: Option<String>) -> Res<Vec<DocumentRow>> {
    read(&state, move |lib| {
        lib.documents(&DocQuery {
            campaign: campaign.as_deref(),
            ..DocQuery::default()
        })
    })
    .await
}

/// One document with its sanitised HTML.
#[tauri::command]
pub async fn get_document(state: State<'_, Arc<AppState>>, id: DocumentId) -> Res<DocumentDetail> {
    // Images kept for offline reading are shown from the local copies, others through the proxy.
    read(&state, move |lib| lib.document_shown(id)).await
}

/// Lets a podcast's, source's or page's remote images load (through the `remoteimg:` proxy), or
/// stops them.
#[tauri::command]
pub async fn set_remote_images(state: State<'_, Arc<AppState>>, owner: ImageOwner, on: bool) -> Res<()> {
    write(&state, move |lib| lib.set_remote_images(owner, on)).await
}

/// The episodes linked to a document.
#[tauri::command]
pub async fn document_links(state: State<'_, Arc<AppState>>, id: DocumentId) -> Res<Vec<DocumentLink>> {
    read(&state, move |lib| lib.document_links(id)).await
}

/// The blogs whose archives are kept, with how each was read last and, in a shared archive, who
/// added it: the list beside the form that adds one.
#[tauri::command]
pub async fn list_sources(state: State<'_, Arc<AppState>>) -> Res<Vec<Source>> {
    read(&state, move |lib| lib.sources()).await
}

/// Campaigns and topics.
#[tauri::command]
pub async fn list_collections(state: State<'_, Arc<AppState>>) -> Res<Vec<Collection>> {
    read(&state, move |lib| lib.collections(None)).await
}

/// A campaign's pages and every episode linked to any of them.
#[tauri::command]
pub async fn collection_view(state: State<'_, Arc<AppState>>, id: CollectionId) -> Res<CollectionView> {
    read(&state, move |lib| lib.collection_view(id)).await
}

/// Moves a member to place `to` (0 is first) in its collection's order.
#[tauri::command]
pub async fn collection_move(
    state: State<'_, Arc<AppState>>,
    id: CollectionId,
    member: CollectionMember,
    to: usize,
) -> Res<CollectionView> {
    arrange(&state, id, move |lib| lib.collection_move(id, member, to)).await
}

/// Takes a member out of its collection (the episode or document itself stays in the library).
#[tauri::command]
pub async fn collection_remove(
    state: State<'_, Arc<AppState>>,
    id: CollectionId,
    member: CollectionMember,
) -> Res<CollectionView> {
    arrange(&state, id, move |lib| lib.collection_remove(id, member).map(|_| ())).await
}

/// Changes a collection's members, answers with its view, and asks for a share sync: a shared
/// archive carries members and their order to the team.
async fn arrange(
    state: &State<'_, Arc<AppState>>,
    id: CollectionId,
    change: impl FnOnce(&mut Library) -> earmark_core::Result<()> + Send + 'static,
) -> Res<CollectionView> {
    let view = write(state, move |lib| {
        change(lib)?;
        lib.collection_view(id)
    })
    .await?;
    state.sync.poke();
    Ok(view)
}

/// An episode's or document's tags, with who put each there in a shared archive, and the
/// library's vocabulary for completion.
#[tauri::command]
pub async fn item_tags(state: State<'_, Arc<AppState>>, on: Tagged) -> Res<TagsView> {
    read(&state, move |lib| lib.tags_view(on)).await
}

/// Adds and removes tags on an episode or document; a shared archive carries them to the team.
#[tauri::command]
pub async fn edit_tags(
    state: State<'_, Arc<AppState>>,
    on: Tagged,
    add: Vec<String>,
    remove: Vec<String>,
) -> Res<TagsView> {
    let view = write(&state, move |lib| {
        let add: Vec<&str> = add.iter().map(String::as_str).collect();
        let remove: Vec<&str> = remove.iter().map(String::as_str).collect();
        lib.edit_tags(on, &add, &remove)
    })
    .await?;
    state.sync.poke();
    Ok(view)
}

/// The posts and pages linked or suggested for an episode.
#[tauri::command]
pub async fn episode_links(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<Vec<EpisodeLink>> {
    read(&state, move |lib| lib.episode_links(id)).await
}

/// What a person decided about a link.
#[derive(Debug, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[ts(export)]
pub enum LinkDecision {
    /// Keep a suggestion.
    Accept,
    /// Drop a suggestion for good.
    Reject,
    /// Remove a link (a manual one is deleted; an automatic one becomes rejected).
    Unlink,
    /// Link by hand, with an optional note.
    Link {
        /// Why, in the person's words.
        note: Option<String>,
    },
}

/// Accept, reject, unlink or link an episode and a document.
#[tauri::command]
pub async fn decide_link(
    state: State<'_, Arc<AppState>>,
    episode: EpisodeId,
    doc: DocumentId,
    decision: LinkDecision,
) -> Res<()> {
    write(&state, move |lib| {
        let (e, d) = (episode, doc);
        match decision {
            LinkDecision::Accept => lib.accept_link(e, d, now()),
            LinkDecision::Reject => lib.reject_link(e, d, now()),
            LinkDecision::Unlink => lib.unlink(e, d, now()).map(|_| ()),
            LinkDecision::Link { note } => lib.add_manual_link(e, d, note.as_deref(), now()),
        }
    })
    .await?;
    // A decision is shared with the team at the next sync, which this asks for.
    state.sync.poke();
    Ok(())
}

/// Pending suggestions, strongest first.
#[tauri::command]
pub async fn review_queue(state: State<'_, Arc<AppState>>, limit: Option<usize>) -> Res<Vec<ReviewItem>> {
    read(&state, move |lib| lib.link_review_queue(limit.unwrap_or(500))).await
}

/// Recomputes automatic links for every episode (people's decisions are kept).
#[tauri::command]
pub async fn relink_all(state: State<'_, Arc<AppState>>) -> Res<RelinkReport> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        Ok(lib.relink(&RelinkScope::All, now())?)
    })
    .await
}

/// Keeps the images of a document's source (or of the one page, when it has no source) for
/// offline reading; an archived source keeps new images on each refresh.
#[tauri::command]
pub async fn archive_images(
    state: State<'_, Arc<AppState>>,
    source: Option<earmark_core::docs::model::SourceId>,
) -> Res<earmark_core::docs::images::ArchiveReport> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let fetcher = state.config.fetcher()?;
        if let Some(s) = source {
            lib.set_source_archive(s, true)?;
        }
        Ok(earmark_core::docs::images::archive_images(
            &mut lib,
            &fetcher,
            source,
            now(),
        )?)
    })
    .await
}
