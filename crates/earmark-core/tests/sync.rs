//! gPodder sync between two libraries as two devices, against a real podsync server started on
//! 127.0.0.1 (through a proxy that injects faults), and against a server of ours that answers like
//! the Nextcloud gPodder Sync app.

use earmark_test_support::gpodder;
use earmark_test_support::http;

use std::time::Duration;

use earmark_core::chrono::{DateTime, Utc};
use earmark_core::error::Error;
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::sync::{self, Flavour, LoginRequest, Secrets, SyncError, SyncReport};
use earmark_core::Library;
use gpodder::{Fault, NextcloudLike, Podsync, Proxy, PASSWORD, USER};
use http::{Reply, Server};
use tempfile::TempDir;
use url::Url;

const TIMEOUT: Duration = Duration::from_secs(2);

fn feed_xml(base: &str) -> String {
    let items: String = (1..=3)
        .map(|n| {
            format!(
                r#"<item><guid isPermaLink="false">votc-{n}</guid><title>Episode {n}</title>
<pubDate>0{n} Jan 2024 10:00:00 +0000</pubDate><itunes:duration>1800</itunes:duration>
<enclosure url="{base}/media/ep{n}.mp3" length="1000" type="audio/mpeg"/></item>"#
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Voice of the Child</title><link>https://example.invalid/</link><description>d</description>
{items}</channel></rss>"#
    )
}

/// A feed server: `/feed.xml`, and `/old.xml` moved permanently to it.
fn feeds() -> Server {
    let server = Server::start();
    let base = server.base();
    server.set("/feed.xml", Reply::rss(feed_xml(&base)));
    server.set("/old.xml", Reply::redirect(301, &server.url("/feed.xml")));
    server
}

struct Device {
    _dir: TempDir,
    lib: Library,
    secrets: Secrets,
    name: &'static str,
}

fn device(name: &'static str) -> Device {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = Library::open(&dir.path().join("lib")).expect("open library");
    let secrets = Secrets::new(dir.path().join("secrets"), false);
    Device {
        _dir: dir,
        lib,
        secrets,
        name,
    }
}

fn resolver() -> Resolver {
    let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
    Resolver::new(fetcher, Url::parse("http://127.0.0.1:9/").expect("url"))
}

// Two devices and a real server with its own clock: the tests read the clock as a shell does.
#[allow(clippy::disallowed_methods)]
fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A time `secs` from now: each test orders its changes explicitly, close to the real clock so a
/// server that counts `since` in the actions' own time sees them.
fn at(secs: i64) -> DateTime<Utc> {
    now() + earmark_core::chrono::Duration::seconds(secs)
}

impl Device {
    fn login(&mut self, server: &str) -> sync::Account {
        let req = LoginRequest {
            server,
            user: USER,
            password: PASSWORD,
            device: self.name,
            caption: "Earmark test",
            timeout: TIMEOUT,
        };
        sync::login(&mut self.lib, &self.secrets, &req, now()).expect("login").0
    }

    fn sync(&mut self) -> Result<SyncReport, Error> {
        sync::sync(&mut self.lib, &self.secrets, &resolver(), TIMEOUT, now())
    }

    fn subscribe(&mut self, url: &str) -> PodcastId {
        resolve::subscribe(&mut self.lib, &resolver(), url, now())
            .expect("subscribe")
            .podcast
            .id
    }

    /// The episode with guid `votc-N`.
    fn ep(&self, n: u32) -> EpisodeId {
        let eps = self.lib.episodes(None).expect("episodes");
        eps.iter()
            .find(|e| e.guid == format!("votc-{n}"))
            .map(|e| e.id)
            .unwrap_or_else(|| panic!("{}: no episode votc-{n} among {}", self.name, eps.len()))
    }

    fn state(&self, n: u32) -> (f64, bool) {
        self.lib.listening_state(self.ep(n)).expect("state")
    }
}

/// Posts JSON to the server's API as another app would, and checks it was taken.
fn post_api(server: &str, path: &str, body: serde_json::Value) {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{server}{path}"))
        .basic_auth(USER, Some(PASSWORD))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .expect("post");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
}

/// Posts episode actions as another app would (AntennaPod's form: download with position -1).
fn post_actions(server: &str, body: serde_json::Value) {
    post_api(server, &format!("/api/2/episodes/{USER}.json"), body);
}

/// Where most tests start: a podsync server, the test feeds and a device called "laptop", not
/// yet logged in.
fn podsync_feeds_and_laptop() -> (Podsync, Server, Device) {
    (Podsync::start(), feeds(), device("laptop"))
}

#[test]
fn listening_on_one_device_resumes_on_another() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    let mut b = device("desktop");
    let account = a.login(&podsync.url());
    assert_eq!(account.flavour, Flavour::Gpodder);
    a.subscribe(&feeds.url("/feed.xml"));
    a.lib.save_position(a.ep(2), 750.0, at(-60)).expect("position");
    a.lib.finish_episode(a.ep(1), at(-50)).expect("finish");
    let sent = a.sync().expect("sync A");
    assert_eq!(sent.sent.subscriptions_added, 1);
    assert_eq!(sent.sent.actions, 2, "{sent:?}");
    assert_eq!(sent.queued, 0);

    b.login(&podsync.url());
    let got = b.sync().expect("sync B");
    assert_eq!(got.received.subscriptions_added, 1, "{got:?}");
    assert_eq!(b.lib.podcasts().expect("podcasts").len(), 1);
    assert_eq!(b.state(2), (750.0, false), "B resumes at 12:30");
    assert_eq!(b.state(1), (0.0, true), "a new device pulls played state");
    assert_eq!(got.positions_moved, 1);
    assert_eq!(got.played_changed, 1);

    // Nothing new: each side is one round trip per endpoint, and nothing moves.
    let again = b.sync().expect("sync B again");
    assert_eq!(
        (again.positions_moved, again.played_changed, again.sent.actions),
        (0, 0, 0),
        "{again:?}"
    );
    assert!(again.requests <= 4, "{again:?}");

    // The password is in neither library.
    for dev in [&a, &b] {
        let bytes = std::fs::read(dev.lib.dir().join(earmark_core::library::DB_FILE)).unwrap_or_default();
        let wal =
            std::fs::read(dev.lib.dir().join(format!("{}-wal", earmark_core::library::DB_FILE))).unwrap_or_default();
        for blob in [bytes, wal] {
            assert!(!blob.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()));
        }
    }
}

