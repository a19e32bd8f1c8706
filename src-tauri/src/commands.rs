//! The commands the UI calls. Each is one domain operation: take the arguments, call
//! earmark-core on a blocking thread, map the error. No SQL and no logic live here.

use earmark_core::ErrorCode;
use std::sync::Arc;

use earmark_core::model::{
    Episode, EpisodeDetail, EpisodeId, Podcast, PodcastId, RefreshReport, SearchHit, Subscription, Window,
};
use earmark_core::{refresh, resolve, search as core_search, Library};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_opener::OpenerExt;

use crate::access::{blocking, now, read, write, Res};
use crate::ipc::{ApiError, LibraryInfo, QueueEdit, RefreshProgress};
use crate::AppState;

#[tauri::command]
pub async fn list_podcasts(state: State<'_, Arc<AppState>>) -> Res<Vec<Podcast>> {
    read(&state, |lib| lib.podcasts()).await
}

/// The most rows one window may ask for: a list asks for a page or two around what is in view.
pub const MAX_WINDOW: u32 = 2_000;

#[tauri::command]
pub async fn list_episodes(
    state: State<'_, Arc<AppState>>,
    podcast_id: Option<PodcastId>,
    offline_only: bool,
    offset: u64,
    limit: u32,
) -> Res<Window<Episode>> {
    read(&state, move |lib| {
        lib.episode_window(podcast_id, offline_only, offset, limit.min(MAX_WINDOW))
    })
    .await
}

#[tauri::command]
pub async fn get_episode(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<EpisodeDetail> {
    // Notes are sanitised after the read connection is let go: lists and search never wait on them.
    let unprepared = read(&state, move |lib| lib.episode_unprepared(id)).await?;
    blocking(move || Ok(unprepared.prepared())).await
}

#[tauri::command]
pub async fn search(state: State<'_, Arc<AppState>>, query: String) -> Res<Vec<SearchHit>> {
    read(&state, move |lib| core_search::search(lib, &query, 100)).await
}

#[tauri::command]
pub async fn library_info(state: State<'_, Arc<AppState>>) -> Res<LibraryInfo> {
    let dir = state.config.library_dir.display().to_string();
    read(&state, move |lib| {
        Ok(LibraryInfo {
            library_dir: dir,
            podcast_count: lib.podcasts()?.len() as u32,
            default_podcast_id: resolve::DEFAULT_PODCAST_ID,
            version: crate::VERSION.to_owned(),
        })
    })
    .await
}

/// Subscribing fetches from the network, so it uses its own connection: reads stay responsive.
#[tauri::command]
pub async fn subscribe(state: State<'_, Arc<AppState>>, input: String) -> Res<Subscription> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let resolver = state.config.resolver()?;
        Ok(resolve::subscribe(&mut lib, &resolver, &input, now())?)
    })
    .await
}

#[tauri::command]
pub async fn subscribe_default(state: State<'_, Arc<AppState>>) -> Res<Subscription> {
    subscribe(state, resolve::DEFAULT_PODCAST_ID.to_string()).await
}

/// Refreshes every feed, pushing `refresh-progress` events as feeds finish.
#[tauri::command]
pub async fn refresh_all(app: AppHandle, state: State<'_, Arc<AppState>>) -> Res<Vec<RefreshReport>> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let fetcher = state.config.fetcher()?;
        let outcome = earmark_core::refresh_all::refresh_all(
            &mut lib,
            &fetcher,
            None,
            refresh::DEFAULT_CONCURRENCY,
            now(),
            &mut |done, total, r| {
                let _ = app.emit(
                    "refresh-progress",
                    RefreshProgress {
                        done: done as u32,
                        total: total as u32,
                        title: r.title.clone(),
                    },
                );
            },
        )?;
        for problem in &outcome.problems {
            tracing::warn!("refresh: {problem}");
        }
        if !outcome.to_download.is_empty() {
            if let Err(e) = state.downloads.enqueue(&outcome.to_download) {
                tracing::warn!("auto-download: {e}");
            }
        }
        state.sync.poke();
        Ok(outcome.reports)
    })
    .await
}

/// Opens a link from show notes in the system browser; only web and mail links are opened.
#[tauri::command]
pub fn open_link(app: AppHandle, url: String) -> Res<()> {
    let parsed = url::Url::parse(&url).map_err(|_| ApiError::new(ErrorCode::BadUrl, format!("not a link: {url}")))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(ApiError::new(
            ErrorCode::BadUrl,
            format!("Earmark only opens web and mail links, not {}", parsed.scheme()),
        ));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| ApiError::new(ErrorCode::OpenFailed, format!("could not open the browser: {e}")))
}

impl From<earmark_core::FetchError> for ApiError {
    fn from(e: earmark_core::FetchError) -> Self {
        earmark_core::Error::from(e).into()
    }
}

/// The "up next" queue, in order.
#[tauri::command]
pub async fn queue_list(state: State<'_, Arc<AppState>>) -> Res<Vec<Episode>> {
    read(&state, |lib| lib.queue()).await
}

/// Changes the queue and returns it: `add` (at the end, or first with `next`), `remove`, `move`, `clear`.
#[tauri::command]
pub async fn queue_edit(state: State<'_, Arc<AppState>>, edit: QueueEdit) -> Res<Vec<Episode>> {
    write(&state, move |lib| {
        match edit {
            QueueEdit::Add { ids, next } => lib.queue_add(&ids, next)?,
            QueueEdit::Remove { id } => lib.queue_remove(id)?,
            QueueEdit::Move { id, index } => lib.queue_move(id, index as usize)?,
            QueueEdit::Clear => lib.queue_clear()?,
        }
        lib.queue()
    })
    .await
}

/// Sets a podcast's auto-download policy (off, every new episode, or the latest N).
#[tauri::command]
pub async fn set_auto_download(
    state: State<'_, Arc<AppState>>,
    podcast_id: PodcastId,
    policy: earmark_core::download::policy::AutoDownload,
) -> Res<()> {
    write(&state, move |lib| lib.set_auto_download(podcast_id, policy)).await
}

/// Space used by downloads, per podcast.
#[tauri::command]
pub async fn storage(state: State<'_, Arc<AppState>>) -> Res<Vec<earmark_core::storage::PodcastStorage>> {
    read(&state, |lib| lib.storage_by_podcast()).await
}
