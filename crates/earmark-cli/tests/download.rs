//! `earmark-cli download`, `downloads --json` and `delete-download` against a local server,
//! including `kill -9` in the middle of a download and a resume that ends byte-identical.

use earmark_test_support::cli::sealed;
use earmark_test_support::http;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Body, Reply, Server};

fn media(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 13 + 5) % 251) as u8).collect()
}

fn cli(library: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), library)
}

fn subscribe(server: &Server, library: &Path) {
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>Downloads</title><item><title>Big one</title><guid>big</guid>\
         <enclosure url=\"{}\" type=\"audio/mpeg\" length=\"3000000\"/></item></channel></rss>",
        server.url("/media/../../etc/big.mp3")
    );
    server.set("/feed.xml", Reply::rss(feed));
    let out = cli(library)
        .args(["subscribe", &server.url("/feed.xml")])
        .output()
        .expect("subscribe");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn downloads(library: &Path) -> serde_json::Value {
    let out = cli(library).args(["downloads", "--json"]).output().expect("downloads");
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn killed_mid_download_resumes_to_a_byte_identical_file() {
    let server = Server::start();
    let data = media(3_000_000);
    let first = AtomicUsize::new(0);
    let d = data.clone();
    // The first answer sends a third of the file and then hangs, so the process can be killed mid-way.
    server.route("/etc/big.mp3", move |r| {
        if first.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(200)
                .header("ETag", "\"m\"")
                .header("Content-Length", &d.len().to_string())
                .with_body(Body::StallAfter {
                    prefix: d[..1_000_000].to_vec(),
                    wait: Duration::from_secs(3),
                })
        } else {
            Reply::ranged(r, &d, "\"m\"")
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib");
    subscribe(&server, &library);

    let mut child = cli(&library)
        .args(["download", "1"])
        .stderr(Stdio::null())
        .spawn()
        .expect("download");
    // Wait until the first third is on disk, then kill -9.
    let media_dir = library.join("media");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let part = loop {
        let found = std::fs::read_dir(&media_dir).ok().and_then(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "part"))
        });
        if let Some(p) = found.filter(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) >= 1_000_000) {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "no partial file appeared");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(
        part.starts_with(&media_dir),
        "the file name is ours, inside the media folder: {}",
        part.display()
    );

    let out = cli(&library).args(["download", "1"]).output().expect("resume");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = downloads(&library);
    assert_eq!(rows[0]["state"], "done");
    let path = rows[0]["path"].as_str().expect("path").to_owned();
    assert_eq!(
        std::fs::read(&path).expect("read"),
        data,
        "byte-identical after the resume"
    );
    let last = server.requests_to("/etc/big.mp3").pop().expect("request");
    assert_eq!(last.header("range"), Some("bytes=1000000-"));
    let eps = cli(&library).args(["episodes", "--json"]).output().expect("episodes");
    let eps: serde_json::Value = serde_json::from_slice(&eps.stdout).expect("json");
    assert_eq!(eps[0]["downloaded"], true, "the episode shows as downloaded");
    for key in ["episode_id", "state", "bytes", "total", "path", "error"] {
        assert!(rows[0].get(key).is_some(), "downloads --json has {key}");
    }

    // Deleting the download keeps the episode and its place.
    let out = cli(&library).args(["delete-download", "1"]).output().expect("delete");
    assert!(out.status.success());
    assert!(!Path::new(&path).exists());
    assert_eq!(downloads(&library), serde_json::json!([]));
    let eps = cli(&library).args(["episodes", "--json"]).output().expect("episodes");
    let eps: serde_json::Value = serde_json::from_slice(&eps.stdout).expect("json");
    assert_eq!(eps.as_array().map(Vec::len), Some(1), "the episode stays");
    assert_eq!(eps[0]["downloaded"], false);
}

#[test]
fn a_missing_enclosure_is_reported_and_recorded() {
    let server = Server::start();
    server.set("/etc/big.mp3", Reply::status(404));
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("lib");
    subscribe(&server, &library);
    let out = cli(&library).args(["download", "1"]).output().expect("download");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"));
    let rows = downloads(&library);
    assert_eq!(rows[0]["state"], "failed");
    assert!(rows[0]["error"].as_str().is_some_and(|e| e.contains("404")));
}
