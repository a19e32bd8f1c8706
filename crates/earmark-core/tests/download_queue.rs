//! The download manager against a local server (127.0.0.1): bounded concurrency, the events it
//! reports, pause and resume, and a failure that does not stop the rest of the queue.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod download_support;

use earmark_test_support::http;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use earmark_core::chrono::Utc;
use earmark_core::download::queue::{DownloadEvent, DownloadQueue};
use earmark_core::fetch::Fetcher;
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::Library;
use http::{Body, Reply, Request, Server};

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(5)).expect("client")
}

fn media(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 13 + seed as usize) % 251) as u8).collect()
}

/// Answers after a short wait, honouring Range.
fn slow(data: Vec<u8>) -> impl Fn(&Request) -> Reply + Send + Sync {
    move |req| {
        let start = req
            .header("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
            .filter(|&s| s < data.len());
        let (status, body) = match start {
            Some(s) => (206, data[s..].to_vec()),
            None => (200, data.clone()),
        };
        let mut reply = Reply::status(status)
            .header("ETag", "\"v1\"")
            .header("Content-Length", &body.len().to_string());
        if let Some(s) = start {
            reply = reply.header("Content-Range", &format!("bytes {s}-{}/{}", data.len() - 1, data.len()));
        }
        // Each answer waits a little, so transfers started together overlap on the server.
        reply.body(body).delayed(Duration::from_millis(150))
    }
}

/// A library subscribed to a feed (a local file) whose `n` episodes point at `server`.
fn library_with(server: &Server, n: usize) -> (tempfile::TempDir, Vec<EpisodeId>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut items = String::new();
    for i in 0..n {
        items.push_str(&format!(
            r#"<item><guid>ep{i}</guid><title>Episode {i}</title><pubDate>0{d} Jan 2024 10:00:00 +0000</pubDate>
<enclosure url="{}" type="audio/mpeg" length="0"/></item>"#,
            server.url(&format!("/media/{i}.mp3")),
            d = (i % 9) + 1
        ));
    }
    let feed =
        format!(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Show</title>{items}</channel></rss>"#);
    let (_lib, ids) = download_support::subscribe_file(server, &feed, dir.path(), &dir.path().join("lib"));
    (dir, ids)
}

type Log = Arc<Mutex<Vec<DownloadEvent>>>;

fn start(dir: &tempfile::TempDir, concurrency: usize) -> (DownloadQueue, Log) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let queue = DownloadQueue::start(
        dir.path().join("lib"),
        fetcher(),
        concurrency,
        Arc::new(chrono::Utc::now),
        move |e| {
            sink.lock().expect("log").push(e);
        },
    )
    .expect("queue");
    (queue, log)
}

fn states_of(log: &Log, id: EpisodeId) -> Vec<DownloadState> {
    let mut out: Vec<DownloadState> = Vec::new();
    for e in log.lock().expect("log").iter().filter(|e| e.status.episode_id == id) {
        if out.last() != Some(&e.status.state) {
            out.push(e.status.state);
        }
    }
    out
}

#[test]
fn six_downloads_run_at_most_three_at_a_time_and_all_finish() {
    let server = Server::start();
    let files: Vec<Vec<u8>> = (0..6).map(|i| media(200_000 + i * 1000, i as u8)).collect();
    for (i, data) in files.iter().enumerate() {
        server.route(&format!("/media/{i}.mp3"), slow(data.clone()));
    }
    let (dir, ids) = library_with(&server, 6);
    let (queue, log) = start(&dir, 3);
    queue.enqueue(&ids).expect("enqueue");
    queue.wait_idle();
    assert!(server.peak_in_flight() <= 3, "peak {}", server.peak_in_flight());
    assert!(
        server.peak_in_flight() >= 2,
        "transfers overlapped: peak {}",
        server.peak_in_flight()
    );

    let lib = Library::open(&dir.path().join("lib")).expect("library");
    for &id in &ids {
        assert_eq!(
            states_of(&log, id),
            vec![DownloadState::Queued, DownloadState::Downloading, DownloadState::Done],
            "episode {}",
            id.0
        );
        let path = lib.downloaded_file(id).expect("query").expect("downloaded");
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            files.contains(&bytes),
            "episode {} is byte-identical to one source",
            id.0
        );
    }
    // Each episode got its own file.
    let mut sizes: Vec<u64> = ids
        .iter()
        .map(|&id| {
            std::fs::metadata(lib.downloaded_file(id).expect("q").expect("f"))
                .expect("meta")
                .len()
        })
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    assert_eq!(sizes.len(), 6);

    // Asking again reports done without a request.
    let before = server.requests().len();
    queue.enqueue(&ids[..1]).expect("enqueue again");
    queue.wait_idle();
    assert_eq!(server.requests().len(), before);
}

