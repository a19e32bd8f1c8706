//! A full disk and another filesystem, for real: each test mounts its own small tmpfs (root
//! only) and fills it with a download, an export or a media folder move. The error must be
//! `DiskFull` (code `disk_full`), the `.part` kept for a resume, the library database consistent,
//! and nothing half-written where an export or a moved file would go; a move to another
//! filesystem copies, then removes. Where a tmpfs cannot be mounted (not root, a container
//! without the permission) each test prints "skipped: …" and passes.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod download_support;

use earmark_test_support::http;
use earmark_test_support::sqlite::assert_intact;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earmark_core::chrono::Utc;
use earmark_core::download::queue::{DownloadEvent, DownloadQueue};
use earmark_core::download::transfer::part_path;
use earmark_core::fetch::Fetcher;
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::Library;
use http::{Reply, Server};

/// A tmpfs mounted on a fresh temporary folder; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount` spells it: `1m`, `64k`), or says why it cannot.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot mount a tmpfs (needs root and the permission to mount): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the filesystem bigger in place, keeping its files.
    fn grow(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.path())
            .output()
            .expect("remount");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Busy (a file still open): detach it so the folder can go.
            let _ = Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}

/// Mounts a tmpfs or prints why the test is skipped.
macro_rules! tmpfs_or_skip {
    ($size:expr) => {
        match Tmpfs::mount($size) {
            Ok(t) => t,
            Err(why) => {
                eprintln!("skipped: {why}");
                return;
            }
        }
    };
}

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(5)).expect("client")
}

fn media(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

/// Subscribes the library in `lib_dir` to a one-episode feed (a file in `feed_dir`).
fn subscribe(server: &Server, feed_dir: &Path, lib_dir: &Path) -> EpisodeId {
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Full</title>
<item><guid>big</guid><title>Big</title><enclosure url="{}" type="audio/mpeg" length="3000000"/></item>
</channel></rss>"#,
        server.url("/big.mp3")
    );
    let (_lib, ids) = download_support::subscribe_file(server, &feed, feed_dir, lib_dir);
    ids[0]
}

#[test]
fn a_download_into_a_full_disk_is_disk_full_and_keeps_the_part() {
    let fs = tmpfs_or_skip!("1m");
    let server = Server::start();
    let data = media(3_000_000);
    let d = data.clone();
    server.route("/big.mp3", move |r| Reply::ranged(r, &d, "\"big\""));
    let dest = fs.path().join("big.mp3");
    let url = url::Url::parse(&server.url("/big.mp3")).expect("url");
    let err = fetcher()
        .download(&url, &dest, &mut |_, _| {}, &AtomicBool::new(false))
        .expect_err("the disk is full");
    assert_eq!(err.code(), "disk_full", "{err}");
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert!(!dest.exists(), "nothing at the destination");
    let kept = std::fs::metadata(part_path(&dest)).expect("part kept").len();
    assert!(kept > 0 && kept < data.len() as u64, "{kept}");
    assert_eq!(server.requests_to("/big.mp3").len(), 1, "a full disk is not retried");
}

#[test]
fn a_library_on_a_full_disk_stays_consistent_and_resumes_once_there_is_room() {
    // Room for the library (about 1.5 MB with its WAL, 18 migrations of 16 KiB pages), not for
    // the 6 MB episode.
    let fs = tmpfs_or_skip!("5m");
    let server = Server::start();
    let data = media(6_000_000);
    let d = data.clone();
    server.route("/big.mp3", move |r| Reply::ranged(r, &d, "\"big\""));
    let feed_dir = tempfile::tempdir().expect("tempdir");
    let lib_dir: PathBuf = fs.path().join("lib");
    let id = subscribe(&server, feed_dir.path(), &lib_dir);
    {
        let mut lib = Library::open(&lib_dir).expect("library");
        lib.save_position(id, 42.0, Utc::now()).expect("position");
    }
    let log: Arc<Mutex<Vec<DownloadEvent>>> = Arc::default();
    let sink = Arc::clone(&log);
    let queue = DownloadQueue::start(
        lib_dir.clone(),
        fetcher(),
        1,
        std::sync::Arc::new(chrono::Utc::now),
        move |e| {
            sink.lock().expect("log").push(e);
        },
    )
    .expect("queue");
    queue.enqueue(&[id]).expect("enqueue");
    queue.wait_idle();
    let failed = log
        .lock()
        .expect("log")
        .iter()
        .find(|e| e.status.state == DownloadState::Failed)
        .cloned()
        .expect("a failure event");
    let why = failed.status.error.expect("a message");
    assert!(why.contains("disk is full"), "{why}");

    // The database is intact and still knows the episode and where the listener was.
    assert_intact(&lib_dir.join(earmark_core::library::DB_FILE));
    let lib = Library::open(&lib_dir).expect("library reopens");
    assert_eq!(lib.listening_state(id).expect("state"), (42.0, false));
    assert!(lib.downloaded_file(id).expect("query").is_none());
    let (_, dest) = lib.download_target(id).expect("target");
    assert!(!dest.exists(), "no half-written file under the final name");
    let kept = std::fs::metadata(part_path(&dest)).expect("part kept").len();
    assert!(kept > 0, "the bytes that fitted stay for the resume");

    // Room again: the same request resumes from the part and ends byte-identical.
    fs.grow("16m");
    queue.enqueue(&[id]).expect("enqueue again");
    queue.wait_idle();
    assert_eq!(std::fs::read(&dest).expect("downloaded"), data);
    let last = server.requests_to("/big.mp3").pop().expect("request");
    assert_eq!(last.header("range"), Some(format!("bytes={kept}-").as_str()));
    drop(queue);
    drop(lib);
}

