//! A real automerge-repo sync server on 127.0.0.1 for the shared-archive tests:
//! `tools/share-server/serve.mjs`, the parts `@automerge/automerge-repo-sync-server` is made of
//! (installed by `scripts/setup` with `npm ci`), run by Node. Stopped when dropped; it can be
//! stopped and started again on the same port with the same data, as a server that went down.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running sync server.
pub struct ShareServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

fn tool_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/share-server")
}

impl ShareServer {
    /// Starts a server with no documents, on a free port.
    pub fn start() -> ShareServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = ShareServer {
            child: None,
            port: 0,
            dir,
        };
        server.run(0);
        server
    }

    fn run(&mut self, port: u16) {
        let tools = tool_dir();
        assert!(
            tools.join("node_modules/@automerge/automerge-repo").is_dir(),
            "the sync server's packages are missing from {}: run ./scripts/setup",
            tools.display()
        );
        let mut child = Command::new("node")
            .arg(tools.join("serve.mjs"))
            .arg(port.to_string())
            .arg(self.dir.path())
            .current_dir(&tools)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("EARMARK_SHARE_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start node (./scripts/setup installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            assert!(Instant::now() < deadline, "the sync server did not start");
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(p) = line.strip_prefix("listening on ") {
                        break p.trim().parse().expect("port");
                    }
                }
                _ => panic!("the sync server stopped before listening"),
            }
        };
        self.port = port;
        self.child = Some(child);
    }

    /// The server's WebSocket address.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Shuts the server down as its admin would (it writes what it holds, then exits; its data
    /// stays for [`ShareServer::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take());
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it and throws its data away, as a server restored from nothing would have it.
    pub fn lose_data(&mut self) {
        self.stop();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for e in entries.flatten() {
                let _ = std::fs::remove_dir_all(e.path()).or_else(|_| std::fs::remove_file(e.path()));
            }
        }
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        self.run(port);
    }
}

impl Drop for ShareServer {
    fn drop(&mut self) {
        self.stop();
    }
}
