//! Sync in the real window: an empty library logs in from Settings to a real podsync where "a
//! phone" (another app, through the API) already subscribed to a show and listened to 12:30 of an
//! episode. The app finds the server's API, syncs by itself, and the show appears with its place;
//! Settings says when it last synced. Screenshots saved.

use earmark_test_support::gpodder;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use earmark_e2e::window::{click_and_wait, js, launch, shot, wait_js};
use earmark_e2e::{click, FixtureServer};
use fantoccini::Locator;
use gpodder::{Podsync, PASSWORD, USER};

const FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Voice of the Child (sync fixture)</title><link>{BASE}/</link><description>d</description>
<item><title>Children in care</title><guid>votc-7</guid><itunes:duration>1800</itunes:duration>
<pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>
<enclosure url="{BASE}/audio/ep7.mp3" type="audio/mpeg" length="1000"/></item>
</channel></rss>"#;

/// A request as another app would send it (HTTP Basic, JSON body).
fn post(port: u16, path: &str, body: &str) {
    let auth = gpodder::base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect podsync");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_from_settings_and_the_phone_s_show_and_place_arrive() {
    let server = FixtureServer::start(vec![(
        "/feed.xml".into(),
        "application/rss+xml",
        FEED.as_bytes().to_vec(),
    )]);
    let feed = format!("{}/feed.xml", server.base);
    let podsync = Podsync::start();
    post(
        podsync.port,
        &format!("/api/2/devices/{USER}/phone.json"),
        r#"{"caption":"Phone","type":"mobile"}"#,
    );
    post(
        podsync.port,
        &format!("/api/2/subscriptions/{USER}/phone.json"),
        &serde_json::json!({"add": [feed], "remove": []}).to_string(),
    );
    post(
        podsync.port,
        &format!("/api/2/episodes/{USER}.json"),
        &serde_json::json!([{"podcast": feed, "episode": format!("{}/audio/ep7.mp3", server.base), "guid": "votc-7",
            "action": "play", "timestamp": "2026-11-03T08:00:00", "started": 0, "position": 750, "total": 1800,
            "device": "phone"}])
        .to_string(),
    );

    let library = tempfile::tempdir().expect("tempdir");
    let secrets = tempfile::tempdir().expect("tempdir");
    let (client, _window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("EARMARK_SECRETS_DIR", secrets.path()),
        ("EARMARK_KEYRING", std::path::Path::new("off")),
    ])
    .await;
    wait_js(
        &client,
        "return !document.getElementById('empty-state').hidden;",
        "the empty library",
    )
    .await;

    click_and_wait(
        &client,
        "#settings-button",
        "return document.getElementById('settings').open && document.getElementById('sync-state').textContent.startsWith('Not set up');",
        "the sync section, not set up",
    )
    .await;
    let fill = format!(
        "document.getElementById('sync-server').value = {}; document.getElementById('sync-user').value = {}; \
         document.getElementById('sync-password').value = {}; return true;",
        serde_json::json!(podsync.url()),
        serde_json::json!(USER),
        serde_json::json!(PASSWORD)
    );
    js(&client, &fill).await;
    shot(&client, "sync-01-login").await;
    click(&client, Locator::Css("#sync-login-button")).await;
    // The app syncs by itself a few seconds after the login: the phone's show and place arrive.
    wait_js(
        &client,
        "return document.getElementById('sync-state').textContent.includes('last synced');",
        "the first sync",
    )
    .await;
    let state = js(&client, "return document.getElementById('sync-state').textContent;").await;
    assert!(
        state.as_str().is_some_and(|s| s.contains("as ann (gPodder)")),
        "{state}"
    );
    assert_eq!(
        js(&client, "return document.getElementById('sync-password').value;").await,
        serde_json::json!("")
    );
    // Logged in: the login form is gone and the account's buttons are there.
    assert_eq!(
        js(
            &client,
            "const shown = (id) => getComputedStyle(document.getElementById(id)).display !== 'none'; \
             return [shown('sync-login'), shown('sync-account')];",
        )
        .await,
        serde_json::json!([false, true])
    );
    shot(&client, "sync-02-synced").await;
    click_and_wait(
        &client,
        "#settings-cancel",
        "return [...document.querySelectorAll('.episode-row')].some((r) => r.textContent.includes('Children in care'));",
        "the phone's show in the list",
    )
    .await;
    shot(&client, "sync-03-show-arrived").await;

    let out = earmark_e2e::cli(library.path())
        .args(["episodes", "--json"])
        .output()
        .expect("cli");
    let eps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(eps[0]["position_secs"], serde_json::json!(750.0), "{eps}");
    // The password is kept outside the library, readable by the user only.
    let files: Vec<_> = std::fs::read_dir(secrets.path()).expect("secrets").flatten().collect();
    assert_eq!(files.len(), 1);
    tokio::time::sleep(Duration::from_millis(10)).await;
}
