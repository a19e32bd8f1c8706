//! A tiny scripted HTTP/1.1 server for integration tests, bound to 127.0.0.1 only.
//!
//! Each test starts its own [`Server`], registers routes (a fixed [`Reply`] or a closure that looks
//! at the [`Request`]), and reads the request log afterwards. Every response closes its connection,
//! so no thread waits on a kept-alive socket; dropping the server stops the accept loop, cuts
//! stalls short and joins every thread it started.
//!
//! Standard library only.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any scripted wait may last, whatever a test asks for.
pub const MAX_STALL: Duration = Duration::from_secs(3);

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, …
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

/// How the body goes out.
#[derive(Debug, Clone)]
pub enum Body {
    /// All at once, with a `Content-Length` unless the reply set one itself.
    Bytes(Vec<u8>),
    /// Nothing at all: the server waits (at most [`MAX_STALL`]) before even sending the status line.
    Stall(Duration),
    /// The headers and `prefix` go out, then the server waits (bounded) without finishing the body.
    StallAfter { prefix: Vec<u8>, wait: Duration },
    /// Chunked transfer encoding: `chunk` sent `count` times (or until the client hangs up).
    Chunked { chunk: Vec<u8>, count: usize },
    /// The headers (with the full `Content-Length`), then one byte of `bytes` each `every`, for
    /// at most [`MAX_STALL`] or until the client hangs up: a server that never quite stops.
    Trickle { bytes: Vec<u8>, every: Duration },
}

/// A scripted response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Wait this long (bounded) before answering.
    pub delay: Duration,
}

impl Reply {
    /// 200 with a body.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply::status(200).body(body)
    }

    /// 200 with an RSS content type.
    pub fn rss(body: impl Into<Vec<u8>>) -> Self {
        Reply::ok(body).header("Content-Type", "application/rss+xml")
    }

    /// The smallest feed a CLI test subscribes to: "Show", one episode (guid `g1`, "One") whose
    /// enclosure is `{media_base}/one.mp3`.
    pub fn one_episode_feed(media_base: &str) -> Self {
        Reply::rss(format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Show</title><link>https://example.invalid/</link>
<description>d</description><item><guid>g1</guid><title>One</title><enclosure url="{media_base}/one.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#
        ))
    }

    /// A status with an empty body.
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            delay: Duration::ZERO,
        }
    }

    /// A redirect to `location` (absolute, or a path on this server).
    pub fn redirect(status: u16, location: &str) -> Self {
        Reply::status(status).header("Location", location)
    }

    /// Never answers (until `wait` has passed, at most [`MAX_STALL`]).
    pub fn stall(wait: Duration) -> Self {
        Reply {
            body: Body::Stall(wait),
            ..Reply::status(200)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(body.into());
        self
    }

    /// Sets how the body is sent.
    pub fn with_body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Waits before answering.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// `data` as a server that honours Range answers `req`: 206 from the offset asked for (an
    /// open range, as downloads resume), 416 past the end, and the whole body when there is no
    /// range or its `If-Range` names another version than `etag`.
    pub fn ranged(req: &Request, data: &[u8], etag: &str) -> Self {
        let wanted = req
            .header("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
        let if_range_ok = req.header("if-range").is_none_or(|v| v == etag);
        match wanted {
            Some(start) if if_range_ok && start < data.len() => Reply::status(206)
                .header("ETag", etag)
                .header(
                    "Content-Range",
                    &format!("bytes {start}-{}/{}", data.len() - 1, data.len()),
                )
                .body(data[start..].to_vec()),
            Some(_) if if_range_ok => Reply::status(416).header("Content-Range", &format!("bytes */{}", data.len())),
            _ => Reply::ok(data.to_vec()).header("ETag", etag),
        }
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct Shared {
    routes: Mutex<HashMap<String, Handler>>,
    log: Mutex<Vec<Request>>,
    stop: AtomicBool,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// The fixture server. Dropping it shuts it down.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            routes: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
        });
        let workers: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let shared = shared.clone();
            let workers = workers.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = shared.clone();
                    let handle = std::thread::spawn(move || serve(stream, &shared));
                    let mut w = lock(&workers);
                    w.retain(|h| !h.is_finished());
                    w.push(handle);
                }
            })
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
            workers,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// Answers `path` (matched with its query first, then without) with a fixed reply.
    pub fn set(&self, path: &str, reply: Reply) {
        self.route(path, move |_| reply.clone());
    }

    /// Answers `path` with whatever `f` makes of the request.
    pub fn route(&self, path: &str, f: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        lock(&self.shared.routes).insert(path.to_owned(), Arc::new(f));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.log).clone()
    }

    /// The requests for one path (query ignored).
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.path() == path).collect()
    }

    /// The most requests that were being answered at the same moment.
    pub fn peak_in_flight(&self) -> usize {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        let workers = std::mem::take(&mut *lock(&self.workers));
        for w in workers {
            let _ = w.join();
        }
    }
}

