//! The real app in a real WebKit window under Xvfb, driven over WebDriver: add a local feed through
//! the UI, see its episodes, search, and open show notes whose hostile markup must not run.
//! A screenshot of each step is saved under `target/e2e-screenshots/`.

use std::time::Duration;

use earmark_e2e::window::{launch, shot, text, wait_js};
use earmark_e2e::{click, FixtureServer};
use fantoccini::Locator;

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Fixture Family Justice Podcast</title>
  <link>http://127.0.0.1/</link>
  <description>A feed written for Earmark's end-to-end test.</description>
  <item>
    <title>Hostile notes episode</title>
    <guid>e2e-hostile</guid>
    <pubDate>Tue, 10 Nov 2026 10:00:00 +0000</pubDate>
    <enclosure url="/audio/hostile.mp3" length="1000" type="audio/mpeg"/>
    <itunes:duration>12:34</itunes:duration>
    <content:encoded><![CDATA[<p id="safe-paragraph">Notes about the voice of the child.</p>
      <script>window.__pwned = 1; document.title = "pwned";</script>
      <img src="x" onerror="window.__pwned = 2">
      <a href="javascript:window.__pwned=3" id="js-link">click me</a>
      <a href="https://example.org/post">a post</a>]]></content:encoded>
  </item>
  <item>
    <title>Second episode about adoption</title>
    <guid>e2e-second</guid>
    <pubDate>Tue, 03 Nov 2026 10:00:00 +0000</pubDate>
    <enclosure url="/audio/second.mp3" length="2000" type="audio/mpeg"/>
    <description>Plain notes about adoption and the family courts.</description>
  </item>
  <item>
    <title>Video episode</title>
    <guid>e2e-video</guid>
    <pubDate>Tue, 27 Oct 2026 10:00:00 +0000</pubDate>
    <enclosure url="/video/third.mp4" length="3000" type="video/mp4"/>
    <description>A video episode.</description>
  </item>
</channel>
</rss>"#;

