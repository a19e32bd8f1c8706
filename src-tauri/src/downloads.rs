//! Download commands: the UI asks for episodes, pauses or deletes them; the library's download
//! manager does the work and its events reach the window as `download-progress`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use earmark_core::config::Config;
use earmark_core::download_queue::{DownloadQueue, DEFAULT_CONCURRENCY};
use earmark_core::model::{DownloadRow, DownloadState, EpisodeId};
use earmark_core::Library;
use tauri::{AppHandle, Emitter, State};

use crate::ipc::ApiError;
use crate::AppState;

type Res<T> = Result<T, ApiError>;

/// Starts the download manager for the app, and picks up what a crash or a quit left queued or
/// under way (each resumes from its `.part` file).
pub fn start(app: AppHandle, config: &Config, library: &Library) -> anyhow::Result<DownloadQueue> {
    let queue = DownloadQueue::start(
        config.library_dir.clone(),
        config.fetcher()?,
        DEFAULT_CONCURRENCY,
        move |event| {
            let _ = app.emit("download-progress", &event);
        },
    )?;
    let unfinished: Vec<EpisodeId> = library
        .downloads()?
        .into_iter()
        .filter(|d| matches!(d.state, DownloadState::Queued | DownloadState::Downloading))
        .map(|d| d.episode_id)
        .collect();
    if !unfinished.is_empty() {
        tracing::info!(count = unfinished.len(), "resuming downloads left from the last run");
        if let Err(e) = queue.enqueue(&unfinished) {
            tracing::warn!("could not resume earlier downloads: {e}");
        }
    }
    Ok(queue)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new("internal", format!("background task failed: {e}")))?
}

/// Queues episodes for download (already downloaded ones report done at once).
#[tauri::command]
pub async fn download_episodes(state: State<'_, Arc<AppState>>, ids: Vec<i64>) -> Res<()> {
    let state = Arc::clone(&state);
    blocking(move || {
        let ids: Vec<EpisodeId> = ids.into_iter().map(EpisodeId).collect();
        state.downloads.enqueue(&ids).map_err(ApiError::from)
    })
    .await
}

/// Pauses a queued or running download; the partial file stays for a later resume.
#[tauri::command]
pub async fn pause_download(state: State<'_, Arc<AppState>>, id: i64) -> Res<bool> {
    let state = Arc::clone(&state);
    blocking(move || state.downloads.pause(EpisodeId(id)).map_err(ApiError::from)).await
}

/// Deletes an episode's download (finished or partial); the episode and everything about it stay.
#[tauri::command]
pub async fn delete_download(state: State<'_, Arc<AppState>>, id: i64) -> Res<bool> {
    let state = Arc::clone(&state);
    blocking(move || {
        let id = EpisodeId(id);
        // A running transfer is stopped first, so it cannot write the file back after the delete.
        state.downloads.pause(id).map_err(ApiError::from)?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while state.downloads.is_active(id) {
            if Instant::now() > deadline {
                return Err(ApiError::new(
                    "busy",
                    "The download is still stopping; try again in a moment.",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut lib = state
            .library
            .lock()
            .map_err(|_| ApiError::new("internal", "library lock poisoned"))?;
        lib.delete_download(id).map_err(ApiError::from)
    })
    .await
}

/// Every download the library knows.
#[tauri::command]
pub async fn list_downloads(state: State<'_, Arc<AppState>>) -> Res<Vec<DownloadRow>> {
    let state = Arc::clone(&state);
    blocking(move || {
        let lib = state
            .library
            .lock()
            .map_err(|_| ApiError::new("internal", "library lock poisoned"))?;
        lib.downloads().map_err(ApiError::from)
    })
    .await
}
