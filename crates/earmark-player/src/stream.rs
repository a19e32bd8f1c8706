//! Playing an episode straight from its URL, without waiting for the whole file.
//!
//! A worker thread fetches the file into an anonymous temporary file while the decoder reads it.
//! The decoder reads through [`HttpStream`], which serves bytes already fetched and waits (up to a
//! stall limit) for bytes not fetched yet. When the decoder jumps far from where the worker is
//! fetching (a seek, or a container whose index sits at the end of the file), the worker drops its
//! connection and asks for the wanted place with an HTTP `Range` request; once it reaches the end
//! it goes back for any gaps, so a streamed episode is eventually whole and seeks back cost
//! nothing. A server that ignores `Range` still plays: from the top, in order.
//!
//! The output thread must not wait on the network, so [`StreamHandle::ready`] tells the pipeline
//! whether enough is buffered ahead of the decoder to decode the next block without waiting; while
//! it is not, the device gets silence and the player reports "buffering".

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::StatusCode;
use symphonia::core::io::MediaSource;

use crate::decode::MediaDecoder;
use crate::error::PlayError;
use crate::pipeline::Pipeline;

/// Bytes read from the network at a time.
const CHUNK: usize = 64 * 1024;
/// How much of a finished stream is copied per hold of the file lock when it is kept.
const SAVE_CHUNK: usize = 1024 * 1024;

/// Limits and thresholds for one stream; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Time allowed to connect to the server.
    pub connect_timeout: Duration,
    /// A read from the server, or a read by the decoder, that waits longer than this fails.
    pub stall_timeout: Duration,
    /// Reconnections tried after a dropped or stalled connection before playback gives up.
    pub retries: u32,
    /// A read this many bytes past the fetch point makes the worker reconnect there (`Range`)
    /// instead of fetching everything in between.
    pub jump: u64,
    /// Bytes that must be fetched ahead of the decoder before it may decode on the output thread.
    pub ready_ahead: u64,
    /// Where the temporary copy lives (the system's temporary folder when `None` or unusable).
    /// The copy has no name and vanishes with the stream, even if the process is killed.
    pub cache_dir: Option<PathBuf>,
    /// Keeps the stream off addresses it must not reach; `None` reaches any.
    pub guard: Option<StreamGuard>,
}

/// Keeps a stream off addresses it must not reach: the listener's own network, when a feed on a
/// public host named the media. The shell builds it, since it knows where the URL came from; the
/// player only applies it, to the first request, every redirect and every reconnection.
#[derive(Clone)]
pub struct StreamGuard {
    /// Resolves host names to the addresses the stream may connect to (and fails for others).
    pub resolver: Arc<dyn reqwest::dns::Resolve>,
    /// Whether a URL may be asked for at all: decides for hosts written as addresses, which no
    /// resolver sees.
    pub allow: Arc<dyn Fn(&reqwest::Url) -> bool + Send + Sync>,
}

impl StreamGuard {
    /// A guard from a resolver and the check for each URL.
    pub fn new<R: reqwest::dns::Resolve + 'static>(
        resolver: Arc<R>,
        allow: impl Fn(&reqwest::Url) -> bool + Send + Sync + 'static,
    ) -> StreamGuard {
        StreamGuard {
            resolver,
            allow: Arc::new(allow),
        }
    }
}

impl std::fmt::Debug for StreamGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamGuard")
    }
}

/// A shared resolver handed to reqwest, which wants a sized one.
struct SharedResolver(Arc<dyn reqwest::dns::Resolve>);

impl reqwest::dns::Resolve for SharedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        self.0.resolve(name)
    }
}

/// Redirects followed before a stream gives up, as reqwest's own default.
const MAX_REDIRECTS: usize = 10;

/// An error and its causes in one line: reqwest's own message alone is often just "error sending
/// request", which hides a refusal.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for msg in std::iter::successors(Some(e), |e| e.source()).map(ToString::to_string) {
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
    }
    parts.join(": ")
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(20),
            retries: 4,
            jump: 256 * 1024,
            ready_ahead: 96 * 1024,
            cache_dir: None,
            guard: None,
        }
    }
}

