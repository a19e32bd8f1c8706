//! The offline archive from the terminal: `auto-download` and the downloads `refresh` then
//! starts, `storage`, and `media-folder` (moving the downloaded files).

use earmark_test_support::cli::sealed;
use earmark_test_support::http;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use http::{Reply, Server};

fn cli(library: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), library)
}

fn run(library: &Path, args: &[&str]) -> Output {
    cli(library).args(args).output().expect("run earmark-cli")
}

fn ok(library: &Path, args: &[&str]) -> String {
    let out = run(library, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(library: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(library, args)).expect("json")
}

fn media(i: usize) -> Vec<u8> {
    (0..10_000 + i * 1000).map(|b| ((b * 7 + i) % 251) as u8).collect()
}

/// A server with a feed of episodes e1..=eN (eN newest) that a test can grow.
struct Show {
    server: Server,
    episodes: Arc<Mutex<usize>>,
}

impl Show {
    fn new(n: usize) -> Show {
        let server = Server::start();
        let episodes = Arc::new(Mutex::new(n));
        let count = Arc::clone(&episodes);
        let base = server.base();
        server.route("/feed.xml", move |_| {
            let n = *count.lock().expect("count");
            let items: String = (1..=n)
                .map(|i| {
                    format!(
                        "<item><guid>e{i}</guid><title>Episode {i}</title>\
                         <pubDate>{i:02} Jan 2024 10:00:00 +0000</pubDate>\
                         <enclosure url=\"{base}/m/e{i}.mp3\" type=\"audio/mpeg\" length=\"0\"/></item>"
                    )
                })
                .collect();
            Reply::rss(format!(
                "<rss version=\"2.0\"><channel><title>Offline Show</title>{items}</channel></rss>"
            ))
        });
        for i in 1..=20 {
            server.set(&format!("/m/e{i}.mp3"), Reply::ok(media(i)));
        }
        Show { server, episodes }
    }

    fn grow(&self, n: usize) {
        *self.episodes.lock().expect("count") = n;
    }
}

fn done_titles(library: &Path) -> Vec<String> {
    let rows = json(library, &["downloads", "--json"]);
    let eps = json(library, &["episodes", "--json"]);
    let mut out: Vec<String> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["state"] == "done")
        .map(|r| {
            eps.as_array()
                .expect("eps")
                .iter()
                .find(|e| e["id"] == r["episode_id"])
                .map(|e| e["guid"].as_str().unwrap_or("").to_owned())
                .unwrap_or_default()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn auto_download_policies_run_after_refresh() {
    let show = Show::new(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    ok(&lib, &["subscribe", &show.server.url("/feed.xml")]);

    let said = ok(&lib, &["auto-download", "1", "latest:1"]);
    assert!(said.contains("latest:1"), "{said}");
    let podcasts = json(&lib, &["podcasts", "--json"]);
    assert_eq!(
        podcasts[0]["auto_download"],
        serde_json::json!({"mode": "latest", "count": 1})
    );

    // Bad input changes nothing and says why.
    let out = run(&lib, &["auto-download", "1", "latest:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("latest:N"));
    let out = run(&lib, &["auto-download", "99", "all"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));

    // latest:1 keeps the newest downloaded.
    ok(&lib, &["refresh"]);
    assert_eq!(done_titles(&lib), vec!["e2"]);

    // all: the next refresh downloads exactly what it found.
    ok(&lib, &["auto-download", "1", "all"]);
    show.grow(4);
    let out = run(&lib, &["refresh", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout stays JSON");
    assert_eq!(reports[0]["new"], 2);
    assert_eq!(done_titles(&lib), vec!["e2", "e3", "e4"]);
    let rows = json(&lib, &["downloads", "--json"]);
    for r in rows.as_array().expect("rows") {
        let path = r["path"].as_str().expect("path");
        let i: usize = path
            .rsplit_once(" [")
            .and_then(|(_, rest)| rest.split(']').next())
            .and_then(|id| id.parse().ok())
            .expect("episode id in the name");
        assert!(std::fs::metadata(path).is_ok_and(|m| m.len() > 0), "{path} ({i})");
    }

    // off: nothing more.
    ok(&lib, &["auto-download", "1", "off"]);
    show.grow(5);
    ok(&lib, &["refresh"]);
    assert_eq!(done_titles(&lib).len(), 3);
}

#[test]
fn storage_and_moving_the_media_folder() {
    let show = Show::new(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    ok(&lib, &["subscribe", &show.server.url("/feed.xml")]);
    assert_eq!(json(&lib, &["storage", "--json"]), serde_json::json!([]));
    ok(&lib, &["download", "--podcast", "1"]);

    let storage = json(&lib, &["storage", "--json"]);
    let expected: u64 = (1..=3).map(|i| media(i).len() as u64).sum();
    assert_eq!(
        storage,
        serde_json::json!([{"podcast_id": 1, "title": "Offline Show", "files": 3, "bytes": expected}])
    );
    let text = ok(&lib, &["storage"]);
    assert!(text.contains("Offline Show") && text.contains("3 files"), "{text}");

    let default = ok(&lib, &["media-folder"]);
    assert_eq!(default.trim(), lib.join("media").display().to_string());
    let target = dir.path().join("moved");
    let said = ok(&lib, &["media-folder", &target.display().to_string()]);
    assert!(said.contains("Moved 3 files"), "{said}");
    let now = ok(&lib, &["media-folder"]);
    let target = target.canonicalize().expect("canonical");
    assert_eq!(now.trim(), target.display().to_string());
    for r in json(&lib, &["downloads", "--json"]).as_array().expect("rows") {
        let path = r["path"].as_str().expect("path");
        assert!(path.starts_with(&target.display().to_string()), "{path}");
        assert!(Path::new(path).is_file());
    }
    assert_eq!(json(&lib, &["storage", "--json"])[0]["bytes"], expected);

    // A move that cannot finish says so, and every file is still found.
    let blocked = dir.path().join("blocked");
    let rows = json(&lib, &["downloads", "--json"]);
    let first = Path::new(rows[0]["path"].as_str().expect("path"))
        .file_name()
        .expect("name")
        .to_owned();
    std::fs::create_dir_all(blocked.join(&first)).expect("obstacle");
    let out = run(&lib, &["media-folder", &blocked.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("running the same command again finishes the move"),
        "{err}"
    );
    let out = run(&lib, &["media-folder"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("was interrupted"));
    for r in json(&lib, &["downloads", "--json"]).as_array().expect("rows") {
        assert!(Path::new(r["path"].as_str().expect("path")).is_file(), "{r}");
    }
    std::fs::remove_dir(blocked.join(&first)).expect("clear");
    ok(&lib, &["media-folder", &blocked.display().to_string()]);
    assert_eq!(json(&lib, &["storage", "--json"])[0]["files"], 3);
}

#[test]
fn skip_lengths_are_settings_that_last() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lib = dir.path().join("library");
    let v = json(&lib, &["skip-lengths", "--json"]);
    assert_eq!(
        (v["back_secs"].as_u64(), v["forward_secs"].as_u64()),
        (Some(10), Some(30))
    );
    ok(&lib, &["skip-lengths", "--back", "15", "--forward", "45"]);
    let v = json(&lib, &["skip-lengths", "--json"]);
    assert_eq!(
        (v["back_secs"].as_u64(), v["forward_secs"].as_u64()),
        (Some(15), Some(45))
    );
    let out = run(&lib, &["skip-lengths", "--forward", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 1 and 600"));
    assert_eq!(
        json(&lib, &["skip-lengths", "--json"])["forward_secs"].as_u64(),
        Some(45)
    );
}
