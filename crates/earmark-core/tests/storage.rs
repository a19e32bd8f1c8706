//! Storage per podcast, and the media folder: moving it moves every download (finished files and
//! partial ones with their resume data); an interrupted move keeps every file findable and
//! finishes when asked again.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use earmark_core::chrono::{TimeZone, Utc};
use earmark_core::download::transfer::part_path;
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::{DownloadState, EpisodeId, PodcastId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::storage::PodcastStorage;
use earmark_core::Library;

fn resolver() -> Resolver {
    let fetcher = Fetcher::new(FetchConfig {
        timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    })
    .expect("client");
    Resolver::new(fetcher, url::Url::parse("http://127.0.0.1:9/").expect("base"))
}

/// Subscribes to a feed file named `name` with episodes `guids`; returns the podcast and its
/// episodes in feed order.
fn subscribe(lib: &mut Library, dir: &Path, name: &str, guids: &[&str]) -> (PodcastId, Vec<EpisodeId>) {
    let items: String = guids
        .iter()
        .map(|g| {
            format!(
                "<item><guid>{g}</guid><title>{g}</title>\
                 <enclosure url=\"http://127.0.0.1:9/{g}.mp3\" type=\"audio/mpeg\" length=\"0\"/></item>"
            )
        })
        .collect();
    let path = dir.join(format!("{name}.xml"));
    std::fs::write(
        &path,
        format!("<rss version=\"2.0\"><channel><title>{name}</title>{items}</channel></rss>"),
    )
    .expect("feed");
    let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("time");
    let sub = resolve::subscribe(lib, &resolver(), &path.display().to_string(), now).expect("subscribe");
    let eps = lib.episodes(Some(sub.podcast.id)).expect("episodes");
    let ids = guids
        .iter()
        .map(|g| eps.iter().find(|e| e.guid == *g).expect("episode").id)
        .collect();
    (sub.podcast.id, ids)
}

/// Puts `len` bytes where the episode's download goes and records it as done.
fn downloaded(lib: &mut Library, id: EpisodeId, len: usize) -> PathBuf {
    let (_, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(dest.parent().expect("folder")).expect("media folder");
    std::fs::write(&dest, vec![id.0 as u8; len]).expect("media");
    lib.set_download(id, DownloadState::Done, len as u64, Some(len as u64), None, Utc::now())
        .expect("record");
    dest
}

/// A partial download: the `.part` and its resume data.
fn partial(lib: &mut Library, id: EpisodeId, len: usize) -> PathBuf {
    let (_, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(dest.parent().expect("folder")).expect("media folder");
    std::fs::write(part_path(&dest), vec![7u8; len]).expect("part");
    let mut meta = dest.as_os_str().to_owned();
    meta.push(".part.meta");
    std::fs::write(PathBuf::from(meta), "\"etag\"").expect("meta");
    lib.set_download(id, DownloadState::Paused, len as u64, None, None, Utc::now())
        .expect("record");
    dest
}

#[test]
fn storage_is_counted_per_podcast_from_files_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(&dir.path().join("lib")).expect("library");
    let (a, a_eps) = subscribe(&mut lib, dir.path(), "Alpha", &["a1", "a2", "a3"]);
    let (b, b_eps) = subscribe(&mut lib, dir.path(), "Beta", &["b1", "b2"]);
    let (_c, _) = subscribe(&mut lib, dir.path(), "Gamma", &["c1"]);
    assert!(lib.storage_by_podcast().expect("storage").is_empty());

    downloaded(&mut lib, a_eps[0], 1000);
    downloaded(&mut lib, a_eps[1], 500);
    let gone = downloaded(&mut lib, a_eps[2], 9999);
    std::fs::remove_file(gone).expect("remove"); // recorded, but no longer on disk
    downloaded(&mut lib, b_eps[0], 4000);
    partial(&mut lib, b_eps[1], 300); // not finished: not counted
    let storage = lib.storage_by_podcast().expect("storage");
    assert_eq!(
        storage,
        vec![
            PodcastStorage {
                podcast_id: b,
                title: "Beta".into(),
                files: 1,
                bytes: 4000
            },
            PodcastStorage {
                podcast_id: a,
                title: "Alpha".into(),
                files: 2,
                bytes: 1500
            },
        ]
    );
}

#[test]
fn moving_the_media_folder_moves_every_download() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib_dir = dir.path().join("lib");
    let mut lib = Library::open(&lib_dir).expect("library");
    let (_, eps) = subscribe(&mut lib, dir.path(), "Show", &["e1", "e2", "e3"]);
    let f1 = downloaded(&mut lib, eps[0], 1000);
    let f2 = downloaded(&mut lib, eps[1], 2000);
    let p3 = partial(&mut lib, eps[2], 300);
    let old = lib.media_dir();
    assert_eq!(old, lib_dir.join("media"));

    let relative = lib.set_media_dir(Path::new("relative/media"), &mut |_, _| {});
    assert_eq!(relative.expect_err("relative").code(), "invalid");

    let target = dir.path().join("elsewhere").join("Podcasts");
    let mut seen = Vec::new();
    let report = lib
        .set_media_dir(&target, &mut |done, total| seen.push((done, total)))
        .expect("move");
    assert_eq!(report.files, 4, "two files, a part and its resume data");
    assert_eq!(report.bytes, 3300 + "\"etag\"".len() as u64);
    assert_eq!(seen.last(), Some(&(3, 3)));
    let target = target.canonicalize().expect("canonical");
    assert_eq!(lib.media_dir(), target);
    let folder = lib.media_folder().expect("folder");
    assert_eq!((folder.path, folder.moving_to), (target.display().to_string(), None));
    assert!(!old.exists(), "the empty default folder is gone");
    for (id, before) in [(eps[0], &f1), (eps[1], &f2)] {
        let now = lib.downloaded_file(id).expect("query").expect("still downloaded");
        assert_eq!(now, target.join(before.file_name().expect("name")));
        assert_eq!(
            std::fs::read(&now).expect("read"),
            vec![id.0 as u8; now.metadata().expect("m").len() as usize]
        );
    }
    let (_, dest3) = lib.download_target(eps[2]).expect("target");
    assert_eq!(dest3, target.join(p3.file_name().expect("name")));
    assert!(
        part_path(&dest3).is_file(),
        "the partial download moved, ready to resume"
    );
    assert!(lib
        .downloads()
        .expect("rows")
        .iter()
        .all(|r| r.path.starts_with(&target.display().to_string())));

    // A new library opened on the same folder sees the setting.
    drop(lib);
    let lib = Library::open(&lib_dir).expect("reopen");
    assert_eq!(lib.media_dir(), target);

    // An export takes the media from the new folder; an import puts it in its own library.
    let export = dir.path().join("export");
    let r = earmark_core::backup::export(&lib, &export, Utc::now()).expect("export");
    assert_eq!(r.files, 3, "database and two finished files");
    let other = dir.path().join("other");
    earmark_core::backup::import(&export, &other).expect("import");
    let imported = Library::open(&other).expect("imported");
    assert_eq!(imported.media_dir(), other.join("media"));
    assert!(imported.downloaded_file(eps[0]).expect("query").is_some());
}

#[test]
fn an_interrupted_move_keeps_every_file_findable_and_finishes_when_asked_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib_dir = dir.path().join("lib");
    let mut lib = Library::open(&lib_dir).expect("library");
    let (_, mut eps) = subscribe(&mut lib, dir.path(), "Show", &["e1", "e2", "e3"]);
    eps.sort(); // the order the move takes them in
    let files: Vec<PathBuf> = eps
        .iter()
        .enumerate()
        .map(|(i, &id)| downloaded(&mut lib, id, 1000 * (i + 1)))
        .collect();
    let old = lib.media_dir();
    let target = dir.path().join("new");
    std::fs::create_dir_all(&target).expect("target");
    let target = target.canonicalize().expect("canonical");
    let name = |i: usize| files[i].file_name().expect("name").to_owned();
    // Something in the way of the second file stops the move half-way.
    std::fs::create_dir(target.join(name(1))).expect("obstacle");
    lib.set_media_dir(&target, &mut |_, _| {}).expect_err("interrupted");

    // The old folder is still the media folder; the move is remembered; every file is found.
    assert_eq!(lib.media_dir(), old);
    assert_eq!(
        lib.media_folder().expect("folder").moving_to,
        Some(target.display().to_string())
    );
    assert_eq!(lib.downloaded_file(eps[0]).expect("q"), Some(target.join(name(0))));
    assert_eq!(lib.downloaded_file(eps[1]).expect("q"), Some(old.join(name(1))));
    assert_eq!(lib.downloaded_file(eps[2]).expect("q"), Some(old.join(name(2))));
    assert_eq!(lib.storage_by_podcast().expect("storage")[0].files, 3);
    drop(lib);

    // As if a crash came after copying the second file but before removing the original.
    std::fs::remove_dir(target.join(name(1))).expect("clear obstacle");
    std::fs::copy(old.join(name(1)), target.join(name(1))).expect("copy");

    let mut lib = Library::open(&lib_dir).expect("reopen");
    let report = lib.set_media_dir(&target, &mut |_, _| {}).expect("finish");
    assert_eq!(report.files, 1, "only the third still needed moving");
    assert_eq!(lib.media_dir(), target);
    assert_eq!(lib.media_folder().expect("folder").moving_to, None);
    for (i, &id) in eps.iter().enumerate() {
        let path = lib.downloaded_file(id).expect("q").expect("downloaded");
        assert_eq!(path, target.join(name(i)));
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 1000 * (i as u64 + 1));
    }
    assert!(!old.exists(), "nothing left in the old folder");

    // Moving back to where it already is does nothing.
    let again = lib.set_media_dir(&target, &mut |_, _| {}).expect("no-op");
    assert_eq!(again.files, 0);
}
