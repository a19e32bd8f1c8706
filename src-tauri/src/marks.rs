//! Commands for bookmarks (segments of episodes), their exports, and transcripts. Thin wrappers
//! over earmark-core's `bookmarks` and `transcript` modules.

use std::sync::Arc;

use earmark_core::bookmarks::export;
use earmark_core::bookmarks::model::{Bookmark, BookmarkEdit, BookmarkFilter, BookmarkId, BookmarkRow, NewBookmark};
use earmark_core::model::{EpisodeId, Window};
use earmark_core::transcript::TranscriptCue;
use earmark_core::Library;
use tauri::State;

use crate::access::{blocking, now, read, write, Res};
use crate::ipc::ApiError;
use crate::AppState;

/// Bookmarks matching the filter (the library-wide view, or one episode's).
#[tauri::command]
pub async fn list_bookmarks(state: State<'_, Arc<AppState>>, filter: BookmarkFilter) -> Res<Vec<BookmarkRow>> {
    read(&state, move |lib| lib.bookmarks(&filter)).await
}

/// One window of the bookmarks view, with its length: the list loads as it scrolls.
#[tauri::command]
pub async fn bookmark_window(
    state: State<'_, Arc<AppState>>,
    filter: BookmarkFilter,
    offset: u64,
    limit: u32,
) -> Res<Window<BookmarkRow>> {
    read(&state, move |lib| {
        lib.bookmark_window(&filter, offset, limit.min(crate::commands::MAX_WINDOW))
    })
    .await
}

/// Makes a bookmark (times are checked against the episode).
#[tauri::command]
pub async fn add_bookmark(state: State<'_, Arc<AppState>>, bookmark: NewBookmark) -> Res<Bookmark> {
    let made = write(&state, move |lib| lib.add_bookmark(&bookmark, now())).await?;
    state.sync.poke();
    Ok(made)
}

/// Changes the given fields of a bookmark.
#[tauri::command]
pub async fn edit_bookmark(state: State<'_, Arc<AppState>>, id: BookmarkId, edit: BookmarkEdit) -> Res<Bookmark> {
    let edited = write(&state, move |lib| lib.edit_bookmark(id, &edit, now())).await?;
    state.sync.poke();
    Ok(edited)
}

/// Deletes a bookmark.
#[tauri::command]
pub async fn delete_bookmark(state: State<'_, Arc<AppState>>, id: BookmarkId) -> Res<()> {
    write(&state, move |lib| lib.delete_bookmark(id)).await?;
    state.sync.poke();
    Ok(())
}

/// Writes every bookmark as Markdown, CSV or JSON into the library's `exports` folder (under a
/// name made here) and returns the file's path for the window to show.
#[tauri::command]
pub async fn export_bookmarks(state: State<'_, Arc<AppState>>, format: String) -> Res<String> {
    let write_out: fn(&Library) -> earmark_core::Result<String> = match format.as_str() {
        "md" => |lib| export::to_markdown(lib, now()),
        "csv" => export::to_csv,
        "json" => |lib| export::to_json(lib, now()),
        other => {
            return Err(ApiError::from(earmark_core::Error::Invalid(format!(
                "unknown export format {other:?}; use md, csv or json"
            ))))
        }
    };
    let ext = format;
    // The text is made under the read lock; the file is written after it is released.
    let text = read(&state, write_out).await?;
    let dir = state.config.library_dir.join("exports");
    blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|source| earmark_core::Error::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("bookmarks-{}.{ext}", now().format("%Y%m%d-%H%M%S")));
        let tmp = path.with_extension(format!("{ext}.part"));
        let io = |source| earmark_core::Error::Io {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(path.display().to_string())
    })
    .await
}

/// The transcript of an episode, fetched (once) when it offers one.
#[tauri::command]
pub async fn episode_transcript(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<Vec<TranscriptCue>> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let fetcher = state.config.fetcher()?;
        Ok(earmark_core::transcript::ensure_transcript(
            &mut lib,
            &fetcher,
            id,
            false,
            now(),
        )?)
    })
    .await
}
