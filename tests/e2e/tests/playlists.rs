//! Playlists and listening statistics in the real window: make a playlist, add episodes from
//! their pages, play it and hear it move on within the playlist (skipping what is not in it),
//! a smart playlist that follows what is played, and the statistics page drawn from that playback.

use earmark_test_support::media::sox_wav;
use std::time::Duration;

use earmark_e2e::click;
use earmark_e2e::window::listen_to;
use earmark_e2e::window::{click_and_wait, js, open_episode, press_key, shot, wait_js};
use fantoccini::{Client, Locator};

/// Three short episodes (2 s of tone each), newest first: Part three, Part two, Part one.
fn make_parts(dir: &std::path::Path) -> std::path::PathBuf {
    let mut items = String::new();
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        let wav = dir.join(format!("{name}.wav"));
        sox_wav(
            &wav,
            1,
            &["synth", "2", "sine", &format!("{}", 300 + 100 * i), "vol", "0.2"],
        );
        items.push_str(&format!(
            "<item><title>Part {name}</title><guid>{name}</guid><pubDate>Mon, 0{} Nov 2026 09:00:00 +0000</pubDate>\
             <itunes:duration>0:02</itunes:duration><enclosure url=\"{name}.wav\" type=\"audio/wav\" length=\"1\"/></item>",
            i + 2
        ));
    }
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">\
             <channel><title>Parts</title>{items}</channel></rss>"
        ),
    )
    .expect("feed");
    feed
}

/// Chooses the playlist called `name` in the episode page's "Add to playlist" menu.
async fn add_to_playlist(client: &Client, name: &str) {
    wait_js(
        client,
        "return !!document.getElementById('playlist-add');",
        "the playlist menu",
    )
    .await;
    js(
        client,
        &format!(
            "const s = document.getElementById('playlist-add'); \
             s.value = [...s.options].find(o => o.textContent === '{name}').value; \
             s.dispatchEvent(new Event('change')); return true;"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playlist_plays_within_itself_and_the_listening_is_counted() {
    let media = tempfile::tempdir().expect("tempdir");
    let listening = listen_to(make_parts(media.path())).await;
    let client = listening.client.clone();
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 3;",
        "three episodes",
    )
    .await;

    // An empty statistics page says what to do.
    press_key(&client, "t").await;
    wait_js(
        &client,
        "return (document.getElementById('stats-page') || {}).textContent?.includes('Nothing listened to yet');",
        "the empty statistics page",
    )
    .await;

    // A playlist by hand: Part three, then Part one.
    click(&client, Locator::Css("#new-playlist")).await;
    let name = client.find(Locator::Css("#playlist-name")).await.expect("name field");
    name.send_keys("Road trip").await.expect("type");
    click_and_wait(
        &client,
        "#playlist-create",
        "return document.getElementById('list-title').textContent === 'Road trip' && !document.getElementById('empty-state').hidden;",
        "the new, empty playlist",
    )
    .await;
    shot(&client, "40-playlist-empty").await;
    click(&client, Locator::XPath("//button[contains(@class,'podcast all')]")).await;
    for (n, title) in ["Part three", "Part one"].iter().enumerate() {
        open_episode(&client, title).await;
        add_to_playlist(&client, "Road trip").await;
        wait_js(
            &client,
            &format!(
                "return document.querySelector('.playlist-view .count').textContent === '{}';",
                n + 1
            ),
            "the episode added",
        )
        .await;
    }
    click(&client, Locator::XPath("//button[contains(@class,'playlist-view')]")).await;
    wait_js(
        &client,
        "return [...document.querySelectorAll('.episode-row .row-title')].map(e => e.textContent).join('|') === 'Part three|Part one';",
        "the playlist in the order the episodes were added",
    )
    .await;

    // Playing it moves on within it: Part three, then Part one, never Part two.
    click_and_wait(
        &client,
        "#playlist-play",
        "return document.getElementById('player-title').textContent === 'Part three';",
        "the playlist's first episode to play",
    )
    .await;
    wait_js(
        &client,
        "window.__titles = window.__titles || new Set(); window.__titles.add(document.getElementById('player-title').textContent); \
         return document.getElementById('player-title').textContent === 'Part one' && document.getElementById('player').dataset.state === 'ended';",
        "the playlist to move on to Part one and end",
    )
    .await;
    let heard = js(&client, "return [...window.__titles];").await;
    assert!(
        !heard.to_string().contains("Part two"),
        "Part two is not in the playlist: {heard}"
    );
    shot(&client, "41-playlist-played").await;

    // A smart playlist of unplayed episodes holds only Part two now.
    click(&client, Locator::Css("#new-playlist")).await;
    let name = client.find(Locator::Css("#playlist-name")).await.expect("name field");
    name.send_keys("Still to hear").await.expect("type");
    js(
        &client,
        "const k = document.getElementById('playlist-kind'); k.value = 'smart'; k.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    click(&client, Locator::Css("#playlist-create")).await;
    wait_js(
        &client,
        "return document.getElementById('list-title').textContent === 'Still to hear' && \
         [...document.querySelectorAll('.episode-row .row-title')].map(e => e.textContent).join('|') === 'Part two';",
        "the smart playlist to list what is unplayed",
    )
    .await;
    shot(&client, "42-smart-playlist").await;

    // The statistics: two episodes finished, about four seconds listened, drawn as a chart.
    press_key(&client, "t").await;
    wait_js(
        &client,
        "return (document.getElementById('stats-finished') || {}).textContent?.startsWith('2');",
        "two finished episodes in the statistics",
    )
    .await;
    let listened = js(
        &client,
        "return document.querySelector('#stats-listened strong').textContent;",
    )
    .await;
    assert!(
        ["3 s", "4 s", "5 s"].iter().any(|s| listened == *s),
        "about 4 s listened, shown {listened}"
    );
    let bars = js(
        &client,
        "return [...document.querySelectorAll('.stats-chart .bar')].filter(b => Number(b.getAttribute('height')) > 0).length;",
    )
    .await;
    assert_eq!(bars, 1, "one month with listening");
    tokio::time::sleep(Duration::from_millis(200)).await;
    shot(&client, "43-listening-stats").await;
    client.close().await.expect("close session");
}
