//! Hostile input, as an attacker would send it: feeds and pages from a server on 127.0.0.1 that
//! try to make Earmark read the listener's files, nest HTML until a walk overflows, trickle a body
//! for ever; and tampered library exports. Each case asserts a clear error or a safe result, in
//! bounded time, with the library intact and nothing outside it read or written.

use earmark_test_support::http;
use earmark_test_support::sqlite::assert_intact;

use std::path::Path;
use std::time::{Duration, Instant};

use earmark_core::backup;
use earmark_core::chrono::{DateTime, TimeZone, Utc};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::Library;
use http::{Body, Reply, Server, MAX_STALL};
use tempfile::TempDir;
use url::Url;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("time")
}

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(5)).expect("fetcher")
}

fn subscribe(lib: &mut Library, feed_url: &str) -> earmark_core::model::Subscription {
    let base = Url::parse(feed_url).expect("base");
    resolve::subscribe(lib, &Resolver::new(fetcher(), base), feed_url, t0()).expect("subscribe")
}

/// A feed whose only item names local files in every place a URL can go.
fn feed_naming_files(secret: &Path) -> String {
    let f = Url::from_file_path(secret).expect("file url");
    format!(
        r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Hostile</title><itunes:image href="{f}"/>
<item><guid>h1</guid><title>Reads your files</title>
<enclosure url="{f}" type="audio/mpeg" length="1"/>
<itunes:image href="{f}"/>
<podcast:transcript url="{f}" type="text/plain"/>
<podcast:chapters url="file:///dev/zero" type="application/json+chapters"/>
<podcast:person img="{f}" href="{f}">Someone</podcast:person>
</item></channel></rss>"#
    )
}

#[test]
fn a_web_feed_cannot_name_local_files() {
    let dir = TempDir::new().expect("tempdir");
    let secret = dir.path().join("secret.png");
    std::fs::write(&secret, b"private").expect("secret");
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(feed_naming_files(&secret)));
    let mut lib = Library::open(&dir.path().join("lib")).expect("open");
    let sub = subscribe(&mut lib, &server.url("/feed.xml"));
    assert_eq!(sub.podcast.image_url, None);
    let id = lib.episodes(None).expect("episodes")[0].id;
    let d = lib.episode(id).expect("episode");
    assert_eq!(d.episode.enclosure_url, None);
    assert_eq!(d.image_url, None);
    assert!(d.podcast20.transcripts.is_empty(), "{:?}", d.podcast20);
    assert_eq!(d.podcast20.chapters, None);
    assert!(d.podcast20.persons.iter().all(|p| p.img.is_none() && p.href.is_none()));
    // Nothing stored mentions the file at all.
    let conn = rusqlite::Connection::open(dir.path().join("lib").join(earmark_core::library::DB_FILE)).expect("db");
    let mentions: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM episodes WHERE enclosure_url LIKE 'file:%' OR image_url LIKE 'file:%' \
             OR podcast20 LIKE '%file:%') + (SELECT count(*) FROM podcasts WHERE image_url LIKE 'file:%')",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(mentions, 0);
}

#[test]
fn a_local_feed_may_name_local_files() {
    let dir = TempDir::new().expect("tempdir");
    let secret = dir.path().join("talk.png");
    std::fs::write(&secret, b"mine").expect("file");
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, feed_naming_files(&secret)).expect("feed");
    let mut lib = Library::open(&dir.path().join("lib")).expect("open");
    let feed_url = Url::from_file_path(&feed).expect("url").to_string();
    let sub = subscribe(&mut lib, &feed_url);
    let file_url = Url::from_file_path(&secret).expect("url").to_string();
    assert_eq!(sub.podcast.image_url.as_deref(), Some(file_url.as_str()));
    let id = lib.episodes(None).expect("episodes")[0].id;
    let d = lib.episode(id).expect("episode");
    assert_eq!(d.episode.enclosure_url.as_deref(), Some(file_url.as_str()));
    assert_eq!(d.podcast20.transcripts.len(), 1);
}

