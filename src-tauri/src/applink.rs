//! `earmark://` links: the app is registered as the handler of its scheme (see `scripts/app`), so
//! the desktop starts `earmark earmark://episode/7?t=754.2`. The first instance listens on a Unix
//! socket in the library folder; a second start hands its link over there and exits, so a link
//! always lands in the window already open.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use earmark_core::applink::{self, AppLink};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use ts_rs::TS;

/// Where the window should go: sent as the `open-link` event and by `startup_link`.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[ts(export)]
pub struct OpenAt {
    /// The episode.
    #[ts(type = "number")]
    pub episode_id: i64,
    /// Seconds into it.
    pub secs: f64,
}

impl From<AppLink> for OpenAt {
    fn from(l: AppLink) -> Self {
        OpenAt {
            episode_id: l.episode.0,
            secs: l.secs,
        }
    }
}

/// The first `earmark://` link among the program's arguments.
pub fn from_args() -> Option<AppLink> {
    std::env::args().skip(1).find_map(|a| applink::parse(&a))
}

fn socket_path(library_dir: &Path) -> PathBuf {
    library_dir.join("earmark.sock")
}

/// What starting up found.
pub enum Instance {
    /// Another window is open and took the link (or was just brought forward): exit.
    Forwarded,
    /// This is the first instance; it listens for links from later starts.
    First(UnixListener),
}

/// Hands `link` to a running instance, or becomes the one that listens.
pub fn claim(library_dir: &Path, link: Option<AppLink>) -> std::io::Result<Instance> {
    let path = socket_path(library_dir);
    if let Ok(mut stream) = UnixStream::connect(&path) {
        let line = link.map_or_else(|| "focus".to_owned(), |l| applink::format(l.episode, l.secs));
        stream.write_all(line.as_bytes())?;
        stream.write_all(b"\n")?;
        return Ok(Instance::Forwarded);
    }
    // Nobody answered: a socket file left by a crash is stale.
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(library_dir)?;
    Ok(Instance::First(UnixListener::bind(&path)?))
}

/// Serves later starts: each line is a link (or `focus`); the window comes forward and the link
/// goes to the page as `open-link`.
pub fn serve(app: AppHandle, listener: UnixListener) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            // One short line per connection; anything longer is not ours.
            if BufReader::new(stream.take(4096)).read_line(&mut line).is_err() {
                continue;
            }
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
            if let Some(link) = applink::parse(&line) {
                let _ = app.emit("open-link", OpenAt::from(link));
            }
        }
    });
}

/// Removes the socket when the first instance ends.
pub fn release(library_dir: &Path) {
    let _ = std::fs::remove_file(socket_path(library_dir));
}
