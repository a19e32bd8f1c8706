//! Downloading an episode in the real window: the progress bar moves while the bytes arrive,
//! the episode is then marked offline, and it plays with the server gone.

use earmark_test_support::media::{mp3_from_wav, sox_wav};
use std::time::Duration;

use earmark_e2e::pulse::start_pulse;
use earmark_e2e::window::{click_and_wait, js, launch, shot, text, wait_js, wait_state};
use earmark_e2e::{click, FixtureServer};
use fantoccini::Locator;

/// Twenty seconds of tone as MP3 (about 240 KB at 96 kb/s).
fn tone_mp3(dir: &std::path::Path) -> Vec<u8> {
    let wav = dir.join("tone.wav");
    let mp3 = dir.join("tone.mp3");
    sox_wav(&wav, 1, &["synth", "20", "sine", "330", "vol", "0.2"]);
    mp3_from_wav(&wav, &mp3, 96);
    std::fs::read(&mp3).expect("mp3")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_with_progress_then_play_offline() {
    let pulse = start_pulse();
    let work = tempfile::tempdir().expect("tempdir");
    let audio = tone_mp3(work.path());
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Download Fixture</title>\
         <item><title>An episode to take offline</title><guid>offline-1</guid>\
         <pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"/audio/tone.mp3\" type=\"audio/mpeg\" length=\"{}\"/>\
         <description>Downloaded, then played with no server.</description></item></channel></rss>",
        audio.len()
    );
    // About four seconds for the whole file, so the bar is seen moving.
    let server = FixtureServer::start_throttled(
        vec![
            ("/feed.xml".into(), "application/rss+xml", feed.into_bytes()),
            ("/audio/tone.mp3".into(), "audio/mpeg", audio.clone()),
        ],
        Some(audio.len() / 4),
    );
    let library = tempfile::tempdir().expect("tempdir");
    earmark_e2e::subscribe(library.path(), format!("{}/feed.xml", server.base));

    let (client, _window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
    ])
    .await;
    earmark_e2e::window::open_only_episode(&client, "return !!document.getElementById('download');").await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#download"))
        .await
        .expect("download button");
    click(&client, Locator::Css("#download")).await;

    // The bar appears and moves.
    wait_js(
        &client,
        "const b = document.getElementById('download-progress'); return !!b && b.value > 0 && b.value < b.max;",
        "a partly filled progress bar",
    )
    .await;
    let words = text(&client, "#download-words").await;
    assert!(words.contains(" of "), "progress says how far: {words}");
    shot(&client, "downloads-01-progress").await;

    // Then the episode is offline, in its page and in the list.
    wait_js(
        &client,
        "return !!document.getElementById('delete-download');",
        "the download to finish",
    )
    .await;
    wait_js(
        &client,
        "return !!document.querySelector('.episode-row .badge.offline');",
        "the offline marker in the list",
    )
    .await;
    shot(&client, "downloads-02-done").await;

    let file = std::fs::read_dir(library.path().join("media"))
        .expect("media dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "mp3"))
        .expect("the downloaded file");
    assert_eq!(std::fs::read(&file).expect("read"), audio, "byte-identical");

    // With the server gone, it plays from the file.
    drop(server);
    click(&client, Locator::Css("#play-episode")).await;
    wait_state(&client, "playing", "playing offline").await;
    earmark_e2e::window::wait_position(&client, 1.0, "the position to move").await;
    shot(&client, "downloads-03-playing-offline").await;

    // "Offline only" keeps it; deleting the download empties that view and keeps the episode.
    click_and_wait(
        &client,
        "#offline-only",
        "return document.querySelectorAll('.episode-row').length === 1;",
        "the offline filter",
    )
    .await;
    let _ = js(&client, "document.getElementById('play-toggle').click(); return true;").await;
    click_and_wait(
        &client,
        "#delete-download",
        "return !!document.getElementById('download');",
        "the Download button again",
    )
    .await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 0 && !document.getElementById('empty-state').hidden;",
        "the empty offline view",
    )
    .await;
    shot(&client, "downloads-04-offline-filter-empty").await;
    assert!(!file.exists(), "the file is gone");
    client.close().await.expect("close");
}