#[test]
fn a_stored_local_path_from_a_web_feed_is_never_used() {
    // A library written before feeds were checked (or imported from elsewhere).
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::rss(
            r#"<rss version="2.0"><channel><title>Old</title><item><guid>o1</guid><title>Old item</title>
<enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="1"/></item></channel></rss>"#,
        ),
    );
    let mut lib = Library::open(dir.path()).expect("open");
    subscribe(&mut lib, &server.url("/feed.xml"));
    let id = lib.episodes(None).expect("episodes")[0].id;
    let conn = rusqlite::Connection::open(dir.path().join(earmark_core::library::DB_FILE)).expect("db");
    conn.execute(
        "UPDATE episodes SET enclosure_url = 'file:///etc/passwd', \
         podcast20 = '{\"chapters\":{\"url\":\"file:///dev/zero\",\"mime_type\":null},\"transcripts\":[{\"url\":\"file:///etc/passwd\",\"mime_type\":\"text/plain\",\"language\":null,\"rel\":null}],\"soundbites\":[],\"persons\":[],\"funding\":[]}' \
         WHERE id = ?1",
        [id.0],
    )
    .expect("plant");
    assert_eq!(lib.playable(id).expect_err("refused").code(), "local_file_refused");
    assert_eq!(lib.local_media(id).expect("local media"), None);
    let d = lib.episode(id).expect("episode");
    assert_eq!(d.episode.enclosure_url, None);
    assert_eq!(d.podcast20.chapters, None);
    assert!(d.podcast20.transcripts.is_empty());
    let err = earmark_core::transcript::ensure_transcript(&mut lib, &fetcher(), id, false, t0())
        .expect_err("no transcript offered");
    assert!(!err.to_string().contains("root:"), "{err}");
}

#[test]
fn a_redirect_to_a_local_file_is_refused_in_plain_words() {
    let server = Server::start();
    server.set("/feed.xml", Reply::redirect(302, "file:///etc/passwd"));
    let url = Url::parse(&server.url("/feed.xml")).expect("url");
    let err = fetcher().get(&url).expect_err("refused");
    assert_eq!(err.code(), "bad_url");
    let msg = err.to_string();
    assert!(msg.contains("redirects to a \"file\" URL"), "{msg}");
    assert!(!msg.contains("use http, https or file"), "{msg}");
}

#[test]
fn a_device_is_never_read_as_a_file() {
    // A local feed (or a chapters file it names) may still point at `/dev/zero`.
    let started = Instant::now();
    let err = fetcher()
        .with_max_bytes(1 << 20)
        .get(&Url::parse("file:///dev/zero").expect("url"))
        .expect_err("refused");
    assert_eq!(err.code(), "file");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_trickling_body_times_out() {
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::status(200).with_body(Body::Trickle {
            bytes: vec![b' '; 10_000],
            every: Duration::from_millis(20),
        }),
    );
    let f = Fetcher::new(FetchConfig {
        timeout: Duration::from_secs(5),
        deadline: Duration::from_millis(700),
        min_rate: 4096,
        ..FetchConfig::default()
    })
    .expect("fetcher");
    let started = Instant::now();
    let err = f
        .get(&Url::parse(&server.url("/feed.xml")).expect("url"))
        .expect_err("too slow");
    assert!(started.elapsed() < MAX_STALL, "gave up after {:?}", started.elapsed());
    assert_eq!(err.code(), "timeout");
    assert!(err.to_string().starts_with("timed out"), "{err}");
}

#[test]
fn a_slow_but_steady_body_still_arrives() {
    // Past the deadline, a body at or above the minimum rate goes on.
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::status(200).with_body(Body::Trickle {
            bytes: vec![b'x'; 60],
            every: Duration::from_millis(20),
        }),
    );
    let f = Fetcher::new(FetchConfig {
        deadline: Duration::from_millis(300),
        min_rate: 10,
        ..FetchConfig::default()
    })
    .expect("fetcher");
    let got = f
        .get(&Url::parse(&server.url("/feed.xml")).expect("url"))
        .expect("arrives");
    assert_eq!(got.body.len(), 60);
}

fn nested_divs(depth: usize, text: &str) -> String {
    format!("{}{text}{}", "<div>".repeat(depth), "</div>".repeat(depth))
}

