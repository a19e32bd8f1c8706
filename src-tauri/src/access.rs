//! How commands reach the library. Reads go through one shared connection and the UI's small
//! writes through another: a write waits for SQLite's write lock while a refresh or an import
//! commits, and the lists, pages and searches the window asks for meanwhile must not queue
//! behind it. Both run on the blocking pool, never on the main thread (which draws the window)
//! nor on the async runtime.

use earmark_core::ErrorCode;
use std::sync::{Arc, Mutex, MutexGuard};

use earmark_core::Library;

use crate::ipc::ApiError;
use crate::AppState;

/// The time now, for the library calls that are given it.
pub fn now() -> earmark_core::chrono::DateTime<earmark_core::chrono::Utc> {
    earmark_core::chrono::Utc::now()
}

/// What a command answers.
pub type Res<T> = Result<T, ApiError>;

/// Runs blocking work (SQLite, files, the network) on the blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("background task failed: {e}")))?
}

/// Takes one of the app's connections; a poisoned lock (a panic while holding it) is an error
/// the window can show, not a second panic.
pub fn lock(conn: &Mutex<Library>) -> Res<MutexGuard<'_, Library>> {
    conn.lock()
        .map_err(|_| ApiError::new(ErrorCode::Internal, "library lock poisoned; restart Earmark"))
}

/// Runs `f` with the read connection.
pub async fn read<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&Library) -> earmark_core::Result<T> + Send + 'static,
) -> Res<T> {
    let state = Arc::clone(state);
    blocking(move || f(&*lock(&state.library)?).map_err(ApiError::from)).await
}

/// Runs `f` with the write connection (single-row edits: queue, played, bookmarks, links).
pub async fn write<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut Library) -> earmark_core::Result<T> + Send + 'static,
) -> Res<T> {
    let state = Arc::clone(state);
    blocking(move || f(&mut *lock(&state.writer)?).map_err(ApiError::from)).await
}
