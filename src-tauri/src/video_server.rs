//! Serves video episodes' pictures to the picture pane's `<video>`, with HTTP Range, from a server
//! on 127.0.0.1. WebKitGTK's media stack (GStreamer) cannot read an app's custom URI scheme
//! (WebKit bug 146351: "No URI handler implemented"), so the picture comes over loopback HTTP
//! instead: bound to 127.0.0.1 only, each address carries a random token made at start, and it
//! names an episode by id, never a path. What is served is an episode's own file on this
//! computer (its download, or a local podcast's file) with a video extension, or else the
//! engine's copy of the stream it is playing for that episode: never a fetch of its own.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use earmark_core::model::EpisodeId;
use earmark_core::Library;
use earmark_player::stream::{StreamHandle, StreamWatch};
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

/// How long a request for a streamed episode's picture waits for the engine to open the stream.
const STREAM_OPENS_WITHIN: Duration = Duration::from_secs(20);
/// How long a read of a streamed picture waits for bytes the engine has not fetched yet.
const STREAM_STALL: Duration = Duration::from_secs(60);

/// The stream the engine plays now, if any (the player's `StreamOpened` event sets it): a streamed
/// video episode's picture is read from the engine's own copy. Held weakly, so it never keeps a
/// finished stream's temporary file alive. A request waiting for the stream to open is woken
/// when it does.
#[derive(Clone, Default)]
pub struct PlayingStream(Arc<(Mutex<Slot>, Condvar)>);

/// The episode the engine streams, and its stream.
type Slot = Option<(i64, StreamWatch)>;

fn stream_of(slot: &Slot, id: i64) -> Option<StreamHandle> {
    slot.as_ref()
        .filter(|(tag, _)| *tag == id)
        .and_then(|(_, w)| w.upgrade())
}

impl PlayingStream {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0 .0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The engine began playing episode `tag` from `stream`.
    pub fn set(&self, tag: i64, stream: StreamWatch) {
        *self.slot() = Some((tag, stream));
        self.0 .1.notify_all();
    }