/// What the server said about the file when the stream opened.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// The `Content-Type` header, a hint for the format probe.
    pub content_type: Option<String>,
    /// The file's length, when the server gave it.
    pub len: Option<u64>,
    /// Whether the server honours `Range` (seeking ahead without fetching everything between).
    pub ranges: bool,
}

/// Counters for tests, benchmarks and the status display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes received from the server (including any fetched twice).
    pub fetched: u64,
    /// HTTP requests made.
    pub requests: u32,
    /// Of those, requests that started past the first byte.
    pub ranged: u32,
    /// Whether every byte of the file is now in the temporary copy.
    pub complete: bool,
}

/// Sorted, disjoint, non-touching half-open byte ranges already fetched.
#[derive(Debug, Default)]
struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut s, mut e) = (start, end);
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b < s || a > e {
                kept.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        kept.push((s, e));
        kept.sort_unstable();
        self.0 = kept;
    }

    /// The end of the fetched run holding `at`, if `at` is fetched.
    fn run_end(&self, at: u64) -> Option<u64> {
        self.0.iter().find(|&&(a, b)| a <= at && at < b).map(|&(_, b)| b)
    }

    /// The first byte at or after `from` not yet fetched (`None`: all fetched up to `len`).
    fn next_missing(&self, from: u64, len: Option<u64>) -> Option<u64> {
        let mut p = from;
        for &(a, b) in &self.0 {
            if b <= p {
                continue;
            }
            if a > p {
                break;
            }
            p = b;
        }
        match len {
            Some(l) if p >= l => None,
            _ => Some(p),
        }
    }
}

struct State {
    have: Ranges,
    len: Option<u64>,
    /// Where the decoder reads (or last read).
    want: u64,
    ranges: bool,
    failed: Option<String>,
    closed: bool,
    stats: StreamStats,
    last_progress: Instant,
    /// Where the audio frames begin (after an ID3v2 tag, which can hold megabytes of cover art):
    /// what a coarse MP3 seek counts its share from.
    audio_start: u64,
}

impl State {
    /// Every byte is in the temporary copy (a length never given is known once the body ends).
    fn complete(&self) -> bool {
        self.len.is_some_and(|l| self.have.next_missing(0, Some(l)).is_none())
    }
}

struct Shared {
    client: Client,
    /// The address after redirects, so later `Range` requests skip tracking redirects.
    url: Mutex<String>,
    cfg: StreamConfig,
    file: Mutex<File>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    /// Fills `buf` from the temporary copy at byte `at` (the bytes must have arrived).
    fn read_at(&self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start(at))?;
        f.read_exact(buf)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The decoder's view of a streamed file: `Read + Seek` over bytes that arrive in the background.
pub struct HttpStream {
    shared: Arc<Shared>,
    pos: u64,
}

/// A second handle on a stream for the output thread and tests: readiness and counters.
#[derive(Clone)]
pub struct StreamHandle {
    shared: Arc<Shared>,
}

impl StreamHandle {
    /// Whether the decoder can read its next block without waiting for the network: enough is
    /// fetched ahead of it, or the fetched run reaches the end, or the stream has failed (so the
    /// read reports the failure at once).
    pub fn ready(&self) -> bool {
        let st = self.shared.lock();
        // A complete file needs no check of its own: its one run reaches the end.
        if st.failed.is_some() {
            return true;
        }
        let at = st.want;
        match st.have.run_end(at) {
            Some(end) => end - at >= self.shared.cfg.ready_ahead || st.len.is_some_and(|l| end >= l),
            None => st.len.is_some_and(|l| at >= l),
        }
    }