#[test]
fn conflicting_positions_resolve_by_their_own_time() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    let mut b = device("desktop");
    a.login(&podsync.url());
    b.login(&podsync.url());
    a.subscribe(&feeds.url("/feed.xml"));
    a.sync().expect("A");
    b.sync().expect("B gets the podcast");
    // A listened earlier, B later: B's place wins whichever syncs first.
    a.lib.save_position(a.ep(3), 100.0, at(-30)).expect("A pos");
    b.lib.save_position(b.ep(3), 200.0, at(-20)).expect("B pos");
    b.sync().expect("B");
    a.sync().expect("A");
    assert_eq!(a.state(3).0, 200.0, "the newer place wins on A");
    b.sync().expect("B");
    assert_eq!(b.state(3).0, 200.0, "an older action never moves B back");
    // The other order: the older one synced last still loses.
    b.lib.save_position(b.ep(2), 300.0, at(-10)).expect("B pos");
    a.lib.save_position(a.ep(2), 50.0, at(-15)).expect("A pos");
    b.sync().expect("B");
    a.sync().expect("A");
    b.sync().expect("B");
    assert_eq!(a.state(2).0, 300.0);
    assert_eq!(b.state(2).0, 300.0);
}

/// A podsync behind a fault-injecting proxy, and a device logged in through the proxy and
/// subscribed to the test feed.
fn behind_a_proxy() -> (Podsync, Proxy, Server, Device) {
    let podsync = Podsync::start();
    let proxy = Proxy::start(podsync.port);
    let feeds = feeds();
    let mut a = device("laptop");
    a.login(&proxy.url());
    a.subscribe(&feeds.url("/feed.xml"));
    (podsync, proxy, feeds, a)
}

