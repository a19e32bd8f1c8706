//! The `cover:` URI scheme: serves a podcast's cover art, so the page loads no image from another
//! server itself. A local cover (a feed added from disk) is read from its file: only the exact
//! file a podcast names. A cover on the web is fetched once, with the rules for addresses a feed
//! names, and kept in the library's `covers/` folder.

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
    let Some(podcast) = lock(&state.library)
        .ok()
        .and_then(|lib| lib.podcast(PodcastId(id)).ok())
    else {
        return not_found();
    };
    let Some(image) = podcast.image_url.as_deref().and_then(|u| url::Url::parse(u).ok()) else {
        return not_found();
    };
    if matches!(image.scheme(), "http" | "https") {
        return web_cover(state, podcast.id.0, &podcast.feed_url, &image);
    }
    // Only a podcast whose feed is itself a local file may name a local cover.
    let Some(path) = Some(image)
        .filter(|u| u.scheme() == "file" && earmark_core::local_files::feed_may_name_files(&podcast.feed_url))
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

/// The largest cover fetched from the web.
const MAX_WEB_COVER_BYTES: u64 = 8 * 1024 * 1024;

/// A cover on the web: from the library's `covers/` folder when it was fetched before (the file is
/// named by the podcast and a hash of the address, so a new cover address fetches again), else
/// fetched now and kept.
fn web_cover(state: &AppState, podcast: i64, feed_url: &str, image: &url::Url) -> Response<Vec<u8>> {
    let folder = state.config.library_dir.join("covers");
    let digest = image.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let kept = folder.join(format!("{podcast}-{digest:016x}"));
    if let Ok(bytes) = std::fs::read(&kept) {
        return image_response(bytes);
    }
    let fetched = state
        .config
        .fetcher()
        .map(|f| f.named_by(feed_url).with_max_bytes(MAX_WEB_COVER_BYTES))
        .and_then(|f| f.get(image).map_err(Into::into));
    match fetched {
        Ok(f) => {
            let response = image_response(f.body.clone());
            if response.status().is_success() {
                // A cover that cannot be kept is still shown; it is fetched again next time.
                let part = folder.join(format!(".{podcast}-{digest:016x}.part"));
                let kept_ok = std::fs::create_dir_all(&folder)
                    .and_then(|()| std::fs::write(&part, &f.body))
                    .and_then(|()| std::fs::rename(&part, &kept));
                if let Err(e) = kept_ok {
                    tracing::warn!("cannot keep the cover of podcast {podcast}: {e}");
                }
            }
            response
        }
        Err(e) => {
            tracing::info!("cover of podcast {podcast}: {e}");
            not_found()
        }
    }
}

/// Image bytes as a response, typed by their first bytes (PNG, JPEG, GIF, WebP); anything else
/// is not an image and gets a 404, whatever a server claimed.
pub fn image_response(bytes: Vec<u8>) -> Response<Vec<u8>> {
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return not_found();
    };
    Response::builder()
        .header("Content-Type", mime)
        .body(bytes)
        .unwrap_or_else(|_| not_found())
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
