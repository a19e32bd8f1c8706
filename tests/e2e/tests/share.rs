//! The shared archive in the real window: Bea's library (driven by the CLI) starts an archive in a
//! folder with a bookmark in it; Ann joins it from Settings → Share, and Bea's bookmark appears in
//! her Bookmarks view with its author, as do the campaign, the blog and the tag Bea made; the tag
//! Ann adds on the episode's page reaches Bea. Screenshots saved.

use std::time::Duration;

use earmark_e2e::window::{click_and_wait, js, launch, open_episode, shot, wait_js};
use earmark_e2e::{cli, click, subscribe, FixtureServer};
use fantoccini::Locator;

const FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Voice of the Child (share fixture)</title><link>{BASE}/</link><description>d</description>
<item><title>Fathers at the school gate</title><guid>votc-9</guid><itunes:duration>1800</itunes:duration>
<pubDate>Mon, 09 Nov 2026 09:00:00 +0000</pubDate>
<enclosure url="{BASE}/audio/ep9.mp3" type="audio/mpeg" length="1000"/></item>
</channel></rss>"#;

const BLOG_HOME: &str = r#"<!doctype html><html><head><title>Researching Reform (fixture)</title>
<link rel="alternate" type="application/rss+xml" title="Feed" href="{BASE}/blog/feed/"></head>
<body><main><h1>Researching Reform</h1></main></body></html>"#;

const BLOG_FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Researching Reform (fixture)</title><link>{BASE}/blog/</link>
<item><title>Fathers at the school gate: the new episode</title>
<link>{BASE}/blog/2026/11/09/fathers-school-gate/</link><guid>{BASE}/blog/?p=9</guid>
<pubDate>Mon, 09 Nov 2026 12:00:00 +0000</pubDate><description>Our new episode is out.</description></item>
</channel></rss>"#;

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_from_settings_and_a_teammate_s_bookmark_appears_with_its_author() {
    let server = FixtureServer::start(vec![
        ("/feed.xml".into(), "application/rss+xml", FEED.as_bytes().to_vec()),
        ("/blog/".into(), "text/html", BLOG_HOME.as_bytes().to_vec()),
        (
            "/blog/feed/".into(),
            "application/rss+xml",
            BLOG_FEED.as_bytes().to_vec(),
        ),
    ]);
    let feed = format!("{}/feed.xml", server.base);
    let work = tempfile::tempdir().expect("tempdir");
    let (bea, ann, folder) = (
        work.path().join("bea"),
        work.path().join("ann"),
        work.path().join("Team archive"),
    );
    subscribe(&bea, &feed);
    subscribe(&ann, &feed);
    ok(cli(&bea)
        .args([
            "bookmark",
            "add",
            "1",
            "--start",
            "12:30",
            "--end",
            "13:10",
            "--title",
            "The judge on contact",
            "--note",
            "For the press pack",
        ])
        .output()
        .expect("bookmark"));
    ok(cli(&bea)
        .args(["campaign", "add-episode", "In Dad's Shoes", "1"])
        .output()
        .expect("campaign"));
    ok(cli(&bea)
        .args(["tag", "episode", "1", "custody"])
        .output()
        .expect("tag"));
    ok(cli(&bea)
        .args(["source", "add", &format!("{}/blog/", server.base)])
        .output()
        .expect("blog"));
    ok(cli(&bea)
        .args(["share", "create"])
        .arg(&folder)
        .args(["--name", "Researching Reform", "--as", "Bea"])
        .output()
        .expect("share create"));

    let (client, _window) = launch(&[("EARMARK_LIBRARY", ann.as_path())]).await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 1;",
        "the episode",
    )
    .await;
    click_and_wait(
        &client,
        "#settings-button",
        "return document.getElementById('settings').open && document.getElementById('share-state').textContent.startsWith('Not shared');",
        "the share section",
    )
    .await;
    let fill = format!(
        "document.getElementById('share-folder').value = {}; document.getElementById('share-person').value = 'Ann'; return true;",
        serde_json::json!(folder.display().to_string())
    );
    js(&client, &fill).await;
    shot(&client, "share-01-join").await;
    click_and_wait(
        &client,
        "#share-join",
        "return document.getElementById('share-state').textContent.includes('Sharing \"Researching Reform\" as Ann');",
        "joined",
    )
    .await;
    shot(&client, "share-02-joined").await;
    // The shared place is shown in a field that selects whole, to copy, and the form that started
    // or joined it is gone.
    let shown = js(
        &client,
        "const shown = (id) => getComputedStyle(document.getElementById(id)).display !== 'none'; \
         return [document.getElementById('share-address-label').textContent, document.getElementById('share-address').value, \
         shown('share-start'), shown('share-shared')];",
    )
    .await;
    assert_eq!(
        shown,
        serde_json::json!(["The shared folder", folder.display().to_string(), false, true])
    );
    click(&client, Locator::Css("#settings-cancel")).await;
    click_and_wait(
        &client,
        "#bookmarks-view",
        "return [...document.querySelectorAll('.bookmark-row')].some((r) => r.textContent.includes('The judge on contact') && r.textContent.includes('by Bea'));",
        "Bea's bookmark with its author",
    )
    .await;
    shot(&client, "share-03-bookmark-by-bea").await;
    // Every shared item says who changed it last: here, the campaign Bea made.
    click_and_wait(
        &client,
        ".campaign-view",
        "return (document.getElementById('campaign-meta')?.textContent ?? '').includes('changed by Bea');",
        "the campaign with its author",
    )
    .await;
    shot(&client, "share-04-campaign-by-bea").await;
    // The blog Bea added is listed beside the form that adds one, with her name.
    click_and_wait(
        &client,
        "#docs-view",
        "return [...document.querySelectorAll('#archive-blogs .blog-row')].some((r) => r.textContent.includes('added by Bea'));",
        "Bea's blog with its author",
    )
    .await;
    shot(&client, "share-04b-blog-by-bea").await;

    // Tags are shared items too: Bea's on the episode says so on its page, and Ann adds her own
    // there, which reaches Bea with the next sync.
    click(&client, Locator::Css(".podcast.all")).await;
    open_episode(&client, "Fathers at the school gate").await;
    wait_js(
        &client,
        "return [...document.querySelectorAll('#item-tags .tag-chip')].some((c) => c.textContent.startsWith('custody') && c.title.startsWith('added by Bea'));",
        "Bea's tag with its author",
    )
    .await;
    client
        .find(Locator::Css("#tag-input"))
        .await
        .expect("the tag field")
        .send_keys("press pack\u{e007}")
        .await
        .expect("type a tag");
    wait_js(
        &client,
        "return [...document.querySelectorAll('#item-tags .tag-chip')].map((c) => c.firstChild.textContent).join('|') === 'custody|press pack';",
        "Ann's tag beside Bea's",
    )
    .await;
    shot(&client, "share-05-episode-tags").await;

    // Ann's own bookmark goes to the folder by itself (a change pokes the sync), and reaches Bea.
    ok(cli(&ann)
        .args(["bookmark", "add", "1", "--start", "2:00", "--title", "Ann's moment"])
        .output()
        .expect("bookmark"));
    let _ = cli(&ann).args(["share", "sync"]).output();
    let out = ok(cli(&bea).args(["share", "sync", "--json"]).output().expect("sync"));
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["received"]["bookmarks"], 1, "{report}");
    assert_eq!(report["received"]["tags"], 1, "{report}");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
