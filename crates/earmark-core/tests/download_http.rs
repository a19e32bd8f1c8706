//! Downloads against a fault-injecting local server (127.0.0.1): drops, 5xx, Range ignored, the
//! file changing between attempts, 416, a wrong length, cancel and resume. The finished file
//! must always equal the source, byte for byte, and nothing half-written may sit at the destination.

use earmark_test_support::http;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use earmark_core::download::transfer::{part_path, Finished};
use earmark_core::fetch::Fetcher;
use http::{Body, Reply, Request, Server};

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(3)).expect("client")
}

/// Deterministic bytes that differ at every position modulo 251.
fn media(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + seed as usize) % 251) as u8).collect()
}

/// The first `drops` requests send half the file and hang up.
fn dropping(data: Vec<u8>, etag: &'static str, drops: usize) -> impl Fn(&Request) -> Reply + Send + Sync {
    let n = AtomicUsize::new(0);
    move |req| {
        if n.fetch_add(1, Ordering::SeqCst) < drops {
            let start = 0;
            let half = data.len() / 2;
            return Reply::status(200)
                .header("ETag", etag)
                .header("Content-Length", &data.len().to_string())
                .with_body(Body::StallAfter {
                    prefix: data[start..half].to_vec(),
                    wait: Duration::from_millis(50),
                });
        }
        Reply::ranged(req, &data, etag)
    }
}

fn run(f: &Fetcher, url: &str, dest: &std::path::Path) -> earmark_core::Result<Finished> {
    let url = url::Url::parse(url).expect("url");
    f.download(&url, dest, &mut |_, _| {}, &AtomicBool::new(false))
}

#[test]
fn a_plain_download_is_byte_identical_and_leaves_no_part() {
    let server = Server::start();
    let data = media(300_000, 1);
    let d = data.clone();
    server.route("/ep.mp3", move |r| Reply::ranged(r, &d, "\"v1\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let mut seen = Vec::new();
    let url = url::Url::parse(&server.url("/ep.mp3")).expect("url");
    let done = fetcher()
        .download(&url, &dest, &mut |b, t| seen.push((b, t)), &AtomicBool::new(false))
        .expect("download");
    assert_eq!(
        done,
        Finished::Done {
            bytes: data.len() as u64
        }
    );
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    assert!(!part_path(&dest).exists());
    assert_eq!(
        seen.last(),
        Some(&(data.len() as u64, Some(data.len() as u64))),
        "progress reaches the total"
    );
}

#[test]
fn a_dropped_connection_resumes_with_range_and_if_range() {
    let server = Server::start();
    let data = media(400_000, 2);
    server.route("/ep.mp3", dropping(data.clone(), "\"v1\"", 1));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    run(&fetcher(), &server.url("/ep.mp3"), &dest).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    let reqs = server.requests_to("/ep.mp3");
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].header("range"),
        Some("bytes=200000-"),
        "resumed where the drop left off"
    );
    assert_eq!(reqs[1].header("if-range"), Some("\"v1\""));
}

