//! The `remoteimg:` URI scheme: the one way the page loads an image from another server (see
//! `earmark_core::remote_images`). `remoteimg://localhost/e/<episode>?u=<url>` (or `d/<document>`)
//! is fetched only when the podcast, source or page allows remote images and the document shown
//! really holds that image; the fetch follows the rules for addresses a public document names
//! (never the user's own network), is capped in size, and must be an image.

use std::sync::Arc;

use earmark_core::image_proxy::ImageHolder;
use tauri::http::{Request, Response};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder, Wry};

use crate::access::lock;
use crate::cover::{image_response, not_found};
use crate::AppState;

/// The largest image fetched.
const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;

/// Answers on the blocking pool (the handler is called on the main thread, and a fetch is slow).
pub fn serve(ctx: UriSchemeContext<'_, Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let state = Arc::clone(&ctx.app_handle().state::<Arc<AppState>>());
    tauri::async_runtime::spawn_blocking(move || responder.respond(answer(&state, &request)));
}

fn answer(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some(holder) = ImageHolder::parse(request.uri().path()) else {
        return not_found();
    };
    let Some(url) = request
        .uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "u"))
        .map(|(_, v)| v.into_owned())
    else {
        return not_found();
    };
    // The library is held only to decide; the fetch runs without it.
    let origin = match lock(&state.library).map(|lib| lib.remote_image_origin(holder, &url)) {
        Ok(Ok(Some(origin))) => origin,
        _ => return not_found(),
    };
    let Ok(parsed) = url::Url::parse(&url) else {
        return not_found();
    };
    let fetched = state
        .config
        .fetcher()
        .map(|f| f.named_by(&origin).with_max_bytes(MAX_IMAGE_BYTES))
        .and_then(|f| f.get(&parsed).map_err(Into::into));
    match fetched {
        Ok(f) => image_response(f.body),
        Err(e) => {
            tracing::info!("remote image {url}: {e}");
            not_found()
        }
    }
}