#[test]
fn offline_changes_wait_and_are_sent_once() {
    let (podsync, proxy, _feeds, mut a) = behind_a_proxy();
    a.sync().expect("first sync");
    a.lib.save_position(a.ep(2), 750.0, at(-5)).expect("pos");
    for (fault, code) in [
        (Fault::Down, "unreachable"),
        (Fault::ServerError, "server_failed"),
        (Fault::Stall, "unreachable"),
        (Fault::Cut, "unreachable"),
    ] {
        proxy.set(fault);
        let err = a.sync().expect_err("the server is failing");
        assert_eq!(err.code(), code, "{fault:?}: {err}");
        let status = a.lib.sync_status().expect("status");
        assert_eq!(status.pending_actions, 1, "{fault:?}: the change waits");
        assert!(status.last_error.is_some_and(|e| e.contains("kept")), "{fault:?}");
    }
    proxy.set(Fault::None);
    let report = a.sync().expect("back online");
    assert_eq!(report.sent.actions, 1);
    assert_eq!(report.queued, 0);
    assert!(a.lib.sync_status().expect("status").last_error.is_none());
    let again = a.sync().expect("again");
    assert_eq!(again.sent.actions, 0, "sent once");

    let mut b = device("desktop");
    b.login(&podsync.url());
    b.sync().expect("B");
    assert_eq!(b.state(2).0, 750.0);
}

#[test]
fn an_expired_login_or_a_garbage_answer_changes_nothing() {
    let (podsync, proxy, feeds, mut a) = behind_a_proxy();
    a.lib.save_position(a.ep(1), 42.0, at(-5)).expect("pos");
    proxy.set(Fault::Unauthorized);
    let err = a.sync().expect_err("401");
    assert!(matches!(err, Error::Sync(SyncError::LoginRefused)), "{err}");
    let status = a.lib.sync_status().expect("status");
    assert!(status.account.is_some(), "the account stays");
    assert!(status.last_error.is_some_and(|e| e.contains("log in again")));
    assert_eq!(status.pending_subscriptions, 1);
    assert_eq!(status.pending_actions, 1);

    proxy.set(Fault::None);
    a.sync().expect("sync");
    // Another device moves episode 1 on; then the server's answers turn to garbage.
    post_actions(
        &podsync.url(),
        serde_json::json!([{"podcast": feeds.url("/feed.xml"), "episode": feeds.url("/media/ep1.mp3"),
            "guid": "votc-1", "action": "play", "timestamp": sync::wire::format_time(at(-1)),
            "started": 0, "position": 900, "total": 1800}]),
    );
    proxy.set(Fault::Garbage);
    let err = a.sync().expect_err("garbage");
    assert_eq!(err.code(), "bad_answer", "{err}");
    assert_eq!(a.state(1).0, 42.0, "nothing changed");
    proxy.set(Fault::None);
    a.sync().expect("sync");
    assert_eq!(a.state(1).0, 900.0);
}

#[test]
fn downloads_never_move_a_position_and_tracking_prefixes_still_match() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    a.login(&podsync.url());
    a.subscribe(&feeds.url("/feed.xml"));
    a.lib.save_position(a.ep(2), 300.0, at(-60)).expect("pos");
    a.sync().expect("sync");
    let host = feeds.base().trim_start_matches("http://").to_owned();
    let feed = feeds.url("/feed.xml");
    post_actions(
        &podsync.url(),
        serde_json::json!([
            // AntennaPod's download and delete, newer, with position -1 (AntennaPod #6957).
            {"podcast": feed, "episode": feeds.url("/media/ep2.mp3"), "action": "download",
             "timestamp": sync::wire::format_time(at(-10)), "position": -1},
            // Another app keys by media URL, behind a measurement prefix, with no guid.
            {"podcast": feed, "episode": format!("https://dts.podtrac.com/redirect.mp3/{host}/media/ep3.mp3?utm_source=x"),
             "action": "play", "timestamp": sync::wire::format_time(at(-5)), "started": 0, "position": 600, "total": 1800}
        ]),
    );
    let report = a.sync().expect("sync");
    assert_eq!(a.state(2).0, 300.0, "a download action never touches a position");
    assert_eq!(a.state(3).0, 600.0, "{report:?}");
    assert_eq!(report.unmatched, 0);
}

