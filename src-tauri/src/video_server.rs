//! Serves video episodes' files to the picture pane's `<video>`, with HTTP Range, from a server
//! on 127.0.0.1. WebKitGTK's media stack (GStreamer) cannot read an app's custom URI scheme
//! (WebKit bug 146351: "No URI handler implemented"), so the picture comes over loopback HTTP
//! instead: bound to 127.0.0.1 only, each address carries a random token made at start, and it
//! names an episode by id, never a path. Only an episode's own file on this computer (its
//! download, or a local podcast's file) with a video extension is served.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use earmark_core::model::EpisodeId;
use earmark_core::Library;
use serde::Serialize;
use tauri::State;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};
use ts_rs::TS;

use crate::access::{read, Res};
use crate::AppState;

/// Where the server listens and the token its addresses carry.
#[derive(Clone)]
pub struct VideoServer {
    port: u16,
    token: String,
}

/// 128 bits from the operating system's randomness (the keys std draws for each `RandomState`).
fn token() -> String {
    let part = || {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x0065_6172_6d61_726b);
        h.finish()
    };
    format!("{:016x}{:016x}", part(), part())
}

impl VideoServer {
    /// Starts the server on a thread of its own, with its own connection to the library in `dir`.
    pub fn start(dir: PathBuf) -> anyhow::Result<VideoServer> {
        let server = Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("cannot serve video pictures: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| anyhow::anyhow!("the video server has no port"))?;
        let token = token();
        let lib: Arc<Mutex<Option<Library>>> = Arc::default();
        let (want, dir) = (format!("/{token}/"), Arc::new(dir));
        std::thread::Builder::new()
            .name("earmark-video".into())
            .spawn(move || {
                for request in server.incoming_requests() {
                    let (want, lib, dir) = (want.clone(), Arc::clone(&lib), Arc::clone(&dir));
                    // A request per thread: WebKit keeps one reading while it asks for another part.
                    let spawned = std::thread::Builder::new()
                        .name("earmark-video-req".into())
                        .spawn(move || answer(request, &want, &lib, &dir));
                    if let Err(e) = spawned {
                        tracing::warn!("cannot answer a video request: {e}");
                    }
                }
            })?;
        Ok(VideoServer { port, token })
    }

    /// The address of episode `id`'s picture.
    pub fn url(&self, id: i64) -> String {
        format!("http://127.0.0.1:{}/{}/{id}", self.port, self.token)
    }
}

/// The MIME type of a video file by its extension; none for anything else.
fn video_mime(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "mp4" | "m4v" => Some("video/mp4"),
        "mov" => Some("video/quicktime"),
        "webm" => Some("video/webm"),
        _ => None,
    }
}

/// `bytes=START-` or `bytes=START-END` within a file of `len` bytes.
fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let start: u64 = a.trim().parse().ok()?;
    let last = len.checked_sub(1)?;
    let end: u64 = if b.trim().is_empty() {
        last
    } else {
        b.trim().parse::<u64>().ok()?.min(last)
    };
    (start <= end).then_some((start, end))
}

fn status(request: Request, code: u16) {
    let _ = request.respond(Response::empty(StatusCode(code)));
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn answer(request: Request, want: &str, lib: &Mutex<Option<Library>>, dir: &Path) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return status(request, 405);
    }
    let Some(id) = request
        .url()
        .strip_prefix(want)
        .and_then(|rest| rest.parse::<i64>().ok())
    else {
        return status(request, 404);
    };
    let path = {
        let mut guard = lib.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Library::open(dir).map_err(|e| tracing::warn!("video server: {e}")).ok();
        }
        guard.as_ref().and_then(|l| l.local_media(EpisodeId(id)).ok().flatten())
    };
    let Some((path, mime)) = path.and_then(|p| video_mime(&p).map(|m| (p, m))) else {
        return status(request, 404);
    };
    let Ok(mut file) = File::open(&path) else {
        return status(request, 404);
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() && m.len() > 0 => m.len(),
        _ => return status(request, 404),
    };
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_owned());
    let (code, start, end) = match range {
        None => (200, 0, len - 1),
        Some(r) => match parse_range(&r, len) {
            Some((s, e)) => (206, s, e),
            None => {
                let mut resp = Response::empty(StatusCode(416));
                if let Some(h) = header("Content-Range", &format!("bytes */{len}")) {
                    resp.add_header(h);
                }
                let _ = request.respond(resp);
                return;
            }
        },
    };
    if file.seek(SeekFrom::Start(start)).is_err() {
        return status(request, 500);
    }
    let count = end - start + 1;
    let mut headers: Vec<Header> = [("Content-Type", mime.to_owned()), ("Accept-Ranges", "bytes".to_owned())]
        .iter()
        .filter_map(|(k, v)| header(k, v))
        .collect();
    if code == 206 {
        headers.extend(header("Content-Range", &format!("bytes {start}-{end}/{len}")));
    }
    let body = file.take(count);
    let response = Response::new(StatusCode(code), headers, body, usize::try_from(count).ok(), None);
    // The reader goes away when WebKit stops reading (a seek elsewhere): that is not an error.
    let _ = request.respond(response);
}

/// What the picture pane needs to show an episode's video.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EpisodeVideo {
    /// The address of its file on the app's loopback video server.
    pub url: String,
    /// Its podcast, for the "sound only" choice.
    #[ts(type = "number")]
    pub podcast_id: i64,
    /// The podcast is set to sound only: the pane stays closed unless asked.
    pub sound_only: bool,
}

/// The video of an episode that has a picture and a file on this computer; none otherwise
/// (audio, or a video not on this computer: the picture comes only from a local file).
#[tauri::command]
pub async fn episode_video(state: State<'_, Arc<AppState>>, id: i64) -> Res<Option<EpisodeVideo>> {
    let server = state.video.clone();
    read(&state, move |lib| {
        let Some(path) = lib.local_media(EpisodeId(id))? else {
            return Ok(None);
        };
        if video_mime(&path).is_none() {
            return Ok(None);
        }
        let podcast_id = lib
            .episode_unprepared(EpisodeId(id))?
            .without_notes()
            .episode
            .podcast_id;
        let sound_only = lib.podcast_sound(podcast_id)?.sound_only;
        Ok(server.map(|s| EpisodeVideo {
            url: s.url(id),
            podcast_id: podcast_id.0,
            sound_only,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{parse_range, token};

    #[test]
    fn ranges_are_read_within_the_file() {
        assert_eq!(parse_range("bytes=0-", 100), Some((0, 99)));
        assert_eq!(parse_range("bytes=10-19", 100), Some((10, 19)));
        assert_eq!(parse_range("bytes=90-500", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=-5", 100), None);
    }

    #[test]
    fn tokens_are_long_and_differ() {
        let (a, b) = (token(), token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
