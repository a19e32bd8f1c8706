//! A small HTTP/1.1 file server for the streaming tests, bound to 127.0.0.1 only. It serves one
//! file, honours `Range: bytes=N-` (or pretends not to), can send slowly, cut a connection
//! short or stall, and logs the `Range` header of every request. Standard library only.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the server misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Answer `Range` requests with 206; when false every answer is the whole file (200).
    pub ranges: bool,
    /// Send at most this many bytes per second (per connection).
    pub bytes_per_sec: Option<u64>,
    /// Close the first connection after this many body bytes.
    pub cut_first_after: Option<u64>,
    /// Every connection stops sending (but stays open) after this many body bytes.
    pub stall_after: Option<u64>,
    /// Answer every request with this status and no body.
    pub status: Option<u16>,
    /// Leave out `Content-Length` (and `Content-Range`'s total): the length is unknown.
    pub no_length: bool,
    /// `Content-Type` to send.
    pub content_type: Option<String>,
    /// Wait this long before answering a request for a range that does not start at 0 (a slow
    /// network, as a seek far ahead meets it).
    pub ranged_delay: Option<std::time::Duration>,
}

struct Shared {
    body: Vec<u8>,
    how: Behaviour,
    stop: AtomicBool,
    log: Mutex<Vec<Option<String>>>,
    connections: AtomicU64,
}

/// A running server; dropping it stops every connection.
pub struct MediaServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl MediaServer {
    /// Serves `body` at every path.
    pub fn start(body: Vec<u8>, how: Behaviour) -> MediaServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            body,
            how,
            stop: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
        });
        let workers: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let acceptor = {
            let shared = Arc::clone(&shared);
            let workers = Arc::clone(&workers);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let shared = Arc::clone(&shared);
                    let h = std::thread::spawn(move || serve(conn, &shared));
                    workers.lock().expect("server lock").push(h);
                }
            })
        };
        MediaServer {
            addr,
            shared,
            acceptor: Some(acceptor),
            workers,
        }
    }

    /// The URL of the file, with `name` as its last path segment.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/media/{name}", self.addr)
    }

    /// The `Range` header of every request so far (`None`: no range asked).
    pub fn ranges_asked(&self) -> Vec<Option<String>> {
        self.shared.log.lock().expect("server lock").clone()
    }

    /// The first byte of every `Range: bytes=N-` request so far.
    pub fn range_starts(&self) -> Vec<u64> {
        self.ranges_asked()
            .iter()
            .flatten()
            .filter_map(|r| range_start(r))
            .collect()
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for w in std::mem::take(&mut *self.workers.lock().expect("server lock")) {
            let _ = w.join();
        }
    }
}

fn serve(mut conn: TcpStream, shared: &Shared) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut range = None;
    let mut first = true;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end();
        if line.is_empty() {
            if first {
                return;
            }
            break;
        }
        first = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_owned());
            }
        }
    }
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    shared.log.lock().expect("server lock").push(range.clone());
    let nth = shared.connections.fetch_add(1, Ordering::SeqCst);
    let how = &shared.how;
    let total = shared.body.len() as u64;
    if let Some(status) = how.status {
        let _ = write!(
            conn,
            "HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let from = range.as_deref().filter(|_| how.ranges).and_then(range_start);
    let mut head = String::new();
    let start = match from {
        Some(n) if n >= total => {
            let _ = write!(
                conn,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return;
        }
        Some(n) => {
            if let Some(wait) = how.ranged_delay.filter(|_| n > 0) {
                std::thread::sleep(wait);
            }
            let shown = if how.no_length {
                "*".to_owned()
            } else {
                total.to_string()
            };
            head.push_str(&format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {n}-{}/{shown}\r\n",
                total - 1
            ));
            if !how.no_length {
                head.push_str(&format!("Content-Length: {}\r\n", total - n));
            }
            n
        }
        None => {
            head.push_str("HTTP/1.1 200 OK\r\n");
            if !how.no_length {
                head.push_str(&format!("Content-Length: {total}\r\n"));
            }
            0
        }
    };
    if how.ranges {
        head.push_str("Accept-Ranges: bytes\r\n");
    }
    if let Some(ct) = &how.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    if conn.write_all(head.as_bytes()).is_err() {
        return;
    }
    let body = &shared.body[start as usize..];
    let limit = match (nth, how.cut_first_after) {
        (0, Some(cut)) => Some(cut),
        _ => None,
    };
    let began = Instant::now();
    let mut sent = 0u64;
    for piece in body.chunks(4096) {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if limit.is_some_and(|l| sent >= l) {
            return;
        }
        if how.stall_after.is_some_and(|l| sent >= l) {
            while !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        if let Some(rate) = how.bytes_per_sec {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(began.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if conn.write_all(piece).is_err() {
            return;
        }
        sent += piece.len() as u64;
    }
    let _ = conn.flush();
}

/// N in `bytes=N-` (or `bytes=N-M`).
fn range_start(header: &str) -> Option<u64> {
    header.strip_prefix("bytes=")?.split('-').next()?.trim().parse().ok()
}
