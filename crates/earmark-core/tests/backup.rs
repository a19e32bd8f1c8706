//! Export and import of a whole library: a round trip keeps podcasts, episodes, positions,
//! downloads (the files too) and bookmarks; a damaged export is refused with the bad files named
//! and nothing is half-imported.

use earmark_core::backup;
use earmark_core::chrono::{TimeZone, Utc};
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::{Error, Library};

fn now() -> earmark_core::chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("time")
}

/// A library with two episodes, a saved position, one finished download and one bookmark.
fn library(dir: &std::path::Path) -> (Library, Vec<EpisodeId>, Vec<u8>) {
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Backup Show</title>
<item><guid>a</guid><title>First</title><pubDate>01 Jan 2024 10:00:00 +0000</pubDate><enclosure url="http://127.0.0.1:9/a.mp3" type="audio/mpeg" length="1"/></item>
<item><guid>b</guid><title>Second</title><pubDate>02 Jan 2024 10:00:00 +0000</pubDate><enclosure url="http://127.0.0.1:9/b.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#,
    )
    .expect("feed");
    let mut lib = Library::open(&dir.join("lib")).expect("library");
    let fetcher = earmark_core::fetch::Fetcher::new(Default::default()).expect("fetcher");
    let base = url::Url::parse("http://127.0.0.1:9/").expect("base");
    resolve::subscribe(
        &mut lib,
        &Resolver::new(fetcher, base),
        &feed.display().to_string(),
        now(),
    )
    .expect("subscribe");
    let ids: Vec<EpisodeId> = lib
        .episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| e.id)
        .collect();
    lib.save_position(ids[0], 42.5, now()).expect("position");
    let audio: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let (_, dest) = lib.download_target(ids[1]).expect("target");
    std::fs::create_dir_all(lib.media_dir()).expect("media");
    std::fs::write(&dest, &audio).expect("media file");
    lib.set_download(
        ids[1],
        DownloadState::Done,
        audio.len() as u64,
        Some(audio.len() as u64),
        None,
        now(),
    )
    .expect("record");
    // A bookmark, written as the bookmarks table stores it.
    let conn = rusqlite::Connection::open(dir.join("lib").join(earmark_core::library::DB_FILE)).expect("conn");
    conn.execute(
        "INSERT INTO bookmarks (uid, episode_id, start_secs, end_secs, title, note, created, updated) \
         VALUES ('u-1', ?1, 10.0, 20.0, 'A moment', 'worth keeping', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z')",
        [ids[0].0],
    )
    .expect("bookmark");
    (lib, ids, audio)
}

#[test]
fn export_then_import_round_trips_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, ids, audio) = library(dir.path());
    let export_dir = dir.path().join("backup");
    let report = backup::export(&lib, &export_dir, now()).expect("export");
    assert_eq!(report.files, 2, "the database and one media file");
    assert!(export_dir.join("manifest.json").is_file());

    let restored_dir = dir.path().join("elsewhere").join("restored");
    std::fs::create_dir_all(restored_dir.parent().expect("parent")).expect("mkdir");
    backup::import(&export_dir, &restored_dir).expect("import");
    let restored = Library::open(&restored_dir).expect("open restored");
    assert_eq!(restored.podcasts().expect("podcasts").len(), 1);
    let eps = restored.episodes(None).expect("episodes");
    assert_eq!(eps.len(), 2);
    let first = eps.iter().find(|e| e.id == ids[0]).expect("first");
    assert_eq!(first.position_secs, 42.5);
    let file = restored
        .downloaded_file(ids[1])
        .expect("query")
        .expect("the download came along");
    assert!(
        file.starts_with(&restored_dir),
        "paths point into the new library: {}",
        file.display()
    );
    assert_eq!(std::fs::read(file).expect("read"), audio);
    let conn = rusqlite::Connection::open(restored_dir.join(earmark_core::library::DB_FILE)).expect("conn");
    let note: String = conn
        .query_row("SELECT note FROM bookmarks WHERE uid = 'u-1'", [], |r| r.get(0))
        .expect("bookmark kept");
    assert_eq!(note, "worth keeping");
}

