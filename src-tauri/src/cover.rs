//! The `cover:` URI scheme: serves a podcast's cover art when it is a local file (feeds added
//! from disk), so the page never needs file access. Only the exact file a podcast names is served.

use std::sync::Arc;

use earmark_core::model::PodcastId;
use tauri::http::{Request, Response, StatusCode};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder, Wry};

use crate::access::lock;
use crate::AppState;

/// Answers `cover://localhost/<podcast id>` on the blocking pool: the handler is called on the
/// main thread, which must keep drawing while the library or the disk is slow.
pub fn serve(ctx: UriSchemeContext<'_, Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let state = Arc::clone(&ctx.app_handle().state::<Arc<AppState>>());
    tauri::async_runtime::spawn_blocking(move || responder.respond(answer(&state, &request)));
}

fn answer(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some(id) = request.uri().path().trim_start_matches('/').parse::<i64>().ok() else {
        return not_found();
    };
    // Only a podcast whose feed is itself a local file may name a local cover.
    let image = lock(&state.library)
        .ok()
        .and_then(|lib| lib.podcast(PodcastId(id)).ok())
        .filter(|p| earmark_core::local_files::feed_may_name_files(&p.feed_url))
        .and_then(|p| p.image_url);
    let Some(path) = image
        .and_then(|u| url::Url::parse(&u).ok())
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
    else {
        return not_found();
    };
    let mime = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => return not_found(),
    };
    file_response(&path, mime)
}

/// The largest file served: covers and post images are well under this.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// The file at `path` as `mime`, or a 404 when it cannot be read, is not a regular file (a
/// device never ends) or is larger than any image has reason to be.
pub fn file_response(path: &std::path::Path, mime: &str) -> Response<Vec<u8>> {
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES);
    if !regular {
        return not_found();
    }
    match std::fs::read(path) {
        Ok(bytes) => Response::builder()
            .header("Content-Type", mime)
            .body(bytes)
            .unwrap_or_else(|_| not_found()),
        Err(_) => not_found(),
    }
}

/// An empty 404, for anything that is not a podcast's own local cover.
pub fn not_found() -> Response<Vec<u8>> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .body(Vec::new())
        .unwrap_or_default()
}