#[test]
fn deeply_nested_show_notes_neither_crash_nor_stall() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let notes = nested_divs(20_000, "the bottom of the well");
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<rss version="2.0"><channel><title>Deep</title><item><guid>d1</guid><title>Deep notes</title>
<description><![CDATA[{notes}]]></description></item></channel></rss>"#
        )),
    );
    let mut lib = Library::open(dir.path()).expect("open");
    subscribe(&mut lib, &server.url("/feed.xml"));
    let id = lib.episodes(None).expect("episodes")[0].id;
    let started = Instant::now();
    let d = lib.episode(id).expect("episode");
    assert!(d.notes_html.contains("the bottom of the well"));
    // The app reads under its lock without sanitising, and sanitises after letting go.
    let unprepared = lib.episode_unprepared(id).expect("read");
    assert_eq!(unprepared.clone().without_notes().notes_html, "");
    assert_eq!(unprepared.prepared(), d);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_intact(&dir.path().join(earmark_core::library::DB_FILE));
}

#[test]
fn a_deeply_nested_page_is_stored_without_a_crash() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let page = format!(
        "<!doctype html><html><head><title>Deep page</title></head><body><article><h1>Deep page</h1>\
         <p>{}</p>{}</article></body></html>",
        "Words a reader came for. ".repeat(40),
        nested_divs(100_000, "hidden at the bottom")
    );
    server.set("/deep", Reply::ok(page).header("Content-Type", "text/html"));
    let mut lib = Library::open(dir.path()).expect("open");
    let started = Instant::now();
    let out =
        earmark_core::docs::add_pages(&mut lib, &fetcher(), &[server.url("/deep")], None, t0()).expect("add pages");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.len(), 1);
    let doc = out[0]
        .document
        .as_ref()
        .unwrap_or_else(|| panic!("stored: {:?}", out[0].error));
    assert_eq!(doc.title, "Deep page");
    assert_intact(&dir.path().join(earmark_core::library::DB_FILE));
}

// ---------------------------------------------------------------------------------------------
// Tampered exports

/// A library with one finished download, exported to `dir/export`; returns the library folder.
fn exported_library(dir: &Path, tamper: impl FnOnce(&rusqlite::Connection, EpisodeId)) -> std::path::PathBuf {
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        r#"<rss version="2.0"><channel><title>Show</title>
<item><guid>a</guid><title>First</title><enclosure url="http://127.0.0.1:9/a.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#,
    )
    .expect("feed");
    let lib_dir = dir.join("lib");
    let mut lib = Library::open(&lib_dir).expect("library");
    subscribe(&mut lib, Url::from_file_path(&feed).expect("url").as_str());
    let id = lib.episodes(None).expect("episodes")[0].id;
    let (_, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(lib.media_dir()).expect("media");
    std::fs::write(&dest, b"audio bytes").expect("media file");
    lib.set_download(id, DownloadState::Done, 11, Some(11), None, t0())
        .expect("record");
    let conn = rusqlite::Connection::open(lib_dir.join(earmark_core::library::DB_FILE)).expect("conn");
    tamper(&conn, id);
    drop(conn);
    backup::export(&lib, &dir.join("export"), t0()).expect("export");
    lib_dir
}