#[test]
fn progress_events_are_throttled_and_carry_totals() {
    let server = Server::start();
    let data = media(3_000_000, 9);
    server.route("/media/0.mp3", slow(data.clone()));
    let (dir, ids) = library_with(&server, 1);
    let (queue, log) = start(&dir, 3);
    let t = Instant::now();
    queue.enqueue(&ids).expect("enqueue");
    queue.wait_idle();
    let elapsed = t.elapsed().as_secs_f64();
    let events = log.lock().expect("log").clone();
    let progress: Vec<&DownloadEvent> = events
        .iter()
        .filter(|e| e.status.state == DownloadState::Downloading)
        .collect();
    // At most one progress event per 100 ms, plus the state change itself.
    assert!(
        progress.len() as f64 <= elapsed * 10.0 + 2.0,
        "{} progress events in {elapsed:.2} s",
        progress.len()
    );
    let last = events.last().expect("an event");
    assert_eq!(last.status.state, DownloadState::Done);
    assert_eq!(last.status.bytes, data.len() as u64);
    assert_eq!(last.status.total, Some(data.len() as u64));
}

#[test]
fn a_failure_is_reported_and_the_rest_of_the_queue_goes_on() {
    let server = Server::start();
    server.set("/media/0.mp3", Reply::status(404));
    server.route("/media/1.mp3", slow(media(50_000, 1)));
    let (dir, ids) = library_with(&server, 2);
    let (queue, log) = start(&dir, 1);
    queue.enqueue(&ids).expect("enqueue");
    queue.wait_idle();
    let lib = Library::open(&dir.path().join("lib")).expect("library");
    let rows = lib.downloads().expect("downloads");
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.status.state == DownloadState::Failed)
        .collect();
    let done: Vec<_> = rows.iter().filter(|r| r.status.state == DownloadState::Done).collect();
    assert_eq!((failed.len(), done.len()), (1, 1), "{rows:?}");
    let err = failed[0].status.error.as_deref().expect("an error message");
    assert!(err.contains("404"), "{err}");
    let ev = log
        .lock()
        .expect("log")
        .iter()
        .find(|e| e.status.state == DownloadState::Failed)
        .cloned();
    assert!(ev.and_then(|e| e.status.error).is_some(), "the failure event says why");
}

