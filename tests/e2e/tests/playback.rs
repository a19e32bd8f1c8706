//! Playing a local episode in the real window, through a real (null) audio device that plays in
//! real time: play, pause, seek with the scrubber, change speed; the displayed position follows.

use earmark_test_support::media::{ffmpeg, mp3_from_wav, sox_wav};
use std::time::{Duration, Instant};

use earmark_e2e::click;
use earmark_e2e::pulse::start_pulse;
use earmark_e2e::window::listen_to;
use earmark_e2e::window::{
    click_and_wait, js, launch, open_episode, play_shown_episode, press_key, shot, wait_js, wait_state,
};
use fantoccini::Locator;

use earmark_test_support::media_server;

/// The position the player bar shows, in seconds.
async fn shown_position(client: &fantoccini::Client) -> f64 {
    let v = js(client, "return Number(document.getElementById('scrubber').value);").await;
    v.as_f64().expect("a number")
}

fn make_episode(dir: &std::path::Path) -> std::path::PathBuf {
    make_audio(dir);
    write_feed(dir, "talk.mp3")
}

/// The 90-second chaptered episode, as `talk.mp3` in `dir`.
fn make_audio(dir: &std::path::Path) -> std::path::PathBuf {
    let wav = dir.join("talk.wav");
    sox_wav(&wav, 2, &["synth", "90", "sine", "220", "vol", "0.2"]);
    // Chapters at 0, 30 and 60 s, written by ffmpeg as ID3v2 CHAP frames.
    let meta = dir.join("chapters.txt");
    std::fs::write(
        &meta,
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=30000\ntitle=Opening\n\
         [CHAPTER]\nTIMEBASE=1/1000\nSTART=30000\nEND=60000\ntitle=Middle part\n\
         [CHAPTER]\nTIMEBASE=1/1000\nSTART=60000\nEND=90000\ntitle=Closing\n",
    )
    .expect("chapters");
    let ok = ffmpeg()
        .args(["-i"])
        .arg(&wav)
        .arg("-i")
        .arg(&meta)
        .args([
            "-map_metadata",
            "1",
            "-map_chapters",
            "1",
            "-map",
            "0:a",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "96k",
            "-id3v2_version",
            "4",
        ])
        .arg(dir.join("talk.mp3"))
        .status()
        .expect("ffmpeg (scripts/setup installs it)")
        .success();
    assert!(ok);
    dir.join("talk.mp3")
}

