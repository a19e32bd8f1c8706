//! Hostile input in bounded memory: the real binary subscribes to a feed server that sends a
//! body far past the fetch cap with no length, an entity bomb, and show notes 20,000 elements
//! deep, and each run's peak resident memory (the kernel's high-water mark for the process,
//! `VmHWM`) stays under a bound, with a clear error or a stored feed and an intact library.

use earmark_test_support::http;
use earmark_test_support::sqlite::assert_intact;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http::{Body, Reply, Server};

/// Runs `earmark-cli --library LIB subscribe URL`, sampling the child's `VmHWM` every 5 ms (it
/// only grows, so the last sample is the peak but for the final few ms). Returns (success,
/// stderr, peak MiB).
fn subscribe_watching_memory(lib: &Path, url: &str) -> (bool, String, f64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_earmark-cli"))
        .arg("--library")
        .arg(lib)
        .args(["subscribe", url])
        .env_remove("EARMARK_LIBRARY")
        .env("EARMARK_ITUNES_BASE", "http://127.0.0.1:9/")
        .env("EARMARK_HTTP_TIMEOUT_SECS", "10")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run earmark-cli");
    let status_file = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "earmark-cli ran for a minute on {url}");
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    (status.success(), err, peak_kb as f64 / 1024.0)
}

const ENTITY_BOMB: &str = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rss version="2.0"><channel><title>&e;</title><item><guid>1</guid><title>&e;</title></item></channel></rss>"#;

/// A feed of one episode whose notes nest `depth` `<div>`s (escaped inside the description).
fn deep_notes_feed(depth: usize) -> String {
    let notes = format!("{}deep{}", "&lt;div&gt;".repeat(depth), "&lt;/div&gt;".repeat(depth));
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Deep</title>\
         <item><guid>1</guid><title>One</title><description>{notes}</description>\
         <enclosure url=\"https://example.invalid/1.mp3\" type=\"audio/mpeg\" length=\"1\"/></item>\
         </channel></rss>"
    )
}

#[test]
fn hostile_feeds_are_handled_in_bounded_memory() {
    let server = Server::start();
    // 400 MiB with no length: the fetch stops at its 50 MiB cap.
    server.set(
        "/endless.xml",
        Reply::status(200).with_body(Body::Chunked {
            chunk: vec![b' '; 64 * 1024],
            count: 6_400,
        }),
    );
    // Expands to 32^4 * 95 bytes (about 100 MB) per use if it were ever expanded.
    server.set("/entities.xml", Reply::rss(ENTITY_BOMB));
    server.set("/deep.xml", Reply::rss(deep_notes_feed(20_000)));

    // (path, whether it is refused, bound in MiB, what the error must say)
    let cases = [
        ("/endless.xml", true, 120.0, "larger than"),
        ("/entities.xml", true, 60.0, "entit"),
        ("/deep.xml", false, 80.0, ""),
    ];
    for (path, refused, bound, says) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ok, err, peak) = subscribe_watching_memory(dir.path(), &server.url(path));
        eprintln!("{path}: peak {peak:.1} MiB (bound {bound} MiB), ok={ok}");
        assert_eq!(ok, !refused, "{path}: {err}");
        if refused {
            assert!(err.to_lowercase().contains(says), "{path}: {err}");
        }
        assert!(peak > 1.0, "{path}: no memory reading ({peak} MiB)");
        assert!(peak < bound, "{path}: peak {peak:.1} MiB, over the {bound} MiB bound");
        assert_intact(&dir.path().join("library.sqlite3"));
    }
}