#[test]
fn pause_keeps_the_part_and_enqueueing_again_resumes_with_range() {
    let server = Server::start();
    let data = media(400_000, 3);
    let d = data.clone();
    // The first answer sends half, then stalls long enough for the pause to land.
    let first = std::sync::atomic::AtomicBool::new(true);
    server.route("/media/0.mp3", move |req| {
        if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Reply::status(200)
                .header("ETag", "\"v1\"")
                .header("Content-Length", &d.len().to_string())
                .with_body(Body::StallAfter {
                    prefix: d[..200_000].to_vec(),
                    wait: Duration::from_secs(2),
                });
        }
        slow(d.clone())(req)
    });
    server.set("/media/1.mp3", Reply::ok(media(10, 0)));
    let (dir, ids) = library_with(&server, 2);
    let (queue, log) = start(&dir, 1);
    let lib = Library::open(&dir.path().join("lib")).expect("library");
    let url0 = lib.episode(ids[0]).expect("ep").episode.enclosure_url.expect("url");
    let (first_id, other) = if url0.ends_with("/0.mp3") {
        (ids[0], ids[1])
    } else {
        (ids[1], ids[0])
    };
    queue.enqueue(&[first_id, other]).expect("enqueue");
    // Pause the queued one before it starts, and the running one once bytes arrived.
    assert!(queue.pause(other).expect("pause queued"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !log
        .lock()
        .expect("log")
        .iter()
        .any(|e| e.status.episode_id == first_id && e.status.state == DownloadState::Downloading && e.status.bytes > 0)
    {
        assert!(Instant::now() < deadline, "no progress arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(queue.pause(first_id).expect("pause running"));
    queue.wait_idle();
    assert_eq!(
        states_of(&log, other),
        vec![DownloadState::Queued, DownloadState::Paused]
    );
    assert_eq!(
        states_of(&log, first_id).last(),
        Some(&DownloadState::Paused),
        "the running one paused"
    );
    let (_, dest) = lib.download_target(first_id).expect("target");
    let part = earmark_core::download::transfer::part_path(&dest);
    let kept = std::fs::metadata(&part).expect("part kept").len();
    assert!(kept > 0);

    queue.enqueue(&[first_id]).expect("resume");
    queue.wait_idle();
    assert_eq!(std::fs::read(&dest).expect("done"), data, "byte-identical after resume");
    let last = server.requests_to("/media/0.mp3").pop().expect("request");
    assert_eq!(last.header("range"), Some(format!("bytes={kept}-").as_str()));
}

#[test]
fn unknown_episodes_queue_nothing() {
    let server = Server::start();
    let (dir, ids) = library_with(&server, 1);
    let (queue, log) = start(&dir, 2);
    assert!(queue.enqueue(&[ids[0], EpisodeId(9999)]).is_err());
    queue.wait_idle();
    assert!(log.lock().expect("log").is_empty());
    assert!(server.requests().is_empty());
}

#[test]
fn everything_new_skips_started_played_and_downloaded_episodes() {
    let server = Server::start();
    server.route("/media/0.mp3", slow(media(1000, 0)));
    let (dir, ids) = library_with(&server, 4);
    let mut lib = Library::open(&dir.path().join("lib")).expect("library");
    let now = Utc::now();
    lib.set_played(ids[1], true, now).expect("played");
    lib.save_position(ids[2], 30.0, now).expect("started");
    let zero = ids
        .iter()
        .copied()
        .find(|&id| {
            lib.episode(id)
                .is_ok_and(|d| d.episode.enclosure_url.is_some_and(|u| u.ends_with("/0.mp3")))
        })
        .expect("episode 0");
    let (queue, _log) = start(&dir, 2);
    queue.enqueue(&[zero]).expect("enqueue");
    queue.wait_idle();
    let new = lib.undownloaded_episodes(None, true).expect("new");
    let all = lib.undownloaded_episodes(None, false).expect("all");
    let expected_new: Vec<EpisodeId> = ids
        .iter()
        .copied()
        .filter(|&id| id != ids[1] && id != ids[2] && id != zero)
        .collect();
    let mut sorted_new = new.clone();
    sorted_new.sort_by_key(|e| e.0);
    let mut sorted_expected = expected_new;
    sorted_expected.sort_by_key(|e| e.0);
    assert_eq!(sorted_new, sorted_expected);
    assert_eq!(
        all.len(),
        3,
        "played and started ones count when asking for all: {all:?}"
    );
}

fn episode_at(lib: &Library, ids: &[EpisodeId], path: &str) -> EpisodeId {
    ids.iter()
        .copied()
        .find(|&id| {
            lib.episode(id)
                .is_ok_and(|d| d.episode.enclosure_url.is_some_and(|u| u.ends_with(path)))
        })
        .expect("episode with that enclosure")
}

#[test]
fn a_gone_enclosure_is_marked_missing_and_bulk_downloads_leave_it_alone() {
    let server = Server::start();
    server.set("/media/0.mp3", Reply::status(410));
    server.route("/media/1.mp3", slow(media(20_000, 1)));
    server.route("/media/0b.mp3", slow(media(30_000, 2)));
    let (dir, ids) = library_with(&server, 2);
    let mut lib = Library::open(&dir.path().join("lib")).expect("library");
    let gone = episode_at(&lib, &ids, "/media/0.mp3");
    let (queue, log) = start(&dir, 2);
    queue.enqueue(&ids).expect("enqueue");
    queue.wait_idle();

    let row = lib
        .downloads()
        .expect("downloads")
        .into_iter()
        .find(|r| r.status.episode_id == gone)
        .expect("a row");
    assert_eq!(row.status.state, DownloadState::Failed);
    let err = row.status.error.expect("a message");
    assert!(err.contains("gone from the server") && err.contains("410"), "{err}");
    assert_eq!(server.requests_to("/media/0.mp3").len(), 1, "a 410 is not retried");
    let ev = log
        .lock()
        .expect("log")
        .iter()
        .find(|e| e.status.episode_id == gone && e.status.state == DownloadState::Failed)
        .cloned()
        .expect("failure event");
    assert!(ev.status.error.is_some_and(|e| e.contains("gone from the server")));

    // Bulk downloads ("everything new", a whole podcast) leave it alone ...
    assert!(!lib.undownloaded_episodes(None, true).expect("new").contains(&gone));
    assert!(!lib.undownloaded_episodes(None, false).expect("all").contains(&gone));
    // ... an explicit request asks once more, and it is marked again.
    queue.enqueue(&[gone]).expect("enqueue again");
    queue.wait_idle();
    assert_eq!(server.requests_to("/media/0.mp3").len(), 2);
    assert!(!lib.undownloaded_episodes(None, false).expect("all").contains(&gone));

    // The feed moves the file: the episode is wanted again and downloads from the new address.
    let feed_path = dir.path().join("feed.xml");
    let feed = std::fs::read_to_string(&feed_path).expect("feed");
    std::fs::write(&feed_path, feed.replace("/media/0.mp3", "/media/0b.mp3")).expect("write feed");
    let reports =
        earmark_core::refresh::refresh(&mut lib, &fetcher(), None, 1, Utc::now(), &mut |_, _, _| {}).expect("refresh");
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    assert!(lib.undownloaded_episodes(None, false).expect("all").contains(&gone));
    queue.enqueue(&[gone]).expect("enqueue moved");
    queue.wait_idle();
    assert!(lib.downloaded_file(gone).expect("query").is_some());
}

#[test]
fn a_download_left_from_an_earlier_run_and_paused_before_the_resume_stays_paused() {
    let server = Server::start();
    server.set("/media/0.mp3", Reply::ok(media(1000, 1)));
    server.set("/media/1.mp3", Reply::ok(media(1000, 2)));
    let (dir, ids) = library_with(&server, 2);
    // As a quit in the middle leaves them: both queued in the library, neither in a queue.
    {
        let mut lib = Library::open(&dir.path().join("lib")).expect("library");
        for &id in &ids {
            lib.set_download(id, DownloadState::Queued, 0, None, None, Utc::now())
                .expect("queued");
        }
    }
    let (queue, log) = start(&dir, 1);
    // The user pauses one before the resume has reached it (the window is up at once).
    assert!(
        queue.pause(ids[1]).expect("pause"),
        "a left-over download can be paused"
    );
    assert_eq!(queue.resume_unfinished().expect("resume"), vec![ids[0]]);
    queue.wait_idle();
    assert_eq!(states_of(&log, ids[1]), vec![DownloadState::Paused]);
    assert_eq!(states_of(&log, ids[0]).last(), Some(&DownloadState::Done));
    let lib = Library::open(&dir.path().join("lib")).expect("library");
    assert_eq!(lib.download_state(ids[1]).expect("state"), Some(DownloadState::Paused));
    assert!(lib.downloaded_file(ids[1]).expect("file").is_none());
    let url = lib
        .episode(ids[1])
        .expect("episode")
        .episode
        .enclosure_url
        .expect("url");
    let path = url
        .split_once("/media/")
        .map(|(_, name)| format!("/media/{name}"))
        .expect("path");
    assert!(server.requests_to(&path).is_empty(), "never fetched");
    // Pausing something with no download at all is still a no.
    assert!(!queue.pause(EpisodeId(9_999)).expect("pause unknown"));
}

#[test]
fn a_download_left_under_way_by_a_killed_process_shows_as_paused() {
    let server = Server::start();
    let (dir, ids) = library_with(&server, 1);
    let mut lib = Library::open(&dir.path().join("lib")).expect("library");
    // What a process killed mid-transfer leaves behind.
    lib.set_download(
        ids[0],
        DownloadState::Downloading,
        100,
        Some(1000),
        None,
        chrono::Utc::now(),
    )
    .expect("record");
    assert_eq!(lib.download_state(ids[0]).expect("state"), Some(DownloadState::Paused));
    assert_eq!(lib.downloads().expect("list")[0].status.state, DownloadState::Paused);
    // While a queue runs on the library, the recorded state is what it says.
    let (queue, _log) = start(&dir, 1);
    assert_eq!(
        lib.download_state(ids[0]).expect("state"),
        Some(DownloadState::Downloading)
    );
    assert_eq!(
        lib.downloads().expect("list")[0].status.state,
        DownloadState::Downloading
    );
    drop(queue);
    assert_eq!(lib.download_state(ids[0]).expect("state"), Some(DownloadState::Paused));
    // The app's start-up still picks it up and resumes it.
    assert_eq!(lib.unfinished_downloads().expect("unfinished"), vec![ids[0]]);
}
