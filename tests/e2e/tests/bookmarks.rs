//! Bookmarks in the real window: the waveform of a local episode is drawn; during playback b and
//! n mark a segment without stopping it; dragging the end handle on the waveform moves the end;
//! the segment is exported as a WAV clip; the library-wide view lists it. Screenshots saved.

use earmark_test_support::media::{mp3_from_wav, sox_wav};
use std::process::Command;
use std::time::Duration;

use earmark_e2e::click;
use earmark_e2e::pulse::start_pulse;
use earmark_e2e::window::listen_to;
use earmark_e2e::window::{click_and_wait, js, press_key, shot, wait_js};
use fantoccini::Locator;

fn episode(dir: &std::path::Path) -> std::path::PathBuf {
    let wav = dir.join("talk.wav");
    // Tone, silence, tone: a waveform with a visible shape.
    sox_wav(
        &wav,
        1,
        &[
            "synth", "20", "sine", "220", "vol", "0.5", "pad", "0", "10", "repeat", "1",
        ],
    );
    let mp3 = dir.join("talk.mp3");
    mp3_from_wav(&wav, &mp3, 96);
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bookmark Fixture</title>\
         <item><title>A minute worth marking</title><guid>marks</guid><pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"talk.mp3\" type=\"audio/mpeg\" length=\"1\"/><description>A fixture.</description></item>\
         </channel></rss>",
    )
    .expect("feed");
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_a_segment_with_keys_drag_its_end_and_export_a_clip() {
    let media = tempfile::tempdir().expect("tempdir");
    let listening = listen_to(episode(media.path())).await;
    let client = listening.client.clone();
    earmark_e2e::window::open_only_episode(&client, "return !!document.getElementById('play-episode');").await;
    wait_js(
        &client,
        "const c = document.getElementById('waveform'); return !!c && c.dataset.ready === '1';",
        "the waveform",
    )
    .await;
    shot(&client, "bookmarks-01-waveform").await;

    // Play, press b, let it run, press n: one segment, and playback never stopped.
    click(&client, Locator::Css("#play-episode")).await;
    earmark_e2e::window::wait_position(&client, 2.0, "playback").await;
    press_key(&client, "b").await;
    wait_js(
        &client,
        "return document.querySelectorAll('#bookmarks .bookmark').length === 1;",
        "the start mark",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press_key(&client, "n").await;
    wait_js(
        &client,
        "const b = document.querySelector('#bookmarks .bookmark'); return !!b && b.dataset.end !== '';",
        "the end mark",
    )
    .await;
    assert_eq!(
        js(&client, "return document.getElementById('player').dataset.state;").await,
        serde_json::json!("playing"),
        "marking does not stop playback"
    );
    let (start, end) = marks(&client).await;
    assert!(end > start + 1.0, "a segment of about 1.5 s: {start}..{end}");
    shot(&client, "bookmarks-02-marked").await;
    click(&client, Locator::Css("#play-toggle")).await;

    // Drag the end handle 60 px to the right on the waveform.
    let moved = js(
        &client,
        "const c = document.getElementById('waveform'); const b = document.querySelector('#bookmarks .bookmark'); \
         const [v0, v1] = c.dataset.view.split('-').map(Number); const r = c.getBoundingClientRect(); \
         const x = r.left + (Number(b.dataset.end) - v0) / (v1 - v0) * c.clientWidth; const y = r.top + 20; \
         c.dispatchEvent(new MouseEvent('mousedown', {clientX: x, clientY: y, bubbles: true})); \
         window.dispatchEvent(new MouseEvent('mousemove', {clientX: x + 60, clientY: y, bubbles: true})); \
         window.dispatchEvent(new MouseEvent('mouseup', {clientX: x + 60, clientY: y, bubbles: true})); \
         return (v1 - v0) / c.clientWidth * 60;",
    )
    .await
    .as_f64()
    .expect("seconds moved");
    wait_js(
        &client,
        &format!(
            "const b = document.querySelector('#bookmarks .bookmark'); return !!b && Number(b.dataset.end) > {};",
            end + moved / 2.0
        ),
        "the end to move",
    )
    .await;
    let (start2, end2) = marks(&client).await;
    assert!((start2 - start).abs() < 1e-6, "the start stays");
    assert!(
        (end2 - (end + moved)).abs() < moved / 4.0,
        "moved by the drag: {end} -> {end2} (~{moved})"
    );
    shot(&client, "bookmarks-03-dragged").await;

    // Export the segment as WAV.
    click_and_wait(
        &client,
        "#bookmarks .bookmark .clip-wav",
        "const b = document.querySelector('#bookmarks .bookmark'); return !!b && !!b.dataset.clip;",
        "the clip",
    )
    .await;
    let path = js(
        &client,
        "return document.querySelector('#bookmarks .bookmark').dataset.clip;",
    )
    .await;
    let path = std::path::PathBuf::from(path.as_str().expect("path"));
    assert!(path.starts_with(listening.library.path()), "{}", path.display());
    let size = std::fs::metadata(&path).expect("clip file").len();
    // 16-bit mono 44.1 kHz: about 88 kB per second of segment, plus the header.
    let expected = ((end2 - start2) * 44_100.0 * 2.0) as u64;
    assert!(
        size > expected * 9 / 10 && size < expected * 11 / 10 + 4096,
        "{size} vs {expected}"
    );
    shot(&client, "bookmarks-04-clip").await;

    // ▶ plays the segment from its start and stops at its end.
    click(&client, Locator::Css("#bookmarks .bookmark .play-segment")).await;
    wait_js(
        &client,
        &format!(
            "return document.getElementById('player').dataset.state === 'playing' && Number(document.getElementById('scrubber').value) < {};",
            end2 - 0.2
        ),
        "the segment playing from its start",
    )
    .await;
    wait_js(
        &client,
        &format!(
            "const v = Number(document.getElementById('scrubber').value); \
             return document.getElementById('player').dataset.state === 'paused' && v >= {} && v <= {};",
            end2 - 0.05,
            end2 + 1.0
        ),
        "the stop at the segment's end",
    )
    .await;

    // ⟳ loops it: from its start (the playhead sits at the end when it is clicked), on to the end,
    // then back to the start.
    click(&client, Locator::Css("#bookmarks .bookmark .loop-segment")).await;
    let wrapped = client
        .execute_async(
            "const [start, end, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
             let phase = 0; const t0 = performance.now();
             const timer = setInterval(() => {
               const v = Number(document.getElementById('scrubber').value);
               if (phase === 0 && v < start + 0.6) phase = 1;
               else if (phase === 1 && v >= end - 0.6) phase = 2;
               else if (phase === 2 && v < start + 0.6) phase = 3;
               if (phase === 3 || performance.now() - t0 > 15000) { clearInterval(timer); done(phase === 3); }
             }, 50);",
            vec![serde_json::json!(start2), serde_json::json!(end2)],
        )
        .await
        .expect("loop watch");
    assert_eq!(
        wrapped,
        serde_json::json!(true),
        "the loop went back to the segment's start"
    );
    // A seek out of the segment ends the loop: playback goes on from there.
    let away = end2 + 5.0;
    js(
        &client,
        &format!("const s = document.getElementById('scrubber'); s.value = {away}; s.dispatchEvent(new Event('change')); return true;"),
    )
    .await;
    wait_js(
        &client,
        &format!(
            "return Number(document.getElementById('scrubber').value) >= {};",
            away + 2.0
        ),
        "playback going on past the segment",
    )
    .await;
    assert_eq!(
        js(&client, "return document.getElementById('player').dataset.state;").await,
        serde_json::json!("playing")
    );
    click(&client, Locator::Css("#play-toggle")).await;

    // The library-wide view lists it.
    click_and_wait(
        &client,
        "#bookmarks-view",
        "return document.querySelectorAll('.bookmark-row').length === 1;",
        "the bookmarks view",
    )
    .await;
    shot(&client, "bookmarks-05-view").await;
    // Its search filters the list, and says so when nothing matches.
    js(
        &client,
        "const q = document.getElementById('mark-query'); q.value = 'zebra'; q.dispatchEvent(new Event('input')); return true;",
    )
    .await;
    wait_js(
        &client,
        "return document.querySelectorAll('.bookmark-row').length === 0 && !document.getElementById('empty-state').hidden;",
        "no match",
    )
    .await;
    js(
        &client,
        "const q = document.getElementById('mark-query'); q.value = 'moment'; q.dispatchEvent(new Event('input')); return true;",
    )
    .await;
    wait_js(
        &client,
        "return document.querySelectorAll('.bookmark-row').length === 1;",
        "the match",
    )
    .await;
    client.close().await.expect("close");
}

async fn marks(client: &fantoccini::Client) -> (f64, f64) {
    let v = js(
        client,
        "const b = document.querySelector('#bookmarks .bookmark'); return [Number(b.dataset.start), Number(b.dataset.end)];",
    )
    .await;
    (v[0].as_f64().expect("start"), v[1].as_f64().expect("end"))
}

/// An `earmark://` link opens the episode at that moment, both at start-up and when a second
/// start hands it to the window already open; it never starts the sound (a link can come from any
/// web page): playing waits for the listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earmark_links_open_the_episode_at_the_moment() {
    let pulse = start_pulse();
    let media = tempfile::tempdir().expect("tempdir");
    let feed = episode(media.path());
    let library = tempfile::tempdir().expect("tempdir");
    earmark_e2e::subscribe(library.path(), &feed);

    let (client, _window) = earmark_e2e::window::launch_with_args(
        &[
            ("EARMARK_LIBRARY", library.path()),
            ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
        ],
        &["earmark://episode/1?t=40"],
    )
    .await;
    wait_js(
        &client,
        "const t = document.getElementById('detail-title'); return !!t && t.textContent === 'A minute worth marking';",
        "the linked episode",
    )
    .await;
    wait_js(
        &client,
        "return Number(document.getElementById('scrubber').value) >= 40 \
         && document.getElementById('play-toggle').title.startsWith('Play');",
        "ready, paused, at 0:40",
    )
    .await;
    // Still paused a moment later: nothing started the sound.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let still = js(
        &client,
        "return [document.getElementById('play-toggle').title, Number(document.getElementById('scrubber').value)];",
    )
    .await;
    assert!(still[0].as_str().is_some_and(|t| t.starts_with("Play")), "{still:?}");
    assert!(
        still[1].as_f64().is_some_and(|v| (40.0..41.0).contains(&v)),
        "{still:?}"
    );
    shot(&client, "links-01-opened-at-moment").await;
    // The listener presses play: it plays from there.
    click_and_wait(
        &client,
        "#play-toggle",
        "return document.getElementById('play-toggle').title.startsWith('Pause');",
        "playing after the listener's click",
    )
    .await;

    // A second start with another link: it hands the link over and exits.
    let second = Command::new(earmark_e2e::app_binary())
        .arg("earmark://episode/1?t=10")
        .env("EARMARK_LIBRARY", library.path())
        .output()
        .expect("second start");
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    wait_js(
        &client,
        "const v = Number(document.getElementById('scrubber').value); return v >= 10 && v < 12 \
         && document.getElementById('play-toggle').title.startsWith('Play');",
        "the second link's moment, paused",
    )
    .await;
    client.close().await.expect("close");
}
