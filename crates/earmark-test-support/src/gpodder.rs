//! Servers for the sync tests, all on 127.0.0.1: a real podsync (the gPodder API) started per
//! test with its own user, a proxy in front of it that injects faults, and a server of ours that
//! follows the Nextcloud gPodder Sync app's documented endpoints and habits.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub const USER: &str = "ann";
pub const PASSWORD: &str = "correct horse";

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn podsync_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("EARMARK_PODSYNC") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let p = home.join("bin/podsync");
    assert!(
        p.is_file(),
        "podsync is not installed ({}): run ./scripts/setup (cargo install podsync --features backend-sql)",
        p.display()
    );
    p
}

/// A real podsync on a free port with user [`USER`] / [`PASSWORD`]; killed on drop.
pub struct Podsync {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Podsync {
    pub fn start() -> Podsync {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let child = Command::new(podsync_binary())
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-d"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start podsync");
        let server = Podsync { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        let db = server._dir.path().join("pod.sql");
        loop {
            assert!(Instant::now() < deadline, "podsync did not start");
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && db.is_file() {
                let conn = rusqlite::Connection::open(&db).expect("open podsync db");
                conn.busy_timeout(Duration::from_secs(5)).expect("busy");
                let hash = format!("{:x}", Sha256::digest(PASSWORD.as_bytes()));
                if conn
                    .execute(
                        "INSERT INTO users (username, pwhash, session_id) VALUES (?1, ?2, NULL)",
                        [USER, &hash],
                    )
                    .is_ok()
                {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Podsync {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the proxy does to the next requests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Fault {
    /// Pass everything through.
    None = 0,
    /// Answer 401.
    Unauthorized = 1,
    /// Answer 500.
    ServerError = 2,
    /// Say nothing until the client gives up.
    Stall = 3,
    /// Send half the status line, then hang up.
    Cut = 4,
    /// Answer 200 with a body that is not the API's JSON.
    Garbage = 5,
    /// Refuse connections (as if the server were down).
    Down = 6,
    /// Pass everything through, but answer episode actions as a gPodder-API server that counts
    /// `since` in the actions' own time would (the API leaves it open): podsync is asked for all
    /// of them, and only those made after `since` are passed on.
    ActionTimeSince = 7,
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Head> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Head {
        method,
        target,
        headers,
        body,
    })
}

fn respond(mut stream: &TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.shutdown(Shutdown::Both);
}

/// What a test server does with one request.
type Handler = Arc<dyn Fn(&TcpStream, Head) + Send + Sync>;

/// A one-thread-per-connection server on 127.0.0.1 that hands each request to `handle`.
struct Serve {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Serve {
    fn start(handle: Handler) -> Serve {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                        let handle = Arc::clone(&handle);
                        workers.push(std::thread::spawn(move || {
                            if let Some(head) = read_request(&stream) {
                                handle(&stream, head);
                            }
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Serve {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A proxy in front of a server that can be told to fail in the ways real servers and networks do.
pub struct Proxy {
    serve: Serve,
    fault: Arc<AtomicU8>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let fault = Arc::new(AtomicU8::new(Fault::None as u8));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (f, l) = (Arc::clone(&fault), Arc::clone(&log));
        let serve = Serve::start(Arc::new(move |stream: &TcpStream, head: Head| {
            l.lock().expect("log").push(format!("{} {}", head.method, head.target));
            match f.load(Ordering::Relaxed) {
                1 => respond(stream, "401 Unauthorized", "text/plain", b""),
                2 => respond(stream, "500 Internal Server Error", "text/plain", b"boom"),
                3 => std::thread::sleep(Duration::from_secs(4)),
                4 => {
                    let mut s = stream;
                    let _ = s.write_all(b"HTTP/1.1 200 O");
                    let _ = s.shutdown(Shutdown::Both);
                }
                5 => respond(
                    stream,
                    "200 OK",
                    "application/json",
                    br#"{"timestamp": "later", "actions": {}}"#,
                ),
                6 => {
                    let _ = stream.shutdown(Shutdown::Both);
                }
                7 if head.method == "GET" && head.target.contains("/api/2/episodes/") => {
                    by_action_time(stream, &head, upstream);
                }
                _ => forward(stream, &head, upstream),
            }
        }));
        Proxy { serve, fault, log }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.serve.port)
    }

    pub fn set(&self, fault: Fault) {
        self.fault.store(fault as u8, Ordering::Relaxed);
    }

    /// Requests seen ("METHOD target"), and forgets them.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().expect("log"))
    }
}

fn forward(client: &TcpStream, head: &Head, upstream: u16) {
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        respond(client, "502 Bad Gateway", "text/plain", b"");
        return;
    };
    let mut req = format!("{} {} HTTP/1.1\r\n", head.method, head.target);
    for (k, v) in &head.headers {
        if k != "connection" && k != "keep-alive" {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    let _ = up.write_all(req.as_bytes());
    let _ = up.write_all(&head.body);
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    let mut c = client;
    let _ = c.write_all(&answer);
    let _ = c.shutdown(Shutdown::Both);
}

/// An episode-action pull answered by action time (see [`Fault::ActionTimeSince`]).
fn by_action_time(client: &TcpStream, head: &Head, upstream: u16) {
    let (path, query) = head.target.split_once('?').unwrap_or((head.target.as_str(), ""));
    let since: i64 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("since="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        respond(client, "502 Bad Gateway", "text/plain", b"");
        return;
    };
    // HTTP/1.0, so the answer comes whole (no chunks) and ends when the connection does.
    let mut req = format!("GET {path}?since=0 HTTP/1.0\r\n");
    for (k, v) in &head.headers {
        if k != "connection" && k != "keep-alive" {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    let _ = up.write_all(req.as_bytes());
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        respond(client, "502 Bad Gateway", "text/plain", b"");
        return;
    };
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&answer[split + 4..]) else {
        respond(client, "502 Bad Gateway", "text/plain", b"");
        return;
    };
    let action_time = |a: &serde_json::Value| {
        a["timestamp"].as_str().and_then(|t| {
            chrono::NaiveDateTime::parse_from_str(t.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|d| d.and_utc().timestamp())
        })
    };
    let mut newest = since;
    if let Some(actions) = json["actions"].as_array_mut() {
        actions.retain(|a| action_time(a).is_some_and(|t| t > since));
        newest = actions.iter().filter_map(action_time).fold(since, i64::max);
    }
    json["timestamp"] = serde_json::json!(newest);
    respond(client, "200 OK", "application/json", json.to_string().as_bytes());
}

/// One stored episode action on the Nextcloud-like server.
#[derive(Clone)]
struct NcAction {
    podcast: String,
    episode: String,
    guid: Option<String>,
    epoch: i64,
    position: i64,
    started: i64,
    total: i64,
}

#[derive(Default)]
struct NcState {
    /// url -> (subscribed, updated)
    subs: BTreeMap<String, (bool, i64)>,
    /// episode url -> action (one row per episode, the last upload wins)
    actions: BTreeMap<String, NcAction>,
}

/// A server of ours that answers like the Nextcloud gPodder Sync app (3.13+): Basic auth, four
/// endpoints under `/index.php/apps/gpoddersync/`, play actions only (others dropped), one row per
/// episode (last upload wins), action names in upper case, times with `+00:00`, and `since`
/// compared with the actions' own times. Everything else is 404, as on a Nextcloud.
pub struct NextcloudLike {
    serve: Serve,
    state: Arc<Mutex<NcState>>,
}

// A server's own clock, as the real app's is.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|d| d.and_utc().timestamp())
        })
}

impl NextcloudLike {
    pub fn start() -> NextcloudLike {
        let state = Arc::new(Mutex::new(NcState::default()));
        let st = Arc::clone(&state);
        let auth = format!("Basic {}", base64_encode(format!("{USER}:{PASSWORD}").as_bytes()));
        let serve = Serve::start(Arc::new(move |stream: &TcpStream, head: Head| {
            let path = head.target.split('?').next().unwrap_or("").to_owned();
            let since: i64 = head
                .target
                .split_once("since=")
                .and_then(|(_, v)| v.split('&').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let Some(rest) = path.strip_prefix("/index.php/apps/gpoddersync/") else {
                respond(stream, "404 Not Found", "text/html", b"<html>Page not found</html>");
                return;
            };
            if head
                .headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.as_str())
                != Some(auth.as_str())
            {
                respond(
                    stream,
                    "401 Unauthorized",
                    "application/json",
                    br#"{"message":"Current user is not logged in"}"#,
                );
                return;
            }
            let mut s = st.lock().expect("state");
            let now = now_secs();
            let body: serde_json::Value = serde_json::from_slice(&head.body).unwrap_or(serde_json::Value::Null);
            let answer = match (head.method.as_str(), rest) {
                ("GET", "subscriptions") => {
                    let (mut add, mut remove) = (Vec::new(), Vec::new());
                    for (url, (sub, at)) in &s.subs {
                        if *at > since {
                            if *sub {
                                add.push(url.clone())
                            } else {
                                remove.push(url.clone())
                            }
                        }
                    }
                    serde_json::json!({"add": add, "remove": remove, "timestamp": now})
                }
                ("POST", "subscription_change/create") => {
                    for (key, sub) in [("add", true), ("remove", false)] {
                        for u in body[key].as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
                            s.subs.insert(u.to_owned(), (sub, now));
                        }
                    }
                    serde_json::json!({"timestamp": now})
                }
                ("GET", "episode_action") => {
                    let actions: Vec<serde_json::Value> = s
                        .actions
                        .values()
                        .filter(|a| a.epoch > since)
                        .map(|a| {
                            let t = chrono::DateTime::from_timestamp(a.epoch, 0).expect("time");
                            serde_json::json!({
                                "podcast": a.podcast, "episode": a.episode, "guid": a.guid,
                                "action": "PLAY", "timestamp": t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                                "started": a.started, "position": a.position, "total": a.total,
                            })
                        })
                        .collect();
                    serde_json::json!({"actions": actions, "timestamp": now})
                }
                ("POST", "episode_action/create") => {
                    for a in body.as_array().into_iter().flatten() {
                        if a["action"].as_str().map(str::to_ascii_lowercase).as_deref() != Some("play") {
                            continue;
                        }
                        let (Some(p), Some(e), Some(t)) = (
                            a["podcast"].as_str(),
                            a["episode"].as_str(),
                            a["timestamp"].as_str().and_then(parse_time),
                        ) else {
                            respond(stream, "500 Internal Server Error", "text/plain", b"");
                            return;
                        };
                        s.actions.insert(
                            e.to_owned(),
                            NcAction {
                                podcast: p.to_owned(),
                                episode: e.to_owned(),
                                guid: a["guid"].as_str().map(str::to_owned),
                                epoch: t,
                                position: a["position"].as_i64().unwrap_or(-1),
                                started: a["started"].as_i64().unwrap_or(-1),
                                total: a["total"].as_i64().unwrap_or(-1),
                            },
                        );
                    }
                    serde_json::json!({"timestamp": now})
                }
                _ => {
                    respond(stream, "404 Not Found", "text/html", b"<html>Page not found</html>");
                    return;
                }
            };
            respond(stream, "200 OK", "application/json", answer.to_string().as_bytes());
        }));
        NextcloudLike { serve, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.serve.port)
    }

    /// The stored action names of every episode, for checks: (episode URL, position).
    pub fn positions(&self) -> Vec<(String, i64)> {
        let s = self.state.lock().expect("state");
        s.actions.values().map(|a| (a.episode.clone(), a.position)).collect()
    }
}

/// Standard base64 with padding, for HTTP Basic credentials (no crate needed for so little).
pub fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
