//! gPodder sync against a real podsync on 127.0.0.1 holding what a long-time listener's phone
//! uploaded: 300 subscriptions and 20,000 episode actions (plays, downloads, deletes). Figures:
//!
//! - a first sync of a new device: the 300 feeds fetched from a local feed server and stored, the
//!   20,000 actions pulled, matched and applied; time, requests, peak memory (`VmHWM`, reset
//!   before the step through `/proc/self/clear_refs`);
//! - the same first sync for a library that already holds the 300 feeds (a reinstall): the action
//!   pull and apply alone;
//! - an incremental sync with nothing new, the median of [`RUNS`] runs, against the peer: the same
//!   requests made bare with reqwest (no library work), in the same run.
//!
//! Run: `cargo bench -p earmark-core --bench sync` (needs podsync: ./scripts/setup installs it).

use earmark_test_support::bench::{median, peak_kib, rss_kib};
use earmark_test_support::gpodder;
use earmark_test_support::http;

use std::time::{Duration, Instant};

use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::resolve::{self, Resolver};
use earmark_core::sync::{self, LoginRequest, Secrets, SyncReport};
use earmark_core::{chrono, Library};
use gpodder::{Podsync, PASSWORD, USER};

const FEEDS: usize = 300;
const ACTIONS: usize = 20_000;
const RUNS: usize = 21;
const GOAL_INCREMENTAL_MS: f64 = 100.0;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn episodes_per_feed() -> usize {
    ACTIONS.div_ceil(FEEDS)
}

