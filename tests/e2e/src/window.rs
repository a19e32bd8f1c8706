//! The app in a window, driven over WebDriver, and the small helpers every end-to-end test uses:
//! run script in the page, wait for a condition, read text, save a screenshot.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{app_binary, screenshot_dir, start_driver, start_xvfb, Proc};

/// What keeps the window alive: the X server and tauri-driver, stopped on drop.
pub struct Guards {
    _driver: Proc,
    _xvfb: Proc,
}

/// Starts a private display, tauri-driver and the app with `env` (e.g. its library folder), and
/// opens a WebDriver session on it.
pub async fn launch(env: &[(&str, &Path)]) -> (Client, Guards) {
    launch_with_args(env, &[]).await
}

/// A window on a new library subscribed to one feed, its sound going to a private PulseAudio
/// sink that plays in real time: how every test that listens to an episode begins. Fields drop
/// in order, so the window closes before the library and the sink go.
pub struct Listening {
    /// What keeps the window alive.
    pub window: Guards,
    /// The WebDriver session on it.
    pub client: Client,
    /// The library folder the app opened.
    pub library: tempfile::TempDir,
    /// The sink the app plays into.
    pub pulse: crate::pulse::Pulse,
}

/// Starts a sink, subscribes a new library to `feed` and opens the app on it.
pub async fn listen_to(feed: impl AsRef<std::ffi::OsStr>) -> Listening {
    let pulse = crate::pulse::start_pulse();
    let library = tempfile::tempdir().expect("tempdir");
    crate::subscribe(library.path(), feed);
    let (client, window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
    ])
    .await;
    Listening {
        window,
        client,
        library,
        pulse,
    }
}

/// As [`launch`], with command-line arguments for the app (e.g. an `earmark://` link).
pub async fn launch_with_args(env: &[(&str, &Path)], args: &[&str]) -> (Client, Guards) {
    let (display, xvfb) = start_xvfb();
    let (webdriver, driver) = start_driver(&display, env);
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "browserName": "wry",
        "tauri:options": { "application": app_binary(), "args": args },
    }))
    .expect("caps");
    let client = tokio::time::timeout(
        Duration::from_secs(60),
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&webdriver),
    )
    .await
    .expect("WebDriver session within 60 s")
    .expect("WebDriver session");
    (
        client,
        Guards {
            _driver: driver,
            _xvfb: xvfb,
        },
    )
}

/// Runs `script` in the page and returns its value.
/// A page that stops answering (its web process stuck) fails the test after 30 s instead of
/// hanging the suite; `E2E_JS_SECS` lengthens that to attach a debugger to the stuck process.
pub async fn js(client: &Client, script: &str) -> serde_json::Value {
    let secs = std::env::var("E2E_JS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    tokio::time::timeout(Duration::from_secs(secs), client.execute(script, vec![]))
        .await
        .unwrap_or_else(|_| panic!("the page did not answer a script within {secs} s: {script}"))
        .expect("execute")
}

/// Presses a keyboard shortcut the way the app hears it: a `keydown` on the document, with no
/// text field focused.
pub async fn press_key(client: &Client, key: &str) {
    client
        .execute(
            "document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0]})); return true;",
            vec![serde_json::json!(key)],
        )
        .await
        .expect("key press");
}

/// Waits for the player bar to say `state` (`playing`, `paused`, `ended`, …).
pub async fn wait_state(client: &Client, state: &str, what: &str) {
    let script = format!("return document.getElementById('player').dataset.state === '{state}';");
    wait_js(client, &script, what).await;
}

/// Waits until the player bar's position has reached `secs` (playback is moving).
pub async fn wait_position(client: &Client, secs: f64, what: &str) {
    let script = format!("return Number(document.getElementById('scrubber').value) >= {secs};");
    wait_js(client, &script, what).await;
}

/// Opens the episode titled `title` from the list showing and waits for its page.
pub async fn open_episode(client: &Client, title: &str) {
    let xpath = format!("//div[contains(@class,'row-title')][text()='{title}']");
    crate::click(client, fantoccini::Locator::XPath(&xpath)).await;
    let shown = format!("return (document.getElementById('detail-title') || {{}}).textContent === '{title}';");
    wait_js(client, &shown, &format!("the page of {title:?}")).await;
}

/// Presses the episode page's Play and waits until it plays.
pub async fn play_shown_episode(client: &Client) {
    crate::click(client, fantoccini::Locator::Css("#play-episode")).await;
    wait_state(client, "playing", "playing").await;
}

/// Waits up to 20 s for `script` to return true; on failure says what the window shows.
pub async fn wait_js(client: &Client, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while js(client, script).await != serde_json::json!(true) {
        if Instant::now() >= deadline {
            let seen = js(
                client,
                "const t = (id) => (document.getElementById(id) || {}).textContent; \
                 return 'state=' + (document.getElementById('player') || {dataset: {}}).dataset.state + \
                 ' list=' + t('list-title') + ' toast=' + t('toast') + ' sub=' + t('player-sub');",
            )
            .await;
            panic!("waited 20 s for {what}; the window shows {seen}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element matching `css` (textContent: WebKitWebDriver's element text is
/// empty for some visible elements).
pub async fn text(client: &Client, css: &str) -> String {
    let v = client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("execute");
    v.as_str().unwrap_or_default().trim().to_owned()
}

/// Saves a screenshot as `target/e2e-screenshots/NAME.png`, after letting the last change paint.
pub async fn shot(client: &Client, name: &str) {
    // A screenshot right after a DOM change can show the previous frame.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save screenshot");
}

/// Clicks `css` once and waits up to 20 s for `ready` (a script returning true): the step most
/// of a test is made of. For a control a second click would undo, unlike [`click_until`].
pub async fn click_and_wait(client: &Client, css: &str, ready: &str, what: &str) {
    crate::click(client, fantoccini::Locator::Css(css)).await;
    wait_js(client, ready, what).await;
}

/// Clicks `css` until `ready` (a script returning true) holds, up to three times: a click that
/// lands while the list redraws its rows can reach a row that is being replaced, and nothing opens.
pub async fn click_until(client: &Client, css: &str, ready: &str, what: &str) {
    for _ in 0..3 {
        crate::click(client, fantoccini::Locator::Css(css)).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if js(client, ready).await == serde_json::json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    wait_js(client, ready, what).await;
}

/// Waits for the list to show its one episode and opens it, clicking until `ready` holds.
pub async fn open_only_episode(client: &Client, ready: &str) {
    wait_js(
        client,
        "return document.querySelectorAll('.episode-row').length === 1;",
        "the episode",
    )
    .await;
    click_until(client, ".episode-row", ready, "the episode page").await;
}