#[test]
fn a_feed_under_another_address_is_not_added_twice() {
    let podsync = Podsync::start();
    let feeds = feeds();
    // A phone subscribed through the old address, which now redirects.
    post_subscriptions(&podsync.url(), "phone", &[&feeds.url("/old.xml")]);
    let mut a = device("laptop");
    a.login(&podsync.url());
    a.subscribe(&feeds.url("/feed.xml"));
    a.sync().expect("A");
    assert_eq!(
        a.lib.podcasts().expect("podcasts").len(),
        1,
        "the old address is the same show"
    );
    let mut b = device("desktop");
    b.login(&podsync.url());
    let report = b.sync().expect("B");
    assert_eq!(b.lib.podcasts().expect("podcasts").len(), 1, "{report:?}");
    b.sync().expect("B again");
    assert_eq!(b.lib.podcasts().expect("podcasts").len(), 1);
}

#[test]
fn unsubscribing_reaches_the_other_device_and_keeps_everything() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    let mut b = device("desktop");
    a.login(&podsync.url());
    b.login(&podsync.url());
    let id = a.subscribe(&feeds.url("/feed.xml"));
    a.sync().expect("A");
    b.sync().expect("B");
    b.lib.save_position(b.ep(1), 30.0, at(-5)).expect("pos");
    assert!(a.lib.set_subscribed(id, false, now()).expect("unsubscribe"));
    let sent = a.sync().expect("A");
    assert_eq!(sent.sent.subscriptions_removed, 1);
    let got = b.sync().expect("B");
    assert_eq!(got.received.subscriptions_removed, 1, "{got:?}");
    let pods = b.lib.podcasts().expect("podcasts");
    assert!(!pods[0].subscribed);
    assert_eq!(b.lib.episodes(None).expect("episodes").len(), 3, "episodes stay");
    assert_eq!(b.state(1).0, 30.0, "the place stays");
    // Taking it back on B reaches A.
    b.subscribe(&feeds.url("/feed.xml"));
    b.sync().expect("B");
    a.sync().expect("A");
    assert!(a.lib.podcasts().expect("podcasts")[0].subscribed);
}

#[test]
fn a_nextcloud_server_is_recognised_and_keeps_positions_in_step() {
    let nc = NextcloudLike::start();
    let feeds = feeds();
    let mut a = device("laptop");
    let account = a.login(&nc.url());
    assert_eq!(account.flavour, Flavour::Nextcloud);
    a.subscribe(&feeds.url("/feed.xml"));
    a.lib.save_position(a.ep(2), 750.0, at(-60)).expect("pos");
    a.lib.finish_episode(a.ep(3), at(-50)).expect("finish");
    let report = a.sync().expect("A");
    assert_eq!(report.sent.actions, 2, "{report:?}");
    let positions = nc.positions();
    assert!(positions.contains(&(feeds.url("/media/ep2.mp3"), 750)), "{positions:?}");

    let mut b = device("desktop");
    b.login(&nc.url());
    b.sync().expect("B");
    assert_eq!(b.state(2), (750.0, false));
    assert_eq!(b.state(3), (0.0, true));
    // B listens on; A hears of it at its next sync (the server counts `since` in action time).
    b.lib.save_position(b.ep(2), 800.0, at(-10)).expect("pos");
    b.sync().expect("B");
    a.sync().expect("A");
    assert_eq!(a.state(2).0, 800.0);
}

#[test]
fn a_url_that_is_no_sync_server_and_a_wrong_password_are_told_apart() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    let bad = LoginRequest {
        server: &podsync.url(),
        user: USER,
        password: "wrong",
        device: "laptop",
        caption: "x",
        timeout: TIMEOUT,
    };
    let err = sync::login(&mut a.lib, &a.secrets, &bad, now()).expect_err("wrong password");
    assert_eq!(err.code(), "login_refused");
    let not_sync = feeds.base();
    let nope = LoginRequest {
        server: &not_sync,
        password: PASSWORD,
        ..bad
    };
    let err = sync::login(&mut a.lib, &a.secrets, &nope, now()).expect_err("not a sync server");
    assert_eq!(err.code(), "not_a_sync_server", "{err}");
    assert!(a.lib.sync_status().expect("status").account.is_none());
}

