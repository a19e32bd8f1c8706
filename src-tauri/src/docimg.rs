//! The `docimg:` URI scheme: serves images kept for offline reading from the library's
//! `doc-images/` folder. Only names Earmark made are served (see `docs::images::is_archive_name`).

use std::path::PathBuf;
use std::sync::Arc;

use earmark_core::docs::images::is_archive_name;
use tauri::http::{Request, Response};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder, Wry};

use crate::cover::{file_response, not_found};
use crate::AppState;

/// Answers `docimg://localhost/<name>`, reading the file on the blocking pool (the handler is
/// called on the main thread).
pub fn serve(ctx: UriSchemeContext<'_, Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let folder = ctx
        .app_handle()
        .state::<Arc<AppState>>()
        .config
        .library_dir
        .join("doc-images");
    let name = request.uri().path().trim_start_matches('/').to_owned();
    tauri::async_runtime::spawn_blocking(move || responder.respond(answer(folder, &name)));
}

fn answer(folder: PathBuf, name: &str) -> Response<Vec<u8>> {
    if !is_archive_name(name) {
        return not_found();
    }
    let mime = match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => return not_found(),
    };
    file_response(&folder.join(name), mime)
}
