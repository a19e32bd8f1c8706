//! Download commands: the UI asks for episodes, pauses or deletes them; the library's download
//! manager does the work and its events reach the window as `download-progress`.

use earmark_core::ErrorCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use earmark_core::config::Config;
use earmark_core::download::queue::{DownloadQueue, DEFAULT_CONCURRENCY};
use earmark_core::model::{DownloadRow, EpisodeId};
use tauri::{AppHandle, Emitter, State};

use crate::access::{blocking, lock, read, Res};
use crate::ipc::ApiError;
use crate::AppState;

/// Starts the download manager for the app.
/// A finished download is measured for even loudness.
pub fn start(app: AppHandle, config: &Config, measurer: crate::sound::Measurer) -> anyhow::Result<DownloadQueue> {
    Ok(DownloadQueue::start(
        config.library_dir.clone(),
        config.fetcher()?,
        DEFAULT_CONCURRENCY,
        Arc::new(crate::access::now),
        move |event| {
            if event.status.state == earmark_core::model::DownloadState::Done {
                measurer.measure(event.status.episode_id);
            }
            let _ = app.emit("download-progress", &event);
        },
    )?)
}

/// Picks up what a crash or a quit left queued or under way (each resumes from its `.part`
/// file), on a thread of its own: with many of them this takes seconds, and the window is up.
pub fn resume(state: Arc<AppState>) {
    let spawned = std::thread::Builder::new()
        .name("earmark-resume".into())
        .spawn(move || match state.downloads.resume_unfinished() {
            Ok(resumed) if !resumed.is_empty() => {
                tracing::info!(count = resumed.len(), "resumed downloads left from the last run");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("could not resume earlier downloads: {e}"),
        });
    if let Err(e) = spawned {
        tracing::warn!("could not resume earlier downloads: {e}");
    }
}

/// Queues episodes for download (already downloaded ones report done at once).
#[tauri::command]
pub async fn download_episodes(state: State<'_, Arc<AppState>>, ids: Vec<EpisodeId>) -> Res<()> {
    let state = Arc::clone(&state);
    blocking(move || state.downloads.enqueue(&ids).map_err(ApiError::from)).await
}

/// Pauses a queued or running download; the partial file stays for a later resume.
#[tauri::command]
pub async fn pause_download(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<bool> {
    let state = Arc::clone(&state);
    blocking(move || state.downloads.pause(id).map_err(ApiError::from)).await
}

/// Deletes an episode's download (finished or partial); the episode and everything about it stay.
#[tauri::command]
pub async fn delete_download(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<bool> {
    let state = Arc::clone(&state);
    blocking(move || {
        // A running transfer is stopped first, so it cannot write the file back after the delete.
        state.downloads.pause(id).map_err(ApiError::from)?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while state.downloads.is_active(id) {
            if Instant::now() > deadline {
                return Err(ApiError::new(
                    ErrorCode::Busy,
                    "The download is still stopping; try again in a moment.",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        lock(&state.writer)?.delete_download(id).map_err(ApiError::from)
    })
    .await
}

/// Every download the library knows.
#[tauri::command]
pub async fn list_downloads(state: State<'_, Arc<AppState>>) -> Res<Vec<DownloadRow>> {
    read(&state, |lib| lib.downloads()).await
}
