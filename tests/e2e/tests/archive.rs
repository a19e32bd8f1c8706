//! The blog archive in the real window: add a fixture blog (no REST API, so its paged RSS feed is
//! read) and campaign pages, open an episode and accept a suggested post, open the campaign view
//! and see the episode its page links to, and the review queue; screenshots saved.

use earmark_test_support::media::ffmpeg;
use std::time::Duration;

use earmark_e2e::window::{click_and_wait, js, launch, shot, text, wait_js};
use earmark_e2e::{click, FixtureServer};
use fantoccini::Locator;

const PODCAST: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Voice of the Child (fixture)</title><link>{BASE}/</link>
<item><title>Moses Farrow on adoption and the family courts</title><guid>ep-adoption</guid>
<link>{BASE}/podcast/moses-farrow-adoption</link>
<pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate>
<enclosure url="{BASE}/audio/adoption.mp3" type="audio/mpeg" length="1000"/>
<description>Moses Farrow talks about adoption, secrecy in the family courts and what children remember.</description></item>
<item><title>Fathers at the school gate</title><guid>ep-fathers</guid>
<link>{BASE}/podcast/fathers-school-gate</link>
<pubDate>Mon, 09 Nov 2026 09:00:00 +0000</pubDate>
<enclosure url="{BASE}/audio/fathers.mp3" type="audio/mpeg" length="1000"/>
<description>Separated fathers describe contact arrangements, the school gate and the In Dad's Shoes walk.</description></item>
</channel></rss>"#;

const HOME: &str = r#"<!doctype html><html><head><title>Researching Reform (fixture)</title>
<link rel="alternate" type="application/rss+xml" title="Feed" href="{BASE}/blog/feed/"></head>
<body><nav>Home · About</nav><main><h1>Researching Reform</h1></main></body></html>"#;

const BLOG_FEED: &str = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Researching Reform (fixture)</title><link>{BASE}/blog/</link>
<item><title>New episode: Moses Farrow on adoption and the family courts</title>
<link>{BASE}/blog/2026/11/02/moses-farrow-episode/</link><guid>{BASE}/blog/?p=1</guid>
<pubDate>Mon, 02 Nov 2026 12:00:00 +0000</pubDate><dc:creator>Natasha</dc:creator>
<content:encoded><![CDATA[<p>Our new episode, Moses Farrow on adoption and the family courts, is out now.
<a href="{BASE}/audio/adoption.mp3">Listen to the audio</a>.</p><script>alert(1)</script>]]></content:encoded></item>
<item><title>Adoption secrecy: what Moses Farrow told us about closed family courts</title>
<link>{BASE}/blog/2026/11/04/adoption-secrecy/</link><guid>{BASE}/blog/?p=2</guid>
<pubDate>Wed, 04 Nov 2026 12:00:00 +0000</pubDate><dc:creator>Natasha</dc:creator>
<content:encoded><![CDATA[<p>Moses Farrow spoke about adoption, secrecy in closed family courts, and the memories
children carry from adoption. Adoption records, family courts and secrecy remain our focus; Moses Farrow
argues children remember far more than courts assume.</p>]]></content:encoded></item>
<item><title>Allotment diary: autumn planting</title>
<link>{BASE}/blog/2026/10/01/allotment/</link><guid>{BASE}/blog/?p=3</guid>
<pubDate>Thu, 01 Oct 2026 12:00:00 +0000</pubDate>
<content:encoded><![CDATA[<p>Garlic, onions and broad beans went in this weekend.</p>]]></content:encoded></item>
</channel></rss>"#;

/// Opens the campaign's "An Overview" page from the list and waits for `ready`.
async fn open_overview(client: &fantoccini::Client, ready: &str, what: &str) {
    js(
        client,
        "[...document.querySelectorAll('.doc-row')].find(r => r.textContent.includes('An Overview')).click(); return true;",
    )
    .await;
    wait_js(client, ready, what).await;
}

