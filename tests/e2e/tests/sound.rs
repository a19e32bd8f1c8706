//! How a podcast sounds, in the real window: choosing "trim silence" above its episodes, even
//! while one plays, makes an episode with a long pause play through in far less time, its position
//! staying in episode time, the time saved counted in the statistics; the settings offer even
//! loudness, on by default.

use earmark_test_support::media::{sox_join, sox_wav};
use std::time::{Duration, Instant};

use earmark_e2e::click;
use earmark_e2e::window::listen_to;
use earmark_e2e::window::{click_and_wait, js, open_episode, play_shown_episode, press_key, shot, wait_js, wait_state};
use fantoccini::Locator;

/// A feed whose one episode is 1 s of tone, 6 s of silence and 1 s of tone (a local WAV).
fn make_paused_episode(dir: &std::path::Path) -> std::path::PathBuf {
    let mut parts = Vec::new();
    for (i, effects) in [
        &["synth", "1", "sine", "440", "vol", "0.3"][..],
        &["trim", "0", "6"][..],
        &["synth", "1", "sine", "440", "vol", "0.3"][..],
    ]
    .iter()
    .enumerate()
    {
        let part = dir.join(format!("part{i}.wav"));
        sox_wav(&part, 1, effects);
        parts.push(part);
    }
    sox_join(&parts, &dir.join("pause.wav"));
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Pauses</title>\
         <item><title>A long pause</title><guid>pause</guid><pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>\
         <enclosure url=\"pause.wav\" type=\"audio/wav\" length=\"1\"/></item></channel></rss>",
    )
    .expect("feed");
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trim_silence_shortens_a_pause_and_the_saving_is_counted() {
    let media = tempfile::tempdir().expect("tempdir");
    let listening = listen_to(make_paused_episode(media.path())).await;
    let client = listening.client.clone();

    // The podcast's own list offers its sound; choose "trim silence".
    click(
        &client,
        Locator::XPath("//button[contains(@class,'podcast')][.//span[text()='Pauses']]"),
    )
    .await;
    wait_js(
        &client,
        "return !document.getElementById('podcast-sound').hidden && document.getElementById('podcast-sound').value === '0:0';",
        "the podcast's sound menu, as published",
    )
    .await;
    // The episode starts as published; trimming chosen while it plays applies at once.
    open_episode(&client, "A long pause").await;
    play_shown_episode(&client).await;
    let started = Instant::now();
    js(
        &client,
        "const s = document.getElementById('podcast-sound'); s.value = '1:0'; s.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    wait_js(
        &client,
        "return document.body.textContent.includes('This podcast now plays with that sound');",
        "the choice confirmed",
    )
    .await;
    shot(&client, "44-podcast-sound").await;

    // Eight seconds of episode, six of them a pause cut to half a second, play in under five and
    // a half, though trimming was chosen only once the episode was playing.
    wait_state(&client, "ended", "the end of the episode").await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(5500),
        "8 s with a 6 s pause trimmed took {took:?}"
    );

    // The statistics count the pause skipped (5.5 s of it).
    press_key(&client, "t").await;
    wait_js(
        &client,
        "return ['5 s', '6 s'].includes((document.querySelector('#stats-trimmed strong') || {}).textContent);",
        "the trimmed time in the statistics",
    )
    .await;
    shot(&client, "45-stats-trimmed").await;

    // Even loudness is a setting of its own, on unless turned off.
    click_and_wait(
        &client,
        "#settings-button",
        "return document.getElementById('settings').open && document.getElementById('even-loudness').checked;",
        "even loudness on in the settings",
    )
    .await;
    shot(&client, "46-settings-sound").await;
    client.close().await.expect("close session");
}