/// Sleeps up to `d` (and never more than [`MAX_STALL`]), returning early once the server stops.
fn nap(shared: &Shared, d: Duration) {
    let until = Instant::now() + d.min(MAX_STALL);
    while Instant::now() < until && !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_request(stream: &TcpStream, shared: &Shared) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_millis(50))).ok()?;
    let started = Instant::now();
    let mut reader = BufReader::new(stream);
    let mut lines: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        if shared.stop.load(Ordering::SeqCst) || started.elapsed() > MAX_STALL {
            return None;
        }
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) if line.ends_with(b"\n") => {
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                line.clear();
                if text.is_empty() {
                    break;
                }
                lines.push(text);
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return None,
        }
    }
    let mut first = lines.first()?.split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        410 => "Gone",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let Some(req) = read_request(&stream, shared) else {
        return;
    };
    lock(&shared.log).push(req.clone());
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    let handler = {
        let routes = lock(&shared.routes);
        routes.get(&req.target).or_else(|| routes.get(req.path())).cloned()
    };
    let reply = match handler {
        Some(h) => h(&req),
        None => Reply::status(404).body("no such route"),
    };
    // A request counts as in flight while its answer is held back (its delay), not while it is
    // written: a client that has read a whole answer may already be asking again before this
    // thread runs on after the write, which made a client's 4 at a time look like 5 here.
    nap(shared, reply.delay);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = respond(&mut stream, shared, &reply);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read everything before the socket closes (a close with unread input resets).
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut sink = [0u8; 1024];
    let _ = stream.read(&mut sink);
}

fn respond(stream: &mut TcpStream, shared: &Shared, reply: &Reply) -> std::io::Result<()> {
    if let Body::Stall(wait) = &reply.body {
        nap(shared, *wait);
        return Ok(());
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let has = |name: &str| reply.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match &reply.body {
        Body::Bytes(b) | Body::Trickle { bytes: b, .. } if !has("content-length") => {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        Body::Chunked { .. } => head.push_str("Transfer-Encoding: chunked\r\n"),
        _ => {}
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    match &reply.body {
        Body::Bytes(b) => stream.write_all(b)?,
        Body::StallAfter { prefix, wait } => {
            stream.write_all(prefix)?;
            stream.flush()?;
            nap(shared, *wait);
        }
        Body::Chunked { chunk, count } => {
            for _ in 0..*count {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                stream.write_all(chunk)?;
                stream.write_all(b"\r\n")?;
            }
            stream.write_all(b"0\r\n\r\n")?;
        }
        Body::Trickle { bytes, every } => {
            let until = Instant::now() + MAX_STALL;
            for b in bytes {
                if shared.stop.load(Ordering::SeqCst) || Instant::now() > until {
                    break;
                }
                stream.write_all(std::slice::from_ref(b))?;
                stream.flush()?;
                std::thread::sleep(*every);
            }
        }
        Body::Stall(_) => {}
    }
    stream.flush()
}