fn campaign_page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>{title} | In Dad's Shoes</title></head><body>
<header><nav class="menu"><a href="/">Home</a> <a href="/about">About</a> <a href="/donate">Donate</a></nav></header>
<div id="content"><article><h1>{title}</h1><div class="entry-content">{body}</div></article></div>
<aside class="sidebar widget"><h3>Recent posts</h3><ul><li>Sidebar link one</li><li>Sidebar link two</li></ul></aside>
<footer>© Researching Reform · Privacy · Cookies</footer></body></html>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_blog_and_campaign_accept_a_suggestion_open_the_campaign() {
    let work = tempfile::tempdir().expect("tempdir");
    let png = work.path().join("walk.png");
    let ok = ffmpeg()
        .args(["-f", "lavfi", "-i", "color=c=orange:s=64x48", "-frames:v", "1"])
        .arg(&png)
        .status()
        .expect("ffmpeg (scripts/setup installs it)")
        .success();
    assert!(ok);
    let server = FixtureServer::start(vec![
        ("/img/walk.png".into(), "image/png", std::fs::read(&png).expect("png")),
        ("/podcast.xml".into(), "application/rss+xml", PODCAST.as_bytes().to_vec()),
        ("/blog/".into(), "text/html", HOME.as_bytes().to_vec()),
        ("/blog/feed/".into(), "application/rss+xml", BLOG_FEED.as_bytes().to_vec()),
        (
            "/campaign/overview".into(),
            "text/html",
            campaign_page(
                "An Overview",
                "<p>In Dad's Shoes asks separated fathers to walk a mile at the school gate and talk about contact.</p>\
                 <p><img src=\"{BASE}/img/walk.png\" alt=\"The walk\" width=\"64\" height=\"48\"></p>",
            )
            .into_bytes(),
        ),
        (
            "/campaign/media".into(),
            "text/html",
            campaign_page(
                "Media",
                "<p>Hear fathers on the podcast:</p><audio controls src=\"{BASE}/audio/fathers.mp3\"></audio>",
            )
            .into_bytes(),
        ),
    ]);
    let library = tempfile::tempdir().expect("tempdir");
    earmark_e2e::subscribe(library.path(), format!("{}/podcast.xml", server.base));

    let (client, _window) = launch(&[("EARMARK_LIBRARY", library.path())]).await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 2;",
        "the episodes",
    )
    .await;

    // 1. Add the blog from the Posts & pages view.
    click(&client, Locator::Css("#docs-view")).await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#archive-urls"))
        .await
        .expect("the add form");
    shot(&client, "archive-01-empty").await;
    client
        .find(Locator::Css("#archive-urls"))
        .await
        .expect("urls")
        .send_keys(&format!("{}/blog/", server.base))
        .await
        .expect("type");
    click_and_wait(
        &client,
        "#add-blog",
        "return document.querySelectorAll('.doc-row').length === 3;",
        "three posts",
    )
    .await;
    // The blog is listed under the form, read, with its posts counted.
    wait_js(
        &client,
        "return [...document.querySelectorAll('#archive-blogs .blog-row')].some((r) => r.textContent.includes('Researching Reform (fixture)') && r.textContent.includes('3 posts · read'));",
        "the blog in the list of blogs",
    )
    .await;
    shot(&client, "archive-02-blog-added").await;

    // 2. Campaign pages, into "In Dad's Shoes".
    let urls = format!(
        "{0}/campaign/overview\n{0}/campaign/media\n{0}/campaign/missing",
        server.base
    );
    let set = format!(
        "const t = document.getElementById('archive-urls'); t.value = {}; \
         document.getElementById('archive-campaign').value = \"In Dad's Shoes\"; return true;",
        serde_json::to_string(&urls).expect("json")
    );
    wait_js(
        &client,
        "return !!document.getElementById('archive-urls');",
        "the add form again",
    )
    .await;
    js(&client, &set).await;
    click_and_wait(
        &client,
        "#add-pages",
        "return [...document.querySelectorAll('.campaign-view')].some(b => b.textContent.includes(\"In Dad's Shoes\"));",
        "the campaign in the sidebar",
    )
    .await;
    wait_js(
        &client,
        "const r = document.getElementById('archive-results'); return !!r && r.textContent.includes('✗');",
        "the missing page reported",
    )
    .await;
    shot(&client, "archive-03-pages-added-one-missing").await;

    // 3. The hostile script in a post never reaches the window.
    let body = js(
        &client,
        "const row = [...document.querySelectorAll('.doc-row')].find(r => r.textContent.includes('New episode')); row.click(); return true;",
    )
    .await;
    assert_eq!(body, serde_json::json!(true));
    wait_js(&client, "return !!document.getElementById('doc-body');", "the post").await;
    assert_eq!(
        js(&client, "return document.querySelectorAll('#doc-body script').length;").await,
        serde_json::json!(0)
    );

    // 3b. The review queue holds the suggestion, and its filter the kinds of evidence behind it:
    // choosing one keeps the suggestions resting on it and says how many of the queue those are.
    click(&client, Locator::Css("#review-view")).await;
    wait_js(
        &client,
        "return document.getElementById('list-title').textContent === 'Review links' && \
         !document.getElementById('review-evidence').hidden && \
         document.querySelectorAll('.review-row').length >= 1;",
        "the review queue with its filter",
    )
    .await;
    js(
        &client,
        "const s = document.getElementById('review-evidence'); s.value = s.options[1].value; \
         s.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    wait_js(
        &client,
        "const s = document.getElementById('review-evidence'); \
         const n = parseInt(s.options[1].textContent.match(/\\((\\d+)\\)$/)[1], 10); \
         return s.value === s.options[1].value && \
           document.getElementById('list-count').textContent.startsWith(n + ' of ') && \
           document.querySelectorAll('.review-row').length === n;",
        "the queue narrowed to one kind of evidence",
    )
    .await;
    shot(&client, "archive-03b-review-by-evidence").await;

    // 4. Open the adoption episode: the post naming it is linked; the similar post is suggested.
    let _ = js(&client, "document.querySelector('.podcast.all').click(); return true;").await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 2;",
        "the episodes again",
    )
    .await;
    js(
        &client,
        "[...document.querySelectorAll('.episode-row')].find(r => r.textContent.includes('Moses')).click(); return true;",
    )
    .await;
    wait_js(
        &client,
        "return document.querySelectorAll('#episode-links .link-row').length >= 2;",
        "two related posts",
    )
    .await;
    let related = text(&client, "#episode-links").await;
    assert!(related.contains("explicit"), "{related}");
    assert!(
        !related.contains("Allotment"),
        "the unrelated post is not suggested: {related}"
    );
    shot(&client, "archive-04-episode-suggestion").await;
    click(&client, Locator::Css("#episode-links .link-row.suggested .accept")).await;
    wait_js(
        &client,
        "return document.querySelectorAll('#episode-links .link-row.suggested').length === 0 && \
         document.querySelectorAll('#episode-links .link-row.accepted').length >= 2;",
        "the suggestion accepted",
    )
    .await;
    shot(&client, "archive-05-suggestion-accepted").await;

    // 5. The campaign view lists its pages and the episode its Media page plays.
    click_and_wait(
        &client,
        ".campaign-view",
        "const e = document.getElementById('campaign-episodes'); return !!e && e.textContent.includes('Fathers at the school gate');",
        "the campaign's episode",
    )
    .await;
    assert_eq!(
        js(&client, "return document.querySelectorAll('.doc-row').length;").await,
        serde_json::json!(2)
    );
    shot(&client, "archive-06-campaign").await;

    // Its pages' order is set by hand: the first moves down.
    let order = "JSON.stringify([...document.querySelectorAll('#campaign-pages .link-row .link-title')].map(b => b.textContent))";
    let before = js(&client, &format!("return {order};")).await;
    let mut titles: Vec<String> = serde_json::from_str(before.as_str().unwrap_or_default()).expect("titles");
    assert_eq!(titles.len(), 2, "{before}");
    click(
        &client,
        Locator::Css("#campaign-pages .link-row button[title^='Move this page down']"),
    )
    .await;
    titles.reverse();
    let flipped = serde_json::json!(serde_json::json!(titles).to_string());
    wait_js(
        &client,
        &format!("return {order} === {flipped};"),
        "the page moved down",
    )
    .await;
    shot(&client, "archive-06b-campaign-reordered").await;

    // Keep the campaign's images offline; with the server gone the page still shows its picture.
    open_overview(
        &client,
        "return !!document.getElementById('archive-images');",
        "the overview page",
    )
    .await;
    // Its picture is on another server: held back, and the server never asked, until allowed.
    wait_js(
        &client,
        "const i = document.querySelector('#doc-body img'); const n = document.getElementById('held-images'); \
         return !!i && i.getAttribute('src').startsWith('remoteimg://') && !!n && n.textContent.includes('1 image');",
        "the image held back, and a notice saying so",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.requests_for("/img/walk.png"), 0, "the held image was fetched");
    let loaded = js(&client, "return document.querySelector('#doc-body img').naturalWidth;").await;
    assert_eq!(loaded.as_u64(), Some(0), "the held image was shown");
    shot(&client, "archive-05b-images-held").await;
    click_and_wait(
        &client,
        "#held-images-toggle",
        "const i = document.querySelector('#doc-body img'); return !!i && i.complete && i.naturalWidth === 64;",
        "the image loaded through the app once allowed",
    )
    .await;
    assert_eq!(server.requests_for("/img/walk.png"), 1);
    shot(&client, "archive-05c-images-allowed").await;
    click_and_wait(
        &client,
        "#archive-images",
        "const i = document.querySelector('#doc-body img'); return !!i && i.getAttribute('src').startsWith('docimg://');",
        "the image pointed at its local copy",
    )
    .await;
    drop(server);
    open_overview(
        &client,
        "const i = document.querySelector('#doc-body img'); return !!i && i.complete && i.naturalWidth === 64;",
        "the archived image shown offline",
    )
    .await;
    shot(&client, "archive-06b-image-offline").await;

    // 6. The review queue opens (it may be empty once everything is decided).
    click_and_wait(
        &client,
        "#review-view",
        "return document.getElementById('list-title').textContent === 'Review links';",
        "the review queue",
    )
    .await;
    // Its filter by evidence: offered when there is something to review, every kind counted.
    wait_js(
        &client,
        "const s = document.getElementById('review-evidence'); \
         const count = document.getElementById('list-count').textContent; \
         return s.hidden ? count === '0 suggestions' \
           : s.options.length >= 1 && s.options[0].textContent === 'All evidence (' + parseInt(count, 10) + ')';",
        "the evidence filter",
    )
    .await;
    shot(&client, "archive-07-review").await;
    client.close().await.expect("close");
}