    /// Asks for the part of an MPEG audio file where `to` lies in an episode `duration` long,
    /// estimated as a coarse seek lands (the audio data's start plus `to / duration` of the rest),
    /// from half the read-ahead before it: the fetcher moves there, and [`StreamHandle::ready`]
    /// answers for it until the decoder reads again. Returns false, asking for nothing, while the
    /// file's length or the duration is unknown.
    pub fn prefetch(&self, to: Duration, duration: Option<Duration>) -> bool {
        let mut st = self.shared.lock();
        let (Some(len), Some(d)) = (st.len, duration) else {
            return false;
        };
        if d.is_zero() || len <= st.audio_start {
            return false;
        }
        let share = (to.as_secs_f64() / d.as_secs_f64()).clamp(0.0, 1.0);
        let lands = st.audio_start + ((len - st.audio_start) as f64 * share) as u64;
        // A variable bitrate moves the place a coarse seek lands on a little either way.
        let from = lands
            .saturating_sub(self.shared.cfg.ready_ahead / 2)
            .max(st.audio_start);
        st.want = from.min(len - 1);
        drop(st);
        self.shared.changed.notify_all();
        true
    }

    /// Notes where the audio frames begin, from the file's first bytes (an ID3v2 tag's length),
    /// once they have arrived: the decoder's probe has read them.
    fn note_audio_start(&self) -> io::Result<()> {
        let mut head = [0u8; 10];
        {
            let st = self.shared.lock();
            if st.have.run_end(0).is_none_or(|end| end < 10) {
                return Ok(());
            }
        }
        self.shared.read_at(0, &mut head)?;
        self.shared.lock().audio_start = id3v2_len(&head);
        Ok(())
    }

    /// Counters so far.
    pub fn stats(&self) -> StreamStats {
        let st = self.shared.lock();
        StreamStats {
            complete: st.complete(),
            ..st.stats
        }
    }

    /// Why the stream gave up, if it did.
    pub fn failure(&self) -> Option<String> {
        self.shared.lock().failed.clone()
    }