fn feed_xml(base: &str, f: usize) -> String {
    let items: String = (0..episodes_per_feed())
        .map(|e| {
            format!(
                "<item><guid isPermaLink=\"false\">f{f}-e{e}</guid><title>Show {f} episode {e}</title>\
                 <pubDate>{:02} Jan 2024 10:00:00 +0000</pubDate><itunes:duration>3600</itunes:duration>\
                 <enclosure url=\"{base}/media/{f}/{e}.mp3\" length=\"1000\" type=\"audio/mpeg\"/>\
                 <description>Notes for show {f}, episode {e}: family courts and care.</description></item>",
                1 + e % 28
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">\
         <channel><title>Show {f}</title><link>https://example.invalid/{f}</link><description>d</description>{items}\
         </channel></rss>"
    )
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::new()
}

fn post(server: &str, path: &str, body: String) -> Res<()> {
    let r = client()
        .post(format!("{server}{path}"))
        .basic_auth(USER, Some(PASSWORD))
        .header("Content-Type", "application/json")
        .body(body)
        .send()?;
    if !r.status().is_success() {
        return Err(format!("{path}: {}", r.status()).into());
    }
    Ok(())
}

/// What the phone uploaded: its subscriptions, then plays (with positions), downloads and deletes.
fn seed(server: &str, feeds: &http::Server) -> Res<()> {
    post(
        server,
        &format!("/api/2/devices/{USER}/phone.json"),
        r#"{"caption":"Phone","type":"mobile"}"#.into(),
    )?;
    let urls: Vec<String> = (0..FEEDS).map(|f| feeds.url(&format!("/feed/{f}.xml"))).collect();
    post(
        server,
        &format!("/api/2/subscriptions/{USER}/phone.json"),
        serde_json::json!({"add": urls, "remove": []}).to_string(),
    )?;
    let t0 = chrono::DateTime::from_timestamp(1_767_225_600, 0).ok_or("time")?;
    let actions: Vec<serde_json::Value> = (0..ACTIONS)
        .map(|i| {
            let (f, e) = (i % FEEDS, i / FEEDS);
            let at = sync::wire::format_time(t0 + chrono::Duration::seconds(i as i64));
            let episode = feeds.url(&format!("/media/{f}/{e}.mp3"));
            let podcast = &urls[f];
            match i % 10 {
                0 => serde_json::json!({"podcast": podcast, "episode": episode, "action": "download",
                    "timestamp": at, "device": "phone"}),
                1 => serde_json::json!({"podcast": podcast, "episode": episode, "action": "delete",
                    "timestamp": at, "device": "phone"}),
                _ => serde_json::json!({"podcast": podcast, "episode": episode, "guid": format!("f{f}-e{e}"),
                    "action": "play", "timestamp": at, "started": 0, "position": 60 + (i % 3000), "total": 3600,
                    "device": "phone"}),
            }
        })
        .collect();
    for batch in actions.chunks(2_000) {
        post(
            server,
            &format!("/api/2/episodes/{USER}.json"),
            serde_json::to_string(batch)?,
        )?;
    }
    Ok(())
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn resolver() -> Res<Resolver> {
    Ok(Resolver::new(
        Fetcher::new(FetchConfig::default())?,
        url::Url::parse("http://127.0.0.1:9/")?,
    ))
}

// A bench is a shell: it reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

struct Device {
    _dir: tempfile::TempDir,
    lib: Library,
    secrets: Secrets,
}

fn device(server: &str, name: &str) -> Res<Device> {
    let dir = tempfile::tempdir()?;
    let mut lib = Library::open(&dir.path().join("lib"))?;
    let secrets = Secrets::new(dir.path().join("secrets"), false);
    let req = LoginRequest {
        server,
        user: USER,
        password: PASSWORD,
        device: name,
        caption: "bench",
        timeout: Duration::from_secs(60),
    };
    sync::login(&mut lib, &secrets, &req, now())?;
    Ok(Device {
        _dir: dir,
        lib,
        secrets,
    })
}

fn run_sync(d: &mut Device) -> Res<(SyncReport, f64, u64)> {
    reset_peak();
    let before = rss_kib();
    let t = Instant::now();
    let report = sync::sync(&mut d.lib, &d.secrets, &resolver()?, Duration::from_secs(60), now())?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok((report, ms, peak_kib().saturating_sub(before)))
}

fn main() -> Res<()> {
    let podsync = Podsync::start();
    let feeds = http::Server::start();
    let base = feeds.base();
    for f in 0..FEEDS {
        feeds.set(&format!("/feed/{f}.xml"), http::Reply::rss(feed_xml(&base, f)));
    }
    let t = Instant::now();
    seed(&podsync.url(), &feeds)?;
    println!(
        "podsync {} seeded with {FEEDS} subscriptions and {ACTIONS} actions in {:.1} s\n",
        podsync.url(),
        t.elapsed().as_secs_f64()
    );

    // As on a real server, what the phone uploaded is older than the current second (a sync in the
    // same second asks that second again next time; see `safe_cursor`).
    std::thread::sleep(Duration::from_millis(1_100));
    println!("{:<58} {:>10} {:>9} {:>12}", "step", "ms", "requests", "peak +MiB");
    let mut fresh = device(&podsync.url(), "bench-new")?;
    let (r, ms, peak) = run_sync(&mut fresh)?;
    println!(
        "{:<58} {:>10.0} {:>9} {:>12.1}",
        "first sync, new device (300 feeds fetched + 20,000 actions)",
        ms,
        r.requests + FEEDS as u32,
        peak as f64 / 1024.0
    );
    println!(
        "    received {} subscriptions, {} actions: {} positions moved, {} played, {} unmatched",
        r.received.subscriptions_added, r.received.actions, r.positions_moved, r.played_changed, r.unmatched
    );
    if r.received.subscriptions_added as usize != FEEDS || r.unmatched != 0 {
        return Err(format!("the first sync did not take everything: {r:?}").into());
    }

    // A reinstall: the feeds are here already (subscribed before logging in).
    let mut again = device(&podsync.url(), "bench-reinstall")?;
    let res = resolver()?;
    for f in 0..FEEDS {
        resolve::subscribe(&mut again.lib, &res, &feeds.url(&format!("/feed/{f}.xml")), now())?;
    }
    let (r, ms, peak) = run_sync(&mut again)?;
    println!(
        "{:<58} {:>10.0} {:>9} {:>12.1}",
        "first sync, feeds already here (20,000 actions applied)",
        ms,
        r.requests,
        peak as f64 / 1024.0
    );

    // Nothing new: the median of RUNS syncs, and the same requests made bare.
    let mut times = Vec::new();
    let mut requests = 0;
    for _ in 0..RUNS {
        let (r, ms, _) = run_sync(&mut fresh)?;
        times.push(ms);
        requests = r.requests;
    }
    let sync_ms = median(times);
    let http = client();
    let mut bare = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let since = 4_102_444_800_i64;
        for path in [
            format!("/api/2/devices/{USER}.json"),
            format!("/api/2/subscriptions/{USER}/phone.json?since={since}"),
            format!("/api/2/subscriptions/{USER}/bench-reinstall.json?since={since}"),
            format!("/api/2/episodes/{USER}.json?since={since}"),
        ] {
            let body = http
                .get(format!("{}{path}", podsync.url()))
                .basic_auth(USER, Some(PASSWORD))
                .send()?
                .bytes()?;
            std::hint::black_box(body);
        }
        bare.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let bare_ms = median(bare);
    println!(
        "{:<58} {:>10.1} {:>9}",
        "incremental sync, nothing new (median)", sync_ms, requests
    );
    println!(
        "{:<58} {:>10.1} {:>9}",
        "peer: the same GETs, bare reqwest (median)", bare_ms, 4
    );
    println!(
        "\nincremental sync: {sync_ms:.1} ms, {:.2}x the bare requests; goal < {GOAL_INCREMENTAL_MS} ms: {}",
        sync_ms / bare_ms,
        if sync_ms < GOAL_INCREMENTAL_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