async fn wait_for_text(client: &fantoccini::Client, css: &str, needle: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = text(client, css).await;
        if got.contains(needle) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 20 s for {css} to contain {needle:?}; it says {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(client: &fantoccini::Client, css: &str) -> usize {
    client.find_all(Locator::Css(css)).await.map(|v| v.len()).unwrap_or(0)
}

async fn wait_for_count(client: &fantoccini::Client, css: &str, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = count(client, css).await;
        if got == n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 20 s for {n} × {css}, have {got}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_feed_browse_search_and_read_hostile_notes() {
    let library = tempfile::tempdir().expect("tempdir");
    let server = FixtureServer::start(vec![(
        "/feed.xml".into(),
        "application/rss+xml",
        FEED.as_bytes().to_vec(),
    )]);
    let (client, _window) = launch(&[("EARMARK_LIBRARY", library.path())]).await;

    // 1. A new library shows what to do.
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#add-default"))
        .await
        .expect("empty state");
    assert_eq!(text(&client, "#add-default").await, "Add Voice of the Child");
    shot(&client, "01-empty-library").await;

    // 2. A bad address gets an error that says what to do, and adds nothing.
    client
        .find(Locator::Css("#add-input"))
        .await
        .expect("input")
        .send_keys("not a url")
        .await
        .expect("type");
    click(&client, Locator::Css("#add-button")).await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#toast.show.error"))
        .await
        .expect("error toast");
    let toast = text(&client, "#toast").await;
    assert!(toast.contains("Could not add the podcast"), "error toast text: {toast}");
    assert!(toast.contains("Paste a feed URL"), "the error says what to do: {toast}");
    shot(&client, "02-bad-url-error").await;

    // 3. Add the fixture feed through the UI.
    let input = client.find(Locator::Css("#add-input")).await.expect("input");
    input.clear().await.expect("clear");
    input
        .send_keys(&format!("{}/feed.xml", server.base))
        .await
        .expect("type");
    click(&client, Locator::Css("#add-button")).await;
    wait_for_count(&client, ".episode-row", 3).await;
    assert_eq!(text(&client, "#list-title").await, "Fixture Family Justice Podcast");
    assert_eq!(
        text(&client, ".episode-row .row-title").await,
        "Hostile notes episode",
        "newest first"
    );
    shot(&client, "03-episodes").await;

    // 4. Search.
    client
        .find(Locator::Css("#search"))
        .await
        .expect("search")
        .send_keys("adoption")
        .await
        .expect("type");
    wait_for_count(&client, ".hit-row", 1).await;
    let hit = text(&client, ".hit-row").await;
    assert!(hit.contains("Second episode about adoption"), "{hit}");
    shot(&client, "04-search").await;

    // 5. Open the episode with hostile show notes: nothing in them runs.
    let search = client.find(Locator::Css("#search")).await.expect("search");
    search.clear().await.expect("clear");
    search.send_keys("hostile").await.expect("type");
    wait_for_text(&client, ".hit-row", "Hostile notes episode").await;
    click(&client, Locator::Css(".hit-row")).await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#detail-title"))
        .await
        .expect("detail");
    assert_eq!(text(&client, "#detail-title").await, "Hostile notes episode");
    assert!(
        text(&client, "#notes")
            .await
            .contains("Notes about the voice of the child."),
        "the harmless part is shown"
    );
    assert_eq!(
        count(&client, "#notes a[href='https://example.org/post']").await,
        1,
        "a web link survives"
    );
    assert_eq!(count(&client, "#notes script").await, 0, "no script element survives");
    assert_eq!(count(&client, "#notes [onerror]").await, 0, "no event handler survives");
    assert_eq!(
        count(&client, "#notes a[href^='javascript']").await,
        0,
        "no javascript: link survives"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pwned = client
        .execute("return typeof window.__pwned;", vec![])
        .await
        .expect("execute");
    assert_eq!(pwned, serde_json::json!("undefined"), "hostile markup ran");
    assert_ne!(client.title().await.expect("title"), "pwned");
    shot(&client, "05-hostile-notes-sanitised").await;

    // 6. Keyboard: j moves to the next row and opens it.
    client
        .find(Locator::Css("#search"))
        .await
        .expect("search")
        .clear()
        .await
        .expect("clear");
    client
        .execute(
            "document.activeElement.blur(); document.getElementById('search').dispatchEvent(new Event('input'));",
            vec![],
        )
        .await
        .expect("blur");
    wait_for_count(&client, ".episode-row", 3).await;
    // The page may still show the hostile episode from step 5, so each press must open the row
    // it selects: the first row, then the second (a different title).
    for index in 0..2 {
        earmark_e2e::window::press_key(&client, "j").await;
        earmark_e2e::window::wait_js(
            &client,
            &format!(
                "const s = document.querySelector('.episode-row.selected'); const h = document.getElementById('detail-title'); \
                 return document.querySelectorAll('.episode-row.selected').length === 1 && s.dataset.index === '{index}' \
                 && !!h && s.querySelector('.row-title').textContent === h.textContent;"
            ),
            &format!("j to select and open row {index}"),
        )
        .await;
    }
    shot(&client, "06-keyboard").await;

    client.close().await.expect("close session");
}

/// Calls `cmd` with `args` (a JavaScript expression) from the page; what came back, or "no
/// answer" after two seconds.
async fn invoke_from_page(client: &fantoccini::Client, cmd: &str, args: &str) -> String {
    let script = format!(
        "const done = arguments[arguments.length - 1]; \
         window.__TAURI_INTERNALS__.invoke('{cmd}', {args}).then(() => done('answered'), (e) => done('refused: ' + String(e))); \
         setTimeout(() => done('no answer'), 2000);"
    );
    match client.execute_async(&script, vec![]).await {
        Ok(v) => v.as_str().unwrap_or_default().to_owned(),
        Err(e) => panic!("script failed: {e}"),
    }
}

/// Every message the page sends passes Tauri's isolation frame, whose hook lets through only
/// Earmark's own commands with plain-data arguments: a script that got into the page cannot
/// call a plugin command or smuggle objects, even where the capability file alone would let it.
/// There is no `window.__TAURI__` either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_isolation_frame_passes_only_earmarks_own_calls() {
    let library = tempfile::tempdir().expect("tempdir");
    let (client, _window) = launch(&[("EARMARK_LIBRARY", library.path())]).await;
    // The window's first answers came back through the frame (the page is drawn from them).
    wait_js(
        &client,
        "return document.body.innerText.includes('Your library is empty');",
        "the empty library, drawn from the backend's answers",
    )
    .await;
    wait_js(
        &client,
        "return [...document.querySelectorAll('iframe')].some(f => f.src.startsWith('isolation-'));",
        "the isolation frame",
    )
    .await;
    // The global API object is not injected (`withGlobalTauri` is off): the UI's one backend
    // module is the only caller, and a script has no ready-made `__TAURI__` to reach for.
    assert_eq!(
        client
            .execute("return typeof window.__TAURI__;", vec![])
            .await
            .expect("script")
            .as_str(),
        Some("undefined")
    );
    assert_eq!(invoke_from_page(&client, "library_info", "{}").await, "answered");
    // A command the app never calls, and an argument that is not plain data: dropped in the frame.
    assert_eq!(
        invoke_from_page(&client, "plugin:opener|open_url", "{url: 'https://example.org'}").await,
        "no answer"
    );
    assert_eq!(
        invoke_from_page(&client, "library_info", "{when: new Date()}").await,
        "no answer"
    );
    // A name the app never registered, and an argument the window never passes that command.
    assert_eq!(invoke_from_page(&client, "delete_everything", "{}").await, "no answer");
    assert_eq!(
        invoke_from_page(&client, "get_episode", "{id: 1, path: '/etc/passwd'}").await,
        "no answer"
    );
    client.close().await.expect("close");
}