#[test]
fn an_export_into_a_full_disk_leaves_nothing_behind() {
    let lib_dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(lib_dir.path()).expect("library");
    let server = Server::start();
    let id = subscribe(&server, lib_dir.path(), lib_dir.path());
    let (_, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(dest.parent().expect("media dir")).expect("media dir");
    std::fs::write(&dest, media(3_000_000)).expect("media");
    lib.set_download(id, DownloadState::Done, 3_000_000, Some(3_000_000), None, Utc::now())
        .expect("record");
    // Too small for the media (1 MiB) and too small even for the database snapshot (16 KiB).
    for size in ["1m", "16k"] {
        let fs = tmpfs_or_skip!(size);
        let target = fs.path().join("export");
        let err = earmark_core::backup::export(&lib, &target, Utc::now()).expect_err("the disk is full");
        assert_eq!(err.code(), "disk_full", "{size}: {err}");
        let left: Vec<_> = std::fs::read_dir(fs.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{size}: left behind {left:?}");
    }
    assert_intact(&lib_dir.path().join(earmark_core::library::DB_FILE));
}

#[test]
fn moving_the_media_folder_to_another_filesystem_copies_and_removes() {
    let fs = tmpfs_or_skip!("8m");
    let server = Server::start();
    let data = media(3_000_000);
    let d = data.clone();
    server.route("/big.mp3", move |r| Reply::ranged(r, &d, "\"big\""));
    let home = tempfile::tempdir().expect("tempdir");
    let lib_dir = home.path().join("lib");
    let id = subscribe(&server, home.path(), &lib_dir);
    let queue = DownloadQueue::start(
        lib_dir.clone(),
        fetcher(),
        1,
        std::sync::Arc::new(chrono::Utc::now),
        |_| {},
    )
    .expect("queue");
    queue.enqueue(&[id]).expect("enqueue");
    queue.wait_idle();
    drop(queue);
    let mut lib = Library::open(&lib_dir).expect("library");
    let before = lib.downloaded_file(id).expect("query").expect("downloaded");
    let target = fs.path().join("Podcasts");
    let report = lib.set_media_dir(&target, &mut |_, _| {}).expect("move");
    assert_eq!((report.files, report.bytes), (1, data.len() as u64));
    let after = lib.downloaded_file(id).expect("query").expect("still downloaded");
    assert!(after.starts_with(fs.path()), "{}", after.display());
    assert_eq!(std::fs::read(&after).expect("read"), data);
    assert!(!before.exists(), "the original is removed once the copy is in place");
    let names: Vec<_> = std::fs::read_dir(&target)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    drop(lib);
}

#[test]
fn moving_the_media_folder_onto_a_full_disk_keeps_the_old_folder() {
    let fs = tmpfs_or_skip!("1m");
    let home = tempfile::tempdir().expect("tempdir");
    let lib_dir = home.path().join("lib");
    let server = Server::start();
    let id = subscribe(&server, home.path(), &lib_dir);
    let mut lib = Library::open(&lib_dir).expect("library");
    let (_, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(dest.parent().expect("media")).expect("media");
    let data = media(3_000_000);
    std::fs::write(&dest, &data).expect("media");
    lib.set_download(id, DownloadState::Done, 3_000_000, Some(3_000_000), None, Utc::now())
        .expect("record");
    let err = lib
        .set_media_dir(&fs.path().join("Podcasts"), &mut |_, _| {})
        .expect_err("the disk is full");
    assert_eq!(err.code(), "disk_full", "{err}");
    assert_eq!(lib.media_dir(), lib_dir.join("media"), "the setting is unchanged");
    assert_eq!(lib.downloaded_file(id).expect("query"), Some(dest.clone()));
    assert_eq!(std::fs::read(&dest).expect("read"), data, "the original is intact");
    let left: Vec<_> = std::fs::read_dir(fs.path().join("Podcasts"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "no half-copied file: {left:?}");
}