    /// Once every byte has arrived, writes the file to `dest` (through a temporary name beside it,
    /// synced, then renamed), so an episode listened to in full need not be fetched again to keep
    /// it. Returns the length written, or `None` while the file is incomplete.
    pub fn save_complete(&self, dest: &std::path::Path) -> io::Result<Option<u64>> {
        let len = {
            let st = self.shared.lock();
            match st.len {
                Some(l) if st.complete() => l,
                _ => return Ok(None),
            }
        };
        let mut tmp_name = dest.as_os_str().to_owned();
        tmp_name.push(".streamed.part");
        let tmp = std::path::PathBuf::from(tmp_name);
        let written = (|| {
            let mut out = File::create(&tmp)?;
            // A chunk at a time, the file lock taken for each: the decoder, which may still be
            // playing from the same copy, waits at most one chunk's read.
            let mut buf = vec![0u8; SAVE_CHUNK];
            let mut at = 0u64;
            while at < len {
                let n = usize::try_from(len - at).map_or(buf.len(), |left| left.min(buf.len()));
                self.shared
                    .read_at(at, &mut buf[..n])
                    .map_err(|e| io::Error::new(e.kind(), format!("the streamed copy ends before byte {len}: {e}")))?;
                out.write_all(&buf[..n])?;
                at += n as u64;
            }
            out.sync_all()?;
            std::fs::rename(&tmp, dest)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(Some(len))
    }
}

impl StreamHandle {
    /// A hold on this stream that does not keep it alive: the shell keeps one for the picture
    /// pane, which may read the stream only while the engine still plays it.
    pub fn watch(&self) -> StreamWatch {
        StreamWatch(Arc::downgrade(&self.shared))
    }

    /// The file's length, once known (from the first answer, or when a body of unknown length
    /// ended).
    pub fn file_len(&self) -> Option<u64> {
        self.shared.lock().len
    }

    /// Reads bytes at `at` for a second reader of the same stream (a video episode's picture),
    /// waiting up to `wait` for them to arrive. Unlike the decoder's reads it never moves where
    /// the worker fetches: the picture follows the sound, whose bytes sit beside its own, so the
    /// decoder keeps deciding. Returns 0 at the end of the file; an error when the stream failed,
    /// was closed before the bytes came, or `wait` passed.
    pub fn read_fetched(&self, at: u64, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let deadline = Instant::now() + wait;
        let mut st = self.shared.lock();
        loop {
            if let Some(end) = st.have.run_end(at) {
                let n = usize::try_from(end - at).map_or(buf.len(), |left| left.min(buf.len()));
                drop(st);
                self.shared.read_at(at, &mut buf[..n])?;
                return Ok(n);
            }
            if st.len.is_some_and(|l| at >= l) {
                return Ok(0);
            }
            if let Some(why) = &st.failed {
                return Err(io::Error::other(why.clone()));
            }
            if st.closed {
                return Err(io::Error::other("the stream was closed"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("byte {at} did not arrive within {wait:?}"),
                ));
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

/// A weak hold on a stream (see [`StreamHandle::watch`]).
#[derive(Clone)]
pub struct StreamWatch(Weak<Shared>);

impl StreamWatch {
    /// The stream, while the engine still holds it.
    pub fn upgrade(&self) -> Option<StreamHandle> {
        self.0.upgrade().map(|shared| StreamHandle { shared })
    }
}

impl std::fmt::Debug for StreamWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWatch")
            .field("alive", &(self.0.strong_count() > 0))
            .finish()
    }
}

impl std::fmt::Debug for StreamHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamHandle").field("stats", &self.stats()).finish()
    }
}

fn stream_error(url: &str, detail: impl std::fmt::Display) -> PlayError {
    PlayError::Stream(format!("{url}: {detail}"))
}

/// `bytes START-END/TOTAL` → (START, TOTAL)
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (span, total) = rest.split_once('/')?;
    let start = span.split_once('-')?.0.trim().parse().ok()?;
    let total = total.trim().parse().ok();
    Some((start, total))
}

/// What a (ranged) request gave: the body, where it starts, the total length if told, and
/// whether the server honoured the range.
struct Opened {
    body: Response,
    at: u64,
    len: Option<u64>,
    ranged: bool,
}

fn request(client: &Client, url: &str, from: u64) -> Result<Opened, PlayError> {
    let resp = client
        .get(url)
        .header(RANGE, format!("bytes={from}-"))
        // Byte offsets must mean the same thing on every request.
        .header(ACCEPT_ENCODING, "identity")
        .send()
        .map_err(|e| stream_error(url, chain(&e)))?;
    match resp.status() {
        StatusCode::PARTIAL_CONTENT => {
            let (at, len) = resp
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .ok_or_else(|| stream_error(url, "a partial answer without a usable Content-Range"))?;
            if at != from {
                return Err(stream_error(url, format!("asked for byte {from}, got {at}")));
            }
            Ok(Opened {
                body: resp,
                at,
                len,
                ranged: true,
            })
        }
        StatusCode::OK => {
            let len = resp.content_length();
            Ok(Opened {
                body: resp,
                at: 0,
                len,
                ranged: false,
            })
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            Err(stream_error(url, "the server says the file is shorter than expected"))
        }
        status => Err(stream_error(url, format!("the server answered {status}"))),
    }
}

impl HttpStream {
    /// Connects and starts fetching `url` in the background. Fails at once when the server cannot
    /// be reached or will not serve the file, so the app can say so before anything plays.
    pub fn open(url: &str, cfg: StreamConfig) -> Result<(HttpStream, StreamHandle, StreamInfo), PlayError> {
        let mut builder = Client::builder()
            .user_agent(concat!(
                "Earmark/",
                env!("CARGO_PKG_VERSION"),
                " (desktop podcast archive)"
            ))
            .connect_timeout(cfg.connect_timeout)
            // In the blocking client this bounds each read, not the whole body.
            .timeout(cfg.stall_timeout);
        if let Some(guard) = &cfg.guard {
            let refused = || {
                stream_error(
                    url,
                    "refused: the address is on your own network, and a feed on the web named it",
                )
            };
            match reqwest::Url::parse(url) {
                Ok(u) if (guard.allow)(&u) => {}
                _ => return Err(refused()),
            }
            let allow = Arc::clone(&guard.allow);
            builder = builder
                .dns_resolver(Arc::new(SharedResolver(Arc::clone(&guard.resolver))))
                .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS {
                        attempt.error("too many redirects")
                    } else if allow(attempt.url()) {
                        attempt.follow()
                    } else {
                        attempt.error("refused: a redirect to an address on your own network")
                    }
                }));
        }
        let client = builder.build().map_err(|e| stream_error(url, e))?;
        let first = request(&client, url, 0)?;
        let content_type = first
            .body
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let final_url = first.body.url().to_string();
        let file = cfg
            .cache_dir
            .as_ref()
            .and_then(|dir| tempfile::tempfile_in(dir).ok())
            .map_or_else(tempfile::tempfile, Ok)
            .map_err(|e| stream_error(url, format!("cannot make a temporary file: {e}")))?;
        let info = StreamInfo {
            content_type,
            len: first.len,
            ranges: first.ranged,
        };
        let shared = Arc::new(Shared {
            client,
            url: Mutex::new(final_url),
            cfg,
            file: Mutex::new(file),
            state: Mutex::new(State {
                have: Ranges::default(),
                len: first.len,
                want: 0,
                ranges: first.ranged,
                failed: None,
                closed: false,
                stats: StreamStats {
                    requests: 1,
                    ..StreamStats::default()
                },
                last_progress: Instant::now(),
                audio_start: 0,
            }),
            changed: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("earmark-stream".into())
            .spawn(move || fetch_loop(&worker, Some(first)))
            .map_err(|e| stream_error(url, format!("cannot start the fetch thread: {e}")))?;
        Ok((
            HttpStream {
                shared: Arc::clone(&shared),
                pos: 0,
            },
            StreamHandle { shared },
            info,
        ))
    }
}

impl Drop for HttpStream {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

/// The worker: fetch what the decoder wants, then everything else, reconnecting after failures.
fn fetch_loop(shared: &Shared, mut first: Option<Opened>) {
    let mut failures = 0u32;
    loop {
        let start = {
            let st = shared.lock();
            if st.closed {
                return;
            }
            let from = if st.ranges { st.want } else { 0 };
            let next = st
                .have
                .next_missing(from, st.len)
                .or_else(|| st.have.next_missing(0, st.len));
            match next {
                // With the length unknown, `next_missing` never says "all": the end of a body says it.
                None => {
                    drop(st);
                    shared.changed.notify_all();
                    return;
                }
                Some(p) if st.ranges => p,
                Some(_) => 0,
            }
        };
        let opened = match first.take() {
            Some(o) => Ok(o),
            None => {
                let url = shared.url.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let r = request(&shared.client, &url, start);
                let mut st = shared.lock();
                st.stats.requests += 1;
                if start > 0 {
                    st.stats.ranged += 1;
                }
                if let Ok(o) = &r {
                    if !o.ranged {
                        st.ranges = false;
                    }
                    if st.len.is_none() {
                        st.len = o.len;
                    }
                }
                r
            }
        };
        let outcome = match opened {
            Ok(o) => pump(shared, o),
            Err(e) => Pump::Failed {
                why: e.to_string(),
                progressed: false,
            },
        };
        match outcome {
            Pump::Progress => failures = 0,
            Pump::Closed => return,
            Pump::Failed { why, progressed } => {
                failures = if progressed { 1 } else { failures + 1 };
                if failures > shared.cfg.retries {
                    let mut st = shared.lock();
                    st.failed = Some(format!("the download stopped: {why}"));
                    drop(st);
                    shared.changed.notify_all();
                    tracing::warn!("streaming gave up: {why}");
                    return;
                }
                tracing::debug!("streaming reconnects after: {why}");
                let pause = Duration::from_millis(200 * u64::from(failures));
                let until = Instant::now() + pause;
                while Instant::now() < until {
                    if shared.lock().closed {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
}

enum Pump {
    /// The body ended or the worker chose to reconnect elsewhere, having fetched something.
    Progress,
    /// The decoder went away.
    Closed,
    /// The connection failed or the body was cut short; `progressed` if it fetched something
    /// first (a dropped connection after progress starts the retry count again).
    Failed {
        /// What went wrong.
        why: String,
        /// Whether any bytes came before the failure.
        progressed: bool,
    },
}

/// Copies one response body into the temporary file until it ends, fails, or the decoder wants
/// something far from here.
fn pump(shared: &Shared, opened: Opened) -> Pump {
    let Opened { mut body, mut at, .. } = opened;
    let mut buf = vec![0u8; CHUNK];
    let mut got_any = false;
    loop {
        let n = match body.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                return Pump::Failed {
                    why: e.to_string(),
                    progressed: got_any,
                }
            }
        };
        if n == 0 {
            let mut st = shared.lock();
            return match st.len {
                Some(l) if at < l => Pump::Failed {
                    why: format!("the server ended the file at byte {at} of {l}"),
                    progressed: got_any,
                },
                Some(_) => Pump::Progress,
                None => {
                    // The length was never given: the end of this body (which began at 0) is the end.
                    st.len = Some(at);
                    drop(st);
                    shared.changed.notify_all();
                    Pump::Progress
                }
            };
        }
        let wrote = {
            let mut f = shared.file.lock().unwrap_or_else(|e| e.into_inner());
            f.seek(SeekFrom::Start(at)).and_then(|_| f.write_all(&buf[..n]))
        };
        if let Err(e) = wrote {
            let mut st = shared.lock();
            st.failed = Some(format!("cannot keep the streamed data: {e}"));
            drop(st);
            shared.changed.notify_all();
            return Pump::Closed;
        }
        let mut st = shared.lock();
        st.have.insert(at, at + n as u64);
        at += n as u64;
        st.stats.fetched += n as u64;
        st.last_progress = Instant::now();
        got_any = true;
        if st.closed {
            return Pump::Closed;
        }
        // Reconnect when the decoder waits on bytes far from here, or when this body runs into
        // bytes fetched before.
        let want = st.want;
        let far = st.ranges && st.have.run_end(want).is_none() && (want < at || want > at + shared.cfg.jump);
        let overlap = st.ranges && st.have.run_end(at).is_some();
        let finished = st.len.is_some_and(|l| at >= l);
        drop(st);
        shared.changed.notify_all();
        if far || overlap || finished {
            return Pump::Progress;
        }
    }
}

impl Read for HttpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let stall = self.shared.cfg.stall_timeout;
        let mut st = self.shared.lock();
        st.want = self.pos;
        let waited_from = Instant::now();
        let end = loop {
            if st.len.is_some_and(|l| self.pos >= l) {
                return Ok(0);
            }
            if let Some(end) = st.have.run_end(self.pos) {
                break end;
            }
            if let Some(why) = &st.failed {
                return Err(io::Error::other(why.clone()));
            }
            let since = st.last_progress.max(waited_from);
            let Some(left) = stall.checked_sub(since.elapsed()) else {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no data from the server for {} s", stall.as_secs()),
                ));
            };
            st = self
                .shared
                .changed
                .wait_timeout(st, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        };
        drop(st);
        let n = buf.len().min(usize::try_from(end - self.pos).unwrap_or(usize::MAX));
        self.shared.read_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        self.shared.lock().want = self.pos;
        Ok(n)
    }
}

impl Seek for HttpStream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.shared.lock().len;
        let target = match to {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
            SeekFrom::End(d) => match len {
                Some(l) => i128::from(l) + i128::from(d),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "the server did not give the file's length",
                    ))
                }
            },
        };
        let target = u64::try_from(target)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file"))?;
        self.pos = target;
        self.shared.lock().want = target;
        Ok(target)
    }
}