/// A feed in `dir` with the episode, its media at `enclosure`.
fn write_feed(dir: &std::path::Path, enclosure: &str) -> std::path::PathBuf {
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Playback Fixture</title>\
         <item><title>Ninety seconds of tone</title><guid>tone</guid><pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"{enclosure}\" type=\"audio/mpeg\" length=\"1\"/><description>A fixture.</description></item>\
         </channel></rss>"
        ),
    )
    .expect("feed");
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_pause_seek_and_change_speed() {
    let media = tempfile::tempdir().expect("tempdir");
    let listening = listen_to(make_episode(media.path())).await;
    let client = listening.client.clone();

    // Open the episode and press Play.
    earmark_e2e::window::open_only_episode(&client, "return !!document.getElementById('play-episode');").await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#play-episode"))
        .await
        .expect("play button");
    play_shown_episode(&client).await;
    earmark_e2e::window::wait_position(&client, 2.0, "the position to move").await;
    let title = js(&client, "return document.getElementById('player-title').textContent;").await;
    assert_eq!(title, serde_json::json!("Ninety seconds of tone"));
    shot(&client, "20-playing").await;

    // Pause: the position holds.
    click(&client, Locator::Css("#play-toggle")).await;
    wait_state(&client, "paused", "paused").await;
    let held = shown_position(&client).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = shown_position(&client).await;
    assert!(
        (still - held).abs() < 0.3,
        "position moved while paused: {held} → {still}"
    );
    shot(&client, "21-paused").await;

    // Seek with the scrubber to 0:40.
    js(&client, "const s = document.getElementById('scrubber'); s.value = 40; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); return true;").await;
    wait_js(
        &client,
        "const v = Number(document.getElementById('scrubber').value); return v >= 39.8 && v <= 40.5;",
        "the seek to 0:40",
    )
    .await;
    // The test set the scrubber itself, and the bar holds that value for up to 1 s after a seek:
    // past that, only the engine's own ticks (they go on while paused) write the time.
    wait_js(
        &client,
        "return document.getElementById('elapsed').textContent === '0:40';",
        "the player at 0:40",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let elapsed = js(&client, "return document.getElementById('elapsed').textContent;").await;
    assert_eq!(
        elapsed,
        serde_json::json!("0:40"),
        "the position went back after the seek"
    );

    // Chapters from the file's ID3 tag: listed on the episode page; a click jumps there; "." goes to the next.
    wait_js(
        &client,
        "return document.querySelectorAll('#chapters .chapter').length === 3;",
        "three chapters listed",
    )
    .await;
    shot(&client, "22-chapters").await;
    click(
        &client,
        Locator::XPath("//button[contains(@class,'chapter')][contains(., 'Middle part')]"),
    )
    .await;
    wait_js(
        &client,
        "const v = Number(document.getElementById('scrubber').value); return v >= 29.8 && v <= 31;",
        "the jump to the middle chapter",
    )
    .await;
    wait_js(
        &client,
        "return document.getElementById('player-sub').textContent.includes('Middle part');",
        "the current chapter shown",
    )
    .await;
    shot(&client, "25-chapters").await;
    press_key(&client, ".").await;
    wait_js(
        &client,
        "const v = Number(document.getElementById('scrubber').value); return v >= 59.8 && v <= 61;",
        "the next chapter",
    )
    .await;
    js(&client, "const s = document.getElementById('scrubber'); s.value = 40; s.dispatchEvent(new Event('change')); return true;").await;
    wait_js(
        &client,
        "const v = Number(document.getElementById('scrubber').value); return v >= 39.8 && v <= 41;",
        "back to 0:40",
    )
    .await;
    if js(&client, "return document.getElementById('player').dataset.state;").await == serde_json::json!("playing") {
        click(&client, Locator::Css("#play-toggle")).await;
        wait_state(&client, "paused", "paused again").await;
    }

    // Double speed, play: about two seconds of episode per second.
    js(
        &client,
        "const s = document.getElementById('speed'); s.value = '2'; s.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    wait_js(
        &client,
        "return document.getElementById('player-sub').textContent.includes('2×');",
        "2× shown",
    )
    .await;
    click(&client, Locator::Css("#play-toggle")).await;
    wait_state(&client, "playing", "playing again").await;
    let t0 = Instant::now();
    let p0 = shown_position(&client).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let p1 = shown_position(&client).await;
    let rate = (p1 - p0) / t0.elapsed().as_secs_f64();
    assert!(
        (1.5..=2.5).contains(&rate),
        "at 2× the position moved {rate:.2} s per second"
    );
    shot(&client, "22-double-speed").await;

    // Keyboard: space pauses.
    press_key(&client, " ").await;
    wait_state(&client, "paused", "space to pause").await;
    press_key(&client, " ").await;
    wait_state(&client, "playing", "space to play").await;

    // Sleep timer: a short one (the menu offers minutes) pauses playback by itself.
    js(&client, "window.__TAURI_INTERNALS__.invoke('player_command', {command: {kind: 'sleep', minutes: 0.04, end_of_episode: false}}); return true;").await;
    wait_js(
        &client,
        "return document.getElementById('player-sub').textContent.includes('sleep in');",
        "the timer to show",
    )
    .await;
    shot(&client, "24-sleep-timer").await;
    wait_state(&client, "paused", "the sleep timer to pause").await;

    client.close().await.expect("close session");
}

fn make_two_short_episodes(dir: &std::path::Path) -> std::path::PathBuf {
    for (name, freq) in [("first", "300"), ("second", "500")] {
        let wav = dir.join(format!("{name}.wav"));
        sox_wav(&wav, 1, &["synth", "3", "sine", freq, "vol", "0.2"]);
        mp3_from_wav(&wav, &dir.join(format!("{name}.mp3")), 64);
    }
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Queue Fixture</title>\
         <item><title>First short one</title><guid>first</guid><pubDate>Tue, 03 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"first.mp3\" type=\"audio/mpeg\" length=\"1\"/></item>\
         <item><title>Second short one</title><guid>second</guid><pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"second.mp3\" type=\"audio/mpeg\" length=\"1\"/></item>\
         </channel></rss>",
    )
    .expect("feed");
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_plays_next_and_marks_played() {
    let media = tempfile::tempdir().expect("tempdir");
    let listening = listen_to(make_two_short_episodes(media.path())).await;
    let client = listening.client.clone();

    // Queue the second episode from its page.
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 2;",
        "two episodes",
    )
    .await;
    click(
        &client,
        Locator::XPath("//div[contains(@class,'row-title')][text()='Second short one']"),
    )
    .await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#queue-add"))
        .await
        .expect("queue button");
    click(&client, Locator::Css("#queue-add")).await;
    wait_js(&client, "return !!document.getElementById('queue-remove');", "queued").await;
    wait_js(
        &client,
        "return document.querySelector('#queue-view .count').textContent === '1';",
        "Up next count",
    )
    .await;

    // Play the first: when it ends, the second starts by itself and the first is marked played.
    open_episode(&client, "First short one").await;
    click_and_wait(
        &client,
        "#play-episode",
        "return document.getElementById('player-title').textContent === 'First short one';",
        "first playing",
    )
    .await;
    wait_js(&client, "return document.getElementById('player-title').textContent === 'Second short one' && document.getElementById('player').dataset.state === 'playing';", "the queue to move on").await;
    wait_js(
        &client,
        "return document.querySelector('#queue-view .count').textContent === '0';",
        "the queue to empty",
    )
    .await;
    wait_js(
        &client,
        "return [...document.querySelectorAll('.episode-row.played .row-title')].some(e => e.textContent.includes('First short one'));",
        "the first episode to show as played",
    )
    .await;
    shot(&client, "23-queue-moved-on").await;
    client.close().await.expect("close session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_episode_streams_and_skips_by_the_chosen_lengths() {
    let pulse = start_pulse();
    let media = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(make_audio(media.path())).expect("mp3");
    // About five times faster than the 96 kbit/s episode plays: enough to stream, far from instant.
    let server = media_server::MediaServer::start(
        bytes,
        media_server::Behaviour {
            ranges: true,
            bytes_per_sec: Some(60_000),
            content_type: Some("audio/mpeg".into()),
            ..media_server::Behaviour::default()
        },
    );
    let feed = write_feed(media.path(), &server.url("talk.mp3"));
    let library = tempfile::tempdir().expect("tempdir");
    earmark_e2e::subscribe(library.path(), &feed);

    let (client, _window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
    ])
    .await;
    earmark_e2e::window::open_only_episode(&client, "return !!document.getElementById('play-episode');").await;
    click_and_wait(
        &client,
        "#play-episode",
        "return document.getElementById('player').dataset.state === 'playing' && Number(document.getElementById('scrubber').value) >= 1;",
        "the stream to play",
    )
    .await;
    let sub = js(&client, "return document.getElementById('player-sub').textContent;").await;
    assert!(sub.as_str().is_some_and(|s| s.contains("streaming")), "{sub}");
    shot(&client, "26-streaming").await;

    // Settings: skip 5 s back and 20 s forward; the buttons say so.
    click_and_wait(
        &client,
        "#settings-button",
        "return document.getElementById('settings').open;",
        "the settings dialog",
    )
    .await;
    js(
        &client,
        "document.getElementById('skip-back-secs').value = '5'; document.getElementById('skip-forward-secs').value = '20'; return true;",
    )
    .await;
    shot(&client, "27-settings").await;
    click_and_wait(
        &client,
        "#settings-save",
        "return !document.getElementById('settings').open && document.getElementById('skip-forward').textContent.includes('20');",
        "the new skip lengths",
    )
    .await;
    let back = js(&client, "return document.getElementById('skip-back').textContent;").await;
    assert_eq!(back, serde_json::json!("↺ 5"));

    // → jumps 20 s ahead in the stream (past what has arrived), ← comes back 5 s.
    click(&client, Locator::Css("#play-toggle")).await;
    wait_state(&client, "paused", "paused").await;
    let before = shown_position(&client).await;
    press_key(&client, "ArrowRight").await;
    let want = before + 20.0;
    wait_js(
        &client,
        &format!("const v = Number(document.getElementById('scrubber').value); return Math.abs(v - {want}) < 1;"),
        "the 20 s skip",
    )
    .await;
    press_key(&client, "ArrowLeft").await;
    let want = before + 15.0;
    wait_js(
        &client,
        &format!("const v = Number(document.getElementById('scrubber').value); return Math.abs(v - {want}) < 1;"),
        "the 5 s skip back",
    )
    .await;
    client.close().await.expect("close session");
    // The lengths are kept in the library.
    let out = earmark_e2e::cli(library.path())
        .args(["skip-lengths", "--json"])
        .output()
        .expect("cli");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["back_secs"].as_u64(), v["forward_secs"].as_u64()),
        (Some(5), Some(20))
    );
}