#[test]
fn server_errors_are_retried() {
    let server = Server::start();
    let data = media(50_000, 3);
    let n = AtomicUsize::new(0);
    let d = data.clone();
    server.route("/ep.mp3", move |r| {
        if n.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::status(503)
        } else {
            Reply::ranged(r, &d, "\"e\"")
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    run(&fetcher(), &server.url("/ep.mp3"), &dest).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    assert_eq!(server.requests_to("/ep.mp3").len(), 3);
}

#[test]
fn a_server_that_ignores_range_restarts_cleanly() {
    let server = Server::start();
    let data = media(200_000, 4);
    let n = AtomicUsize::new(0);
    let d = data.clone();
    server.route("/ep.mp3", move |_| {
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(200)
                .header("Content-Length", &d.len().to_string())
                .with_body(Body::StallAfter {
                    prefix: d[..d.len() / 2].to_vec(),
                    wait: Duration::from_millis(50),
                })
        } else {
            Reply::ok(d.clone()) // always the whole file, whatever Range says
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    run(&fetcher(), &server.url("/ep.mp3"), &dest).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), data, "no duplicated first half");
}

#[test]
fn a_file_that_changed_between_attempts_is_not_spliced() {
    let server = Server::start();
    let old = media(200_000, 5);
    let new = media(220_000, 9);
    let n = Arc::new(AtomicUsize::new(0));
    let (o, nw, count) = (old.clone(), new.clone(), Arc::clone(&n));
    server.route("/ep.mp3", move |r| {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(200)
                .header("ETag", "\"old\"")
                .header("Content-Length", &o.len().to_string())
                .with_body(Body::StallAfter {
                    prefix: o[..o.len() / 2].to_vec(),
                    wait: Duration::from_millis(50),
                })
        } else {
            Reply::ranged(r, &nw, "\"new\"") // If-Range "old" does not match: the whole new file
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    run(&fetcher(), &server.url("/ep.mp3"), &dest).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), new);
}

#[test]
fn a_complete_part_and_a_416_finish_without_refetching() {
    let server = Server::start();
    let data = media(10_000, 6);
    let d = data.clone();
    server.route("/ep.mp3", move |r| Reply::ranged(r, &d, "\"v\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    std::fs::write(part_path(&dest), &data).expect("part");
    run(&fetcher(), &server.url("/ep.mp3"), &dest).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
}

#[test]
fn a_wrong_content_length_fails_and_leaves_no_file() {
    let server = Server::start();
    let data = media(10_000, 7);
    // Announces more than it ever sends, every time.
    server.route("/ep.mp3", move |_| {
        Reply::status(200)
            .header("Content-Length", "20000")
            .with_body(Body::StallAfter {
                prefix: data.clone(),
                wait: Duration::from_millis(20),
            })
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let err = run(&fetcher(), &server.url("/ep.mp3"), &dest).expect_err("must fail");
    assert!(
        err.to_string().contains("10000 of 20000") || err.to_string().contains("connection"),
        "{err}"
    );
    assert!(!dest.exists(), "nothing half-written at the destination");
}

#[test]
fn missing_media_is_a_clear_error_without_retries() {
    let server = Server::start();
    server.set("/gone.mp3", Reply::status(404));
    let dir = tempfile::tempdir().expect("tempdir");
    let err = run(&fetcher(), &server.url("/gone.mp3"), &dir.path().join("x.mp3")).expect_err("404");
    assert!(err.to_string().contains("404"), "{err}");
    assert!(err.to_string().contains("gone from the server"), "{err}");
    assert_eq!(err.code(), "media_missing");
    assert_eq!(server.requests_to("/gone.mp3").len(), 1);
}

#[test]
fn cancel_keeps_the_part_and_a_later_run_resumes() {
    let server = Server::start();
    let data = media(2_000_000, 8);
    let d = data.clone();
    server.route("/ep.mp3", move |r| Reply::ranged(r, &d, "\"c\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let url = url::Url::parse(&server.url("/ep.mp3")).expect("url");
    let cancel = AtomicBool::new(false);
    let f = fetcher();
    let got = f
        .download(
            &url,
            &dest,
            &mut |b, _| {
                if b >= 300_000 {
                    cancel.store(true, Ordering::SeqCst)
                }
            },
            &cancel,
        )
        .expect("cancelled");
    let Finished::Cancelled { bytes } = got else {
        panic!("not cancelled: {got:?}")
    };
    assert!(bytes >= 300_000 && bytes < data.len() as u64);
    assert!(!dest.exists());
    assert_eq!(std::fs::metadata(part_path(&dest)).expect("part").len(), bytes);
    run(&f, url.as_str(), &dest).expect("resume");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    let last = server.requests_to("/ep.mp3").pop().expect("request");
    assert_eq!(last.header("range"), Some(format!("bytes={bytes}-").as_str()));
}

/// The first `len` bytes of `data` as a 200 with no length at all: the body ends when the
/// server closes the connection, so the client cannot tell a cut from the end.
fn unannounced(data: &[u8], len: usize) -> Reply {
    Reply::status(200).header("ETag", "\"u\"").with_body(Body::StallAfter {
        prefix: data[..len].to_vec(),
        wait: Duration::ZERO,
    })
}

fn run_expecting(
    f: &Fetcher,
    url: &str,
    dest: &std::path::Path,
    expected: Option<u64>,
) -> earmark_core::Result<Finished> {
    let url = url::Url::parse(url).expect("url");
    f.download_expecting(&url, dest, expected, &mut |_, _| {}, &AtomicBool::new(false))
}

#[test]
fn an_unannounced_short_body_resumes_when_the_feed_says_more() {
    let server = Server::start();
    let data = media(600_000, 10);
    let n = AtomicUsize::new(0);
    let d = data.clone();
    // First a third of the file with no length (looks complete), then a server that honours Range.
    server.route("/ep.mp3", move |r| {
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            unannounced(&d, 200_000)
        } else {
            Reply::ranged(r, &d, "\"u\"")
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let done = run_expecting(&fetcher(), &server.url("/ep.mp3"), &dest, Some(600_000)).expect("download");
    assert_eq!(done, Finished::Done { bytes: 600_000 });
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    let reqs = server.requests_to("/ep.mp3");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("range"), Some("bytes=200000-"));
}

#[test]
fn the_same_short_size_twice_is_accepted_as_a_wrong_feed_length() {
    let server = Server::start();
    let data = media(150_000, 11);
    let d = data.clone();
    // The feed claims 1 MB; the server never sends a length and ignores Range.
    server.route("/ep.mp3", move |_| unannounced(&d, d.len()));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let done = run_expecting(&fetcher(), &server.url("/ep.mp3"), &dest, Some(1_000_000)).expect("download");
    assert_eq!(done, Finished::Done { bytes: 150_000 });
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    assert_eq!(server.requests_to("/ep.mp3").len(), 2, "confirmed by one more transfer");
}

#[test]
fn transfers_that_keep_ending_early_fail_as_truncated_and_keep_the_part() {
    let server = Server::start();
    let data = media(1_000_000, 12);
    let n = AtomicUsize::new(0);
    let d = data.clone();
    // Every answer is cut at a different place, never with a length, never honouring Range.
    server.route("/ep.mp3", move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        unannounced(&d, 100_000 + i * 10_000)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ep.mp3");
    let err = run_expecting(&fetcher(), &server.url("/ep.mp3"), &dest, Some(1_000_000)).expect_err("truncated");
    assert_eq!(err.code(), "truncated", "{err}");
    assert!(err.to_string().contains("the feed says 1000000"), "{err}");
    assert!(!dest.exists(), "nothing accepted at the destination");
    assert!(part_path(&dest).exists(), "the part is kept for a later resume");
    assert_eq!(server.requests_to("/ep.mp3").len(), 5);
}

#[test]
fn placeholder_feed_lengths_and_server_lengths_are_not_second_guessed() {
    let server = Server::start();
    let data = media(120_000, 13);
    let d = data.clone();
    server.route("/quiet.mp3", move |_| unannounced(&d, d.len()));
    let d = data.clone();
    server.route("/told.mp3", move |r| Reply::ranged(r, &d, "\"t\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let f = fetcher();
    // Placeholders (0, 1, a duration in seconds) are below the plausible floor: taken as is.
    for (i, placeholder) in [Some(0), Some(1), Some(3600), None].into_iter().enumerate() {
        let dest = dir.path().join(format!("q{i}.mp3"));
        run_expecting(&f, &server.url("/quiet.mp3"), &dest, placeholder).expect("download");
        assert_eq!(std::fs::read(&dest).expect("read"), data);
    }
    assert_eq!(server.requests_to("/quiet.mp3").len(), 4, "one request each");
    // A server that states the length wins over a feed that is far off.
    let dest = dir.path().join("told.mp3");
    run_expecting(&f, &server.url("/told.mp3"), &dest, Some(50_000_000)).expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    assert_eq!(server.requests_to("/told.mp3").len(), 1);
}