fn no_staging_left(parent: &Path) {
    let left: Vec<String> = std::fs::read_dir(parent)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

#[test]
fn an_export_with_a_planted_trigger_is_refused() {
    let dir = TempDir::new().expect("tempdir");
    exported_library(dir.path(), |conn, _| {
        conn.execute_batch("CREATE TRIGGER wipe AFTER INSERT ON queue BEGIN DELETE FROM podcasts; END;")
            .expect("plant");
    });
    let target = dir.path().join("restored");
    let err = backup::import(&dir.path().join("export"), &target).expect_err("refused");
    assert!(err.to_string().contains("trigger wipe"), "{err}");
    assert!(!target.exists());
    no_staging_left(dir.path());
}

#[test]
fn an_export_whose_download_points_outside_is_refused_and_nothing_is_deleted() {
    let dir = TempDir::new().expect("tempdir");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").expect("victim");
    let lib_dir = exported_library(dir.path(), |conn, id| {
        conn.execute(
            "UPDATE downloads SET file_name = '../../victim.txt' WHERE episode_id = ?1",
            [id.0],
        )
        .expect("tamper");
    });
    let err = backup::import(&dir.path().join("export"), &dir.path().join("restored")).expect_err("refused");
    assert!(err.to_string().contains("../../victim.txt"), "{err}");
    // The library it came from has the same row: deleting that download stays inside.
    let mut lib = Library::open(&lib_dir).expect("open");
    let id = lib.episodes(None).expect("episodes")[0].id;
    lib.delete_download(id).expect("delete");
    assert_eq!(std::fs::read(&victim).expect("victim still there"), b"keep me");
}

#[test]
fn an_archive_linking_to_dev_zero_is_refused_quickly_and_leaves_nothing() {
    let dir = TempDir::new().expect("tempdir");
    exported_library(dir.path(), |_, _| {});
    let folder = dir.path().join("export");
    let media = std::fs::read_dir(folder.join("media"))
        .expect("media")
        .flatten()
        .map(|e| e.path())
        .next()
        .expect("a media file");
    std::fs::remove_file(&media).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", &media).expect("symlink");
    let file = dir.path().join("zero.tar");
    {
        let mut tar = tar::Builder::new(std::fs::File::create(&file).expect("tar"));
        tar.follow_symlinks(false);
        tar.append_dir_all(".", &folder).expect("append");
        tar.finish().expect("finish");
    }
    let started = Instant::now();
    let err = backup::import(&file, &dir.path().join("restored")).expect_err("refused");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("not a regular file"), "{err}");
    no_staging_left(dir.path());
    // The folder form is refused the same way.
    let err = backup::import(&folder, &dir.path().join("restored2")).expect_err("refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[test]
fn staging_left_by_a_killed_process_is_reclaimed() {
    let dir = TempDir::new().expect("tempdir");
    exported_library(dir.path(), |_, _| {});
    // A process that has certainly ended.
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let dead = child.id();
    child.wait().expect("wait");
    let stale_dir = dir.path().join(format!(".old.partial-{dead}"));
    std::fs::create_dir_all(stale_dir.join("media")).expect("stale");
    std::fs::write(stale_dir.join("media").join("big.mp3"), vec![0u8; 4096]).expect("stale file");
    let stale_tar = dir.path().join(format!(".old.tar.partial-{dead}.tar"));
    std::fs::write(&stale_tar, b"half a tar").expect("stale tar");
    // A running process's staging (this one's) is left alone.
    let live = dir.path().join(format!(".busy.partial-{}", std::process::id()));
    std::fs::create_dir_all(&live).expect("live");
    backup::import(&dir.path().join("export"), &dir.path().join("restored")).expect("import");
    assert!(!stale_dir.exists());
    assert!(!stale_tar.exists());
    assert!(live.exists());
}

#[test]
fn five_items_sharing_one_guid_are_five_episodes() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let items: String = (1..=5)
        .map(|n| {
            format!(
                r#"<item><guid>same</guid><title>Part {n}</title><enclosure url="/media/p{n}.mp3" type="audio/mpeg" length="1"/></item>"#
            )
        })
        .collect();
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<rss version="2.0"><channel><title>Reused guid</title>{items}</channel></rss>"#
        )),
    );
    let mut lib = Library::open(dir.path()).expect("open");
    let sub = subscribe(&mut lib, &server.url("/feed.xml"));
    assert_eq!(sub.new_episodes, 5);
    let mut titles: Vec<String> = lib
        .episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| e.title)
        .collect();
    titles.sort();
    assert_eq!(titles, ["Part 1", "Part 2", "Part 3", "Part 4", "Part 5"]);
}

// ---------------------------------------------------------------------------------------------
// The user's own network

/// A fetcher for which `public.test` is a public host served by `server` (tests can only serve
/// on 127.0.0.1, so the name is pinned there and counted as public).
fn public_fetcher(server: &Server) -> Fetcher {
    let port = server
        .base()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("port");
    Fetcher::new(FetchConfig {
        timeout: Duration::from_secs(5),
        pinned_public_hosts: vec![("public.test".into(), std::net::SocketAddr::from(([127, 0, 0, 1], port)))],
        ..FetchConfig::default()
    })
    .expect("fetcher")
}

fn public_url(server: &Server, path: &str) -> String {
    server.url(path).replace("127.0.0.1", "public.test")
}

#[test]
fn a_public_page_cannot_redirect_into_the_users_network() {
    let server = Server::start();
    server.set("/secret", Reply::ok("router admin page"));
    server.set("/to-literal", Reply::redirect(302, &server.url("/secret")));
    server.set(
        "/to-name",
        Reply::redirect(302, &server.url("/secret").replace("127.0.0.1", "localhost")),
    );
    let f = public_fetcher(&server);
    for path in ["/to-literal", "/to-name"] {
        let err = f
            .get(&Url::parse(&public_url(&server, path)).expect("url"))
            .expect_err("refused");
        assert_eq!(err.code(), "private_address", "{path}: {err}");
        assert!(err.to_string().contains("private"), "{err}");
    }
    assert!(
        server.requests_to("/secret").is_empty(),
        "the private address was reached"
    );
    // A source the user added on their own network directly may redirect within it.
    let got = f
        .get(&Url::parse(&server.url("/to-literal")).expect("url"))
        .expect("followed");
    assert_eq!(got.body, b"router admin page");
}