impl MediaSource for HttpStream {
    fn is_seekable(&self) -> bool {
        self.shared.lock().len.is_some()
    }

    fn byte_len(&self) -> Option<u64> {
        self.shared.lock().len
    }
}

/// Opens `url` for playback at `speed`: the stream, a decoder that seeks coarsely (see
/// [`MediaDecoder::set_coarse_seeks`]) and a pipeline gated on what has arrived, so the output
/// thread plays silence rather than waiting on the network. The handle reports progress.
pub fn open_pipeline(url: &str, cfg: StreamConfig, speed: f64) -> Result<(Pipeline, StreamHandle), PlayError> {
    let (stream, handle, info) = HttpStream::open(url, cfg)?;
    let ext = url_extension(url);
    let mut decoder = MediaDecoder::from_source(Box::new(stream), ext.as_deref(), info.content_type.as_deref())?;
    decoder.set_coarse_seeks(true);
    let by_share = decoder.seeks_by_byte_share();
    let mut pipeline = Pipeline::new(decoder, speed);
    let gate = handle.clone();
    pipeline.set_gate(Box::new(move || gate.ready()));
    // Only where the seek's bytes can be foretold; other formats seek as they read.
    if by_share {
        if let Err(e) = handle.note_audio_start() {
            tracing::debug!("reading the stream's first bytes back: {e}");
        }
        let ahead = handle.clone();
        pipeline.set_prefetch(Box::new(move |to, duration| ahead.prefetch(to, duration)));
    }
    Ok((pipeline, handle))
}

