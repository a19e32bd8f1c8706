//! Harness for Earmark's end-to-end tests: a private X display (Xvfb), tauri-driver speaking
//! WebDriver to the real app in a real WebKit window, an isolated library, and a fixture HTTP
//! server on 127.0.0.1. Each piece is stopped when its guard drops.

pub use earmark_test_support::pulse;
pub mod window;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("../.."))
}

/// Where screenshots are saved: `target/e2e-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target/e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The app binary under test (`EARMARK_APP_BIN`, else `target/debug/earmark`).
pub fn app_binary() -> PathBuf {
    let bin = std::env::var_os("EARMARK_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/earmark"));
    assert!(
        bin.exists(),
        "the app binary {} is missing: build it first with `cargo build -p earmark`",
        bin.display()
    );
    bin
}

/// A child process killed with SIGTERM (so it can clean up, as tauri-driver must) on drop.
pub struct Proc(Child);

impl From<Child> for Proc {
    fn from(child: Child) -> Self {
        Proc(child)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on the first free display from :90 and returns its name and guard.
pub fn start_xvfb() -> (String, Proc) {
    for n in 90..140 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed (apt-get install xvfb)");
        let mut proc = Proc(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return (display, proc);
            }
            if let Ok(Some(_)) = proc.0.try_wait() {
                break; // lost a race for this display; try the next
            }
            thread::sleep(Duration::from_millis(50));
        }
        drop(proc);
    }
    panic!("could not start Xvfb on any display :90..:139");
}

/// A free TCP port on 127.0.0.1 for a server that a child process will open. It is taken below
/// Linux's ephemeral range (32768–60999), where no outgoing connection is ever given a port.
/// A port from that range (what binding port 0 hands out) could be taken before the child binds
/// it, even by our own wait for the child: a connect to a port nobody listens on yet can be
/// given that same port as its source and connect to itself (TCP self-connect), and the child
/// then fails with "Unable to listen". That happened in CI.
pub fn free_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let mut x = u64::from(std::process::id()) << 32 | u64::from(nanos) | 1;
    for _ in 0..2000 {
        // xorshift64: spreads concurrent test processes over the range.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let port = 20_000 + (x % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..32000 on 127.0.0.1");
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let candidate = home.join("bin/tauri-driver");
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// Starts tauri-driver on a free port with the given environment; returns the WebDriver URL.
pub fn start_driver(display: &str, env: &[(&str, &Path)]) -> (String, Proc) {
    let port = free_port();
    let native = loop {
        let p = free_port();
        if p != port {
            break p;
        }
    };
    let mut cmd = Command::new(tauri_driver());
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .expect("tauri-driver must be installed (cargo install tauri-driver --locked)");
    let proc = Proc(child);
    // tauri-driver listens at once but forwards every request to the native WebKitWebDriver it has
    // just spawned; a session asked for before that one listens is dropped unanswered. So both.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let listening = |p: u16| TcpStream::connect(("127.0.0.1", p)).is_ok();
        if listening(port) && listening(native) {
            return (format!("http://127.0.0.1:{port}"), proc);
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("tauri-driver (port {port}) and WebKitWebDriver (port {native}) did not both start listening");
}

/// A tiny HTTP server on 127.0.0.1 serving fixed files by path; stops on drop.
pub struct FixtureServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stop: Arc<AtomicBool>,
    /// The path of every request, in arrival order.
    asked: Arc<std::sync::Mutex<Vec<String>>>,
}

impl FixtureServer {
    /// Serves `files` (path, content type, body).
    pub fn start(files: Vec<(String, &'static str, Vec<u8>)>) -> Self {
        Self::start_throttled(files, None)
    }

    /// Serves `files`, sending bodies at about `bytes_per_sec` when given (so a download takes
    /// long enough to watch its progress).
    pub fn start_throttled(files: Vec<(String, &'static str, Vec<u8>)>, bytes_per_sec: Option<usize>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        // Bodies may name the server's own address as `{BASE}` (it is only known once bound).
        let files: Vec<(String, &'static str, Vec<u8>)> = files
            .into_iter()
            .map(|(path, ct, body)| {
                let body = match String::from_utf8(body) {
                    Ok(text) if text.contains("{BASE}") => text.replace("{BASE}", &base).into_bytes(),
                    Ok(text) => text.into_bytes(),
                    Err(e) => e.into_bytes(),
                };
                (path, ct, body)
            })
            .collect();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let files = Arc::new(files);
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let files = Arc::clone(&files);
                        let log = Arc::clone(&log);
                        thread::spawn(move || serve(stream, &files, bytes_per_sec, &log));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FixtureServer { base, stop, asked }
    }

    /// How many requests asked for `path` so far.
    pub fn requests_for(&self, path: &str) -> usize {
        self.asked
            .lock()
            .map(|a| a.iter().filter(|p| *p == path).count())
            .unwrap_or(0)
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    mut stream: TcpStream,
    files: &[(String, &'static str, Vec<u8>)],
    bytes_per_sec: Option<usize>,
    asked: &std::sync::Mutex<Vec<String>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    if let Ok(mut a) = asked.lock() {
        a.push(path.clone());
    }
    let found = files.iter().find(|(p, _, _)| *p == path);
    let (status, ctype, body): (&str, &str, &[u8]) = match found {
        Some((_, ct, body)) => ("200 OK", ct, body),
        None => ("404 Not Found", "text/plain", b"not found"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    match bytes_per_sec {
        Some(rate) => {
            // Ten slices a second.
            let slice = (rate / 10).max(1);
            for piece in body.chunks(slice) {
                if stream.write_all(piece).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
        None => {
            let _ = stream.write_all(body);
        }
    }
    let _ = stream.flush();
    let mut sink = [0u8; 64];
    let _ = reader.get_mut().read(&mut sink);
}

/// The CLI built beside the app, pointed at the library in `library`.
pub fn cli(library: &Path) -> Command {
    let bin = std::env::var_os("EARMARK_CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/earmark-cli"));
    let mut cmd = Command::new(bin);
    cmd.arg("--library").arg(library);
    cmd
}

/// Subscribes the library in `library` to `feed` (a path or URL) with the CLI, as an earlier
/// session would have, so a test starts from a library with episodes in it.
pub fn subscribe(library: &Path, feed: impl AsRef<std::ffi::OsStr>) {
    let out = cli(library)
        .arg("subscribe")
        .arg(feed)
        .output()
        .expect("run earmark-cli subscribe");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Clicks the element `loc` finds, finding it again if the page re-rendered it in between.
pub async fn click(client: &fantoccini::Client, loc: fantoccini::Locator<'_>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let attempt = match client.find(loc).await {
            Ok(el) => el.click().await,
            Err(e) => Err(e),
        };
        match attempt {
            Ok(()) => return,
            // Only a click that surely did not happen is tried again: a toggle clicked twice undoes itself.
            Err(e) if is_missing_element(&e) => {
                assert!(std::time::Instant::now() < deadline, "could not click {loc:?}: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("clicking {loc:?} failed: {e}"),
        }
    }
}

fn is_missing_element(e: &fantoccini::error::CmdError) -> bool {
    let text = format!("{e:?}");
    text.contains("StaleElementReference") || text.contains("NoSuchElement")
}

/// A private D-Bus session bus (for the desktop media controls), written once in the test support.
pub use earmark_test_support::session_bus::{start_session_bus, SessionBus};