#[test]
fn a_public_feed_cannot_send_transcripts_or_downloads_to_the_users_network() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    server.set("/t.vtt", Reply::ok("WEBVTT\n\n00:00.000 --> 00:01.000\nsecret\n"));
    server.set("/m.mp3", Reply::ok(vec![0u8; 1000]));
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Public</title>
<item><guid>p1</guid><title>Named inside</title>
<enclosure url="{m}" type="audio/mpeg" length="1000"/>
<podcast:transcript url="{t}" type="text/vtt"/></item></channel></rss>"#,
            m = server.url("/m.mp3"),
            t = server.url("/t.vtt")
        )),
    );
    let f = public_fetcher(&server);
    let mut lib = Library::open(dir.path()).expect("open");
    let feed_url = public_url(&server, "/feed.xml");
    resolve::subscribe(
        &mut lib,
        &Resolver::new(f.clone(), Url::parse(&feed_url).expect("base")),
        &feed_url,
        t0(),
    )
    .expect("subscribe");
    let id = lib.episodes(None).expect("episodes")[0].id;
    let err = earmark_core::transcript::ensure_transcript(&mut lib, &f, id, false, t0()).expect_err("refused");
    assert_eq!(err.code(), "private_address", "{err}");
    let (url, dest) = lib.download_target(id).expect("target");
    std::fs::create_dir_all(lib.media_dir()).expect("media dir");
    let err = f
        .named_by(&feed_url)
        .download(&url, &dest, &mut |_, _| {}, &std::sync::atomic::AtomicBool::new(false))
        .expect_err("refused");
    assert_eq!(err.code(), "private_address", "{err}");
    assert!(server.requests_to("/t.vtt").is_empty());
    assert!(server.requests_to("/m.mp3").is_empty());
    // The same feed added from the user's own network may name them.
    let ok = f.named_by(&server.url("/feed.xml"));
    ok.download(&url, &dest, &mut |_, _| {}, &std::sync::atomic::AtomicBool::new(false))
        .expect("allowed");
    assert_eq!(std::fs::metadata(&dest).expect("file").len(), 1000);
}

#[test]
fn remote_images_in_notes_are_held_until_the_podcast_allows_them() {
    use earmark_core::image_proxy::{ImageHolder, ImageOwner};
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let pixel = server.url("/pixel.gif?reader=42");
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<rss version="2.0"><channel><title>Tracked</title><item><guid>t1</guid><title>Notes with a pixel</title>
<description><![CDATA[<p>Hello<img src="{}" width="1" height="1"></p>]]></description></item></channel></rss>"#,
            pixel.replace('&', "&amp;")
        )),
    );
    let mut lib = Library::open(dir.path()).expect("open");
    let sub = subscribe(&mut lib, &server.url("/feed.xml"));
    let id = lib.episodes(None).expect("episodes")[0].id;
    let d = lib.episode(id).expect("episode");
    assert_eq!((d.remote_images, d.remote_images_allowed), (1, false));
    assert!(!d.notes_html.contains(&server.base()), "{}", d.notes_html);
    assert!(d.notes_html.contains("remoteimg://localhost/e/"), "{}", d.notes_html);
    let holder = ImageHolder::Episode(id.0);
    assert_eq!(lib.remote_image_origin(holder, &pixel).expect("origin"), None);
    let owner = ImageOwner::Podcast(sub.podcast.id.0);
    lib.set_remote_images(owner, true).expect("allow");
    assert!(lib.episode(id).expect("episode").remote_images_allowed);
    assert_eq!(
        lib.remote_image_origin(holder, &pixel).expect("origin"),
        Some(server.url("/feed.xml"))
    );
    // The proxy fetches only what the notes hold.
    assert_eq!(
        lib.remote_image_origin(holder, &server.url("/other.gif"))
            .expect("origin"),
        None
    );
    assert!(server.requests_to("/pixel.gif").is_empty());
}