/// Registers `device` and uploads a subscription list for it, as another app would.
fn post_subscriptions(server: &str, device: &str, add: &[&str]) {
    post_api(
        server,
        &format!("/api/2/devices/{USER}/{device}.json"),
        serde_json::json!({"caption": "Phone", "type": "mobile"}),
    );
    post_api(
        server,
        &format!("/api/2/subscriptions/{USER}/{device}.json"),
        serde_json::json!({"add": add, "remove": []}),
    );
}

/// A local podcast's feed is a path on this computer: it is never sent to the server, and a
/// server (or another device) naming a file or a path subscribes nothing here.
#[test]
fn local_feeds_stay_here_and_a_server_cannot_name_files() {
    let (podsync, feeds, mut a) = podsync_feeds_and_laptop();
    a.login(&podsync.url());
    let local = tempfile::tempdir().expect("tempdir");
    let path = local.path().join("local.xml");
    std::fs::write(&path, feed_xml(&feeds.base()).replace("<guid>votc-", "<guid>local-")).expect("feed");
    a.subscribe(path.to_str().expect("utf-8 path"));
    a.subscribe(&feeds.url("/feed.xml"));
    let sent = a.sync().expect("A");
    assert_eq!(sent.sent.subscriptions_added, 1, "only the web feed is sent: {sent:?}");

    post_subscriptions(&podsync.url(), "phone", &["file:///etc/passwd", "/etc/hosts"]);
    let mut b = device("desktop");
    b.login(&podsync.url());
    let got = b.sync().expect("B");
    let feeds_here: Vec<String> = b
        .lib
        .podcasts()
        .expect("podcasts")
        .into_iter()
        .map(|p| p.feed_url)
        .collect();
    assert_eq!(feeds_here, vec![feeds.url("/feed.xml")], "{got:?}");
    assert!(
        got.failed_subscriptions
            .iter()
            .any(|f| f.contains("file:///etc/passwd") && f.contains("web feeds")),
        "{:?}",
        got.failed_subscriptions
    );
}

/// A gPodder-API server that counts `since` in the actions' own time (the API leaves it open):
/// an action another device made days ago and uploads only now is older than this device's
/// cursor, so the cursor alone misses it; the daily sweep of the last week finds it.
#[test]
fn a_late_upload_to_a_server_counting_action_time_is_found_by_the_daily_sweep() {
    let podsync = Podsync::start();
    let proxy = Proxy::start(podsync.port);
    proxy.set(Fault::ActionTimeSince);
    let feeds = feeds();
    let mut a = device("laptop");
    let mut b = device("desktop");
    a.login(&proxy.url());
    b.login(&proxy.url());
    a.subscribe(&feeds.url("/feed.xml"));
    a.lib.save_position(a.ep(1), 100.0, at(-60)).expect("position");
    a.sync().expect("A");
    b.sync().expect("B gets the podcast (its first pull reads everything)");
    b.sync().expect("B is up to date");
    assert_eq!(b.state(1).0, 100.0, "B's cursor is now a minute ago");

    // A listened three days ago, offline, and uploads it now.
    a.lib
        .save_position(a.ep(2), 500.0, at(-3 * 24 * 3600))
        .expect("position");
    assert_eq!(a.sync().expect("A uploads").sent.actions, 1);

    let sync_b = |b: &mut Device, when| sync::sync(&mut b.lib, &b.secrets, &resolver(), TIMEOUT, when);
    proxy.take_log();
    sync_b(&mut b, at(60)).expect("B, an hour later");
    assert_eq!(b.state(2), (0.0, false), "the cursor alone misses a late upload here");
    let asked: Vec<String> = proxy
        .take_log()
        .into_iter()
        .filter(|l| l.contains("/episodes/"))
        .collect();
    assert_eq!(asked.len(), 1, "one small request: {asked:?}");

    let swept = sync_b(&mut b, at(25 * 3600)).expect("B, a day later");
    assert_eq!(b.state(2).0, 500.0, "the daily sweep found it: {swept:?}");
    assert_eq!(swept.positions_moved, 1);
}