#[test]
fn a_damaged_export_is_refused_and_nothing_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, _, _) = library(dir.path());
    let export_dir = dir.path().join("backup");
    backup::export(&lib, &export_dir, now()).expect("export");
    let media = media_files(&export_dir).into_iter().next().expect("a media file");
    let mut bytes = std::fs::read(&media).expect("read");
    bytes[100] ^= 0xff;
    std::fs::write(&media, bytes).expect("damage");

    let target = dir.path().join("restored");
    let err = backup::import(&export_dir, &target).expect_err("refused");
    match err {
        Error::DamagedExport { bad } => {
            assert_eq!(bad.len(), 1, "{bad:?}");
            assert!(bad[0].starts_with("media/"), "{bad:?}");
        }
        other => panic!("expected DamagedExport, got {other}"),
    }
    assert!(!target.exists(), "nothing half-imported");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());

    // A missing manifest entry's file, and a manifest that points outside the export.
    std::fs::remove_file(&media).expect("remove");
    let err = backup::verify(&export_dir).expect_err("missing file");
    assert!(err.to_string().contains("missing"), "{err}");
    let manifest = export_dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("\"media/", "\"../")).expect("rewrite");
    let err = backup::verify(&export_dir).expect_err("escaping path");
    assert!(err.to_string().contains("not a path"), "{err}");
}

#[test]
fn export_refuses_a_folder_with_things_in_it_and_import_refuses_an_existing_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, _, _) = library(dir.path());
    let busy = dir.path().join("busy");
    std::fs::create_dir_all(&busy).expect("mkdir");
    std::fs::write(busy.join("keep.txt"), "mine").expect("write");
    assert!(matches!(backup::export(&lib, &busy, now()), Err(Error::Invalid(_))));
    assert_eq!(std::fs::read_to_string(busy.join("keep.txt")).expect("kept"), "mine");
    let export_dir = dir.path().join("backup");
    backup::export(&lib, &export_dir, now()).expect("export");
    assert!(matches!(
        backup::import(&export_dir, &dir.path().join("lib")),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn a_single_file_export_round_trips_and_a_damaged_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, ids, audio) = library(dir.path());
    let file = dir.path().join("earmark-backup.tar");
    backup::export(&lib, &file, now()).expect("export to a file");
    assert!(file.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no staging left: {leftovers:?}");
    assert!(
        matches!(backup::export(&lib, &file, now()), Err(Error::Invalid(_))),
        "never overwrites"
    );

    let restored_dir = dir.path().join("restored");
    backup::import(&file, &restored_dir).expect("import from the file");
    let restored = Library::open(&restored_dir).expect("open");
    let path = restored.downloaded_file(ids[1]).expect("q").expect("media came along");
    assert_eq!(std::fs::read(path).expect("read"), audio);

    // Flip a byte inside the archive's media: refused, nothing imported.
    let mut bytes = std::fs::read(&file).expect("read tar");
    let at = bytes
        .windows(4)
        .position(|w| w == [10u8, 11, 12, 13])
        .expect("the media's bytes are in the tar");
    bytes[at] ^= 0xff;
    let damaged = dir.path().join("damaged.tar");
    std::fs::write(&damaged, bytes).expect("write");
    let target = dir.path().join("from-damaged");
    assert!(matches!(
        backup::import(&damaged, &target),
        Err(Error::DamagedExport { .. })
    ));
    assert!(!target.exists());
    // Not a tar at all.
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"not an archive").expect("write");
    assert!(backup::import(&junk, &dir.path().join("from-junk")).is_err());
    assert!(!dir.path().join("from-junk").exists());
}

#[test]
fn an_archive_holding_links_and_stray_files_imports_plain_listed_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, ids, audio) = library(dir.path());
    let folder = dir.path().join("export");
    backup::export(&lib, &folder, now()).expect("export to a folder");
    // Swap a media file for a link to a copy elsewhere, and add a file the manifest does not list.
    let media = media_files(&folder)
        .into_iter()
        .find(|p| std::fs::read(p).is_ok_and(|b| b == audio))
        .expect("the episode's media in the export");
    let outside = dir.path().join("outside.bin");
    std::fs::copy(&media, &outside).expect("copy");
    std::fs::remove_file(&media).expect("remove");
    std::os::unix::fs::symlink(&outside, &media).expect("symlink");
    std::fs::write(folder.join("media").join("stray.bin"), b"not listed").expect("stray");
    let file = dir.path().join("hostile.tar");
    {
        let mut tar = tar::Builder::new(std::fs::File::create(&file).expect("tar"));
        tar.follow_symlinks(false);
        tar.append_dir_all(".", &folder).expect("append");
        tar.finish().expect("finish");
    }
    let target = dir.path().join("restored");
    backup::import(&file, &target).expect("import");
    let restored = Library::open(&target).expect("open");
    let kept = restored.downloaded_file(ids[1]).expect("q").expect("media came along");
    assert!(
        std::fs::symlink_metadata(&kept).expect("meta").is_file(),
        "a plain file, not a link"
    );
    assert_eq!(std::fs::read(&kept).expect("read"), audio);
    assert!(!target.join("media").join("stray.bin").exists());
    assert!(!target.join("manifest.json").exists());
}

/// The media files in an export folder.
fn media_files(export: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(export.join("media"))
        .expect("media")
        .flatten()
        .map(|e| e.path())
        .collect()
}