/// The length of an ID3v2 tag at the start of a file (header, body and footer), 0 without one.
fn id3v2_len(head: &[u8; 10]) -> u64 {
    if &head[..3] != b"ID3" || head[6..10].iter().any(|b| b & 0x80 != 0) {
        return 0;
    }
    let body = head[6..10].iter().fold(0u64, |n, b| (n << 7) | u64::from(*b));
    let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
    10 + body + footer
}

/// The file extension in a URL's path (`.../episode.mp3?x=1` → `mp3`), a hint for the probe.
pub fn url_extension(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_find_gaps() {
        let mut r = Ranges::default();
        r.insert(10, 20);
        r.insert(30, 40);
        assert_eq!(r.next_missing(0, Some(50)), Some(0));
        assert_eq!(r.next_missing(10, Some(50)), Some(20));
        assert_eq!(r.run_end(15), Some(20));
        assert_eq!(r.run_end(20), None);
        r.insert(20, 30);
        assert_eq!(r.0, vec![(10, 40)]);
        r.insert(0, 10);
        r.insert(40, 50);
        assert_eq!(r.0, vec![(0, 50)]);
        assert_eq!(r.next_missing(0, Some(50)), None);
        assert_eq!(r.next_missing(0, None), Some(50));
    }

    #[test]
    fn an_id3v2_tag_length_is_read_from_its_header() {
        // 257 bytes of body: syncsafe 0x00 0x00 0x02 0x01.
        assert_eq!(id3v2_len(b"ID3\x04\x00\x00\x00\x00\x02\x01"), 10 + 257);
        // With a footer.
        assert_eq!(id3v2_len(b"ID3\x04\x00\x10\x00\x00\x02\x01"), 20 + 257);
        // 2 MB of cover art.
        let size = 2_000_000u64;
        let mut head = *b"ID3\x03\x00\x00\x00\x00\x00\x00";
        for (i, b) in head[6..10].iter_mut().enumerate() {
            *b = ((size >> (7 * (3 - i))) & 0x7f) as u8;
        }
        assert_eq!(id3v2_len(&head), 10 + size);
        // No tag, or a malformed size: the audio starts at 0.
        assert_eq!(id3v2_len(b"\xff\xfb\x90\x00\x00\x00\x00\x00\x00\x00"), 0);
        assert_eq!(id3v2_len(b"ID3\x04\x00\x00\x80\x00\x00\x00"), 0);
    }

    #[test]
    fn content_range_is_read() {
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, Some(1000))));
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, None)));
        assert_eq!(parse_content_range("items 0-9/10"), None);
    }

    #[test]
    fn extension_comes_from_the_path_only() {
        assert_eq!(url_extension("https://x.org/a/ep.MP3?u=1.2").as_deref(), Some("mp3"));
        assert_eq!(url_extension("https://x.org/feed"), None);
        assert_eq!(url_extension("https://x.org/a.b/redirect"), None);
    }
}
