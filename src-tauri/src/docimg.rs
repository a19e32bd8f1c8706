//! The `docimg:` URI scheme: serves images kept for offline reading from the library's
//! `doc-images/` folder. Only names Earmark made are served (see `docs::images::is_archive_name`).

use std::sync::Arc;

use earmark_core::docs::images::is_archive_name;
use tauri::http::{Request, Response, StatusCode};
use tauri::{Manager, UriSchemeContext, Wry};

use crate::AppState;

/// Answers `docimg://localhost/<name>`.
pub fn serve(ctx: UriSchemeContext<'_, Wry>, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let not_found = || {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Vec::new())
            .unwrap_or_default()
    };
    let name = request.uri().path().trim_start_matches('/').to_owned();
    if !is_archive_name(&name) {
        return not_found();
    }
    let mime = match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => return not_found(),
    };
    let state = ctx.app_handle().state::<Arc<AppState>>();
    let path = state.config.library_dir.join("doc-images").join(&name);
    match std::fs::read(&path) {
        Ok(bytes) => Response::builder()
            .header("Content-Type", mime)
            .body(bytes)
            .unwrap_or_else(|_| not_found()),
        Err(_) => not_found(),
    }
}