    /// Waits up to `within` for the engine to play episode `id` from a stream (it may still be
    /// connecting when the pane asks).
    fn wait_for(&self, id: i64, within: Duration) -> Option<StreamHandle> {
        let deadline = Instant::now() + within;
        let mut slot = self.slot();
        loop {
            if let Some(h) = stream_of(&slot, id) {
                return Some(h);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            slot = self
                .0
                 .1
                .wait_timeout(slot, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl VideoServer {
    /// Starts the server on a thread of its own, with its own connection to the library in `dir`;
    /// streamed episodes' pictures come from `playing`.
    pub fn start(dir: PathBuf, playing: PlayingStream) -> anyhow::Result<VideoServer> {
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
                    let (want, lib, dir, playing) = (want.clone(), Arc::clone(&lib), Arc::clone(&dir), playing.clone());
                    // A request per thread: WebKit keeps one reading while it asks for another part.
                    let spawned = std::thread::Builder::new()
                        .name("earmark-video-req".into())
                        .spawn(move || answer(request, &want, &lib, &dir, &playing));
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

/// The MIME type of a streamed video episode: its enclosure's type when that names a media type
/// (an `audio/` one means no picture, whatever the address ends in), else by its URL's
/// extension; none for an audio episode.
fn stream_mime(enclosure_type: Option<&str>, url: Option<&str>) -> Option<String> {
    match enclosure_type.map(str::trim) {
        Some(t) if t.starts_with("video/") => return Some(t.to_owned()),
        Some(t) if t.starts_with("audio/") => return None,
        _ => {}
    }
    let path = url.and_then(|u| url::Url::parse(u).ok())?.path().to_owned();
    video_mime(Path::new(&path)).map(str::to_owned)
}

/// What an episode's picture is read from.
enum Source {
    /// Its file on this computer.
    File(PathBuf, &'static str),
    /// The engine's copy of the stream it plays.
    Stream(StreamHandle, String),
}

/// Where episode `id`'s picture comes from: its local video file, else (for a video episode)
/// the engine's stream of it, waited for while it opens.
fn source(id: EpisodeId, lib: &Mutex<Option<Library>>, dir: &Path, playing: &PlayingStream) -> Option<Source> {
    let streamed = {
        let mut guard = lib.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Library::open(dir).map_err(|e| tracing::warn!("video server: {e}")).ok();
        }
        let lib = guard.as_ref()?;
        if let Some(path) = lib.local_media(id).ok().flatten() {
            return video_mime(&path).map(|m| Source::File(path, m));
        }
        let e = lib.episode_unprepared(id).ok()?.without_notes().episode;
        stream_mime(e.enclosure_type.as_deref(), e.enclosure_url.as_deref())?
    };
    playing
        .wait_for(id.0, STREAM_OPENS_WITHIN)
        .map(|h| Source::Stream(h, streamed))
}

/// A streamed picture's bytes from `at` up to `end` (exclusive), as the engine fetches them.
struct StreamBody {
    stream: StreamHandle,
    at: u64,
    end: u64,
}

impl Read for StreamBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.at);
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        if n == 0 {
            return Ok(0);
        }
        let got = self.stream.read_fetched(self.at, &mut buf[..n], STREAM_STALL)?;
        self.at += got as u64;
        Ok(got)
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

fn answer(request: Request, want: &str, lib: &Mutex<Option<Library>>, dir: &Path, playing: &PlayingStream) {
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
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_owned());
    match source(EpisodeId(id), lib, dir, playing) {
        None => status(request, 404),
        Some(Source::File(path, mime)) => serve_file(request, &path, mime, range.as_deref()),
        Some(Source::Stream(stream, mime)) => serve_stream(request, stream, &mime, range.as_deref()),
    }
}

/// The span a request asks for in a body of `len` bytes: (status, first, last), or `None` when
/// the range cannot be satisfied (answered 416).
fn span(range: Option<&str>, len: u64) -> Option<(u16, u64, u64)> {
    match range {
        None => Some((200, 0, len - 1)),
        Some(r) => parse_range(r, len).map(|(s, e)| (206, s, e)),
    }
}

fn unsatisfiable(request: Request, len: u64) {
    let mut resp = Response::empty(StatusCode(416));
    if let Some(h) = header("Content-Range", &format!("bytes */{len}")) {
        resp.add_header(h);
    }
    let _ = request.respond(resp);
}

fn respond<R: Read>(request: Request, mime: &str, (code, start, end): (u16, u64, u64), len: Option<u64>, body: R) {
    let mut headers: Vec<Header> = [("Content-Type", mime.to_owned()), ("Accept-Ranges", "bytes".to_owned())]
        .iter()
        .filter_map(|(k, v)| header(k, v))
        .collect();
    if let (206, Some(len)) = (code, len) {
        headers.extend(header("Content-Range", &format!("bytes {start}-{end}/{len}")));
    }
    let count = len.map(|_| end - start + 1);
    let response = Response::new(
        StatusCode(code),
        headers,
        body,
        count.and_then(|c| usize::try_from(c).ok()),
        None,
    );
    // The reader goes away when WebKit stops reading (a seek elsewhere): that is not an error.
    let _ = request.respond(response);
}

fn serve_file(request: Request, path: &Path, mime: &str, range: Option<&str>) {
    let Ok(mut file) = File::open(path) else {
        return status(request, 404);
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() && m.len() > 0 => m.len(),
        _ => return status(request, 404),
    };
    let Some((code, start, end)) = span(range, len) else {
        return unsatisfiable(request, len);
    };
    if file.seek(SeekFrom::Start(start)).is_err() {
        return status(request, 500);
    }
    let body = file.take(end - start + 1);
    respond(request, mime, (code, start, end), Some(len), body);
}

/// A streamed picture: ranges when the stream's length is known; from the top, with no length,
/// when the server never said it (the body ends where the stream does).
fn serve_stream(request: Request, stream: StreamHandle, mime: &str, range: Option<&str>) {
    match stream.file_len() {
        Some(0) => status(request, 404),
        Some(len) => {
            let Some((code, start, end)) = span(range, len) else {
                return unsatisfiable(request, len);
            };
            let body = StreamBody {
                stream,
                at: start,
                end: end + 1,
            };
            respond(request, mime, (code, start, end), Some(len), body);
        }
        None => {
            let body = StreamBody {
                stream,
                at: 0,
                end: u64::MAX,
            };
            respond(request, mime, (200, 0, 0), None, body);
        }
    }
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
    /// The `<video>` may play at the engine's speed; when false (no GPU, see
    /// `rendering::native_rate`) it plays natively only at 1x and is stepped at other speeds.
    pub native_rate: bool,
    /// WebKit draws the picture through its compositor (`rendering::composited`), where pausing
    /// the `<video>` is safe; without, a pause may freeze the page, so it is never paused.
    pub composited: bool,
}

/// The video of an episode that has a picture: its file on this computer, or (for a video episode
/// that is not here) the engine's stream of it while it plays. None for audio.
#[tauri::command]
pub async fn episode_video(
    window: tauri::WebviewWindow,
    state: State<'_, Arc<AppState>>,
    id: EpisodeId,
) -> Res<Option<EpisodeVideo>> {
    let server = state.video.clone();
    let video = read(&state, move |lib| {
        let local = lib.local_media(id)?;
        let e = lib.episode_unprepared(id)?.without_notes().episode;
        let video = match local {
            Some(path) => video_mime(&path).is_some(),
            None => stream_mime(e.enclosure_type.as_deref(), e.enclosure_url.as_deref()).is_some(),
        };
        if !video {
            return Ok(None);
        }
        let sound_only = lib.podcast_sound(e.podcast_id)?.sound_only;
        Ok(server.map(|s| EpisodeVideo {
            url: s.url(id.0),
            podcast_id: e.podcast_id.0,
            sound_only,
            native_rate: crate::rendering::native_rate(),
            composited: crate::rendering::composited(),
        }))
    })
    .await?;
    if video.as_ref().is_some_and(|v| !v.sound_only) {
        crate::rendering::picture_ahead(&window);
    }
    Ok(video)
}

#[cfg(test)]
mod tests {
    use super::{parse_range, stream_mime, token};

    #[test]
    fn a_streamed_episode_is_video_by_its_type_or_its_address() {
        assert_eq!(stream_mime(Some("video/mp4"), None).as_deref(), Some("video/mp4"));
        assert_eq!(
            stream_mime(
                Some("application/octet-stream"),
                Some("https://example.org/a/ep.m4v?x=1")
            )
            .as_deref(),
            Some("video/mp4")
        );
        assert_eq!(stream_mime(Some("audio/mp4"), Some("https://example.org/ep.mp4")), None);
        assert_eq!(stream_mime(None, Some("https://example.org/ep.mp3")), None);
        assert_eq!(stream_mime(None, Some("not a url")), None);
    }

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
