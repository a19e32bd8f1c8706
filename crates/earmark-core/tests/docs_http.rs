//! Blog sources and pages against a WordPress-like fixture site on 127.0.0.1 (see `wpsite`):
//! REST backfill with paging and term names, RSS fallback with paging, incremental refreshes that
//! fetch only what changed (checked on the request log), pages with furniture to strip, hostile
//! HTML, broken pages, a 404 and a timeout in a list, collections and tags.

use earmark_test_support::http;
use earmark_test_support::wpsite;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use earmark_core::chrono::{DateTime, Utc};
use earmark_core::docs::{self, CollectionKind, DocKind, DocQuery, SourceMethod};
use earmark_core::feed::{ParsedFeed, ParsedItem};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::{Changed, SearchKind};
use earmark_core::{search, Library};
use http::{Body, Reply, Server};
use tempfile::TempDir;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("time")
}

fn library() -> (TempDir, Library) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = Library::open(dir.path()).expect("open");
    (dir, lib)
}

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_millis(800)).expect("fetcher")
}

fn site(server: &Server, s: wpsite::WpSite) -> wpsite::Shared {
    let shared = Arc::new(Mutex::new(s));
    wpsite::mount(server, shared.clone());
    shared
}

// ---------------------------------------------------------------------------------------------
// Sources

#[test]
fn rest_backfill_reads_every_page_and_names_terms() {
    let server = Server::start();
    site(&server, wpsite::generate(250, 3, 80));
    let (_d, mut lib) = library();
    let report = docs::add_source(&mut lib, &fetcher(), &server.url("/"), None, now()).expect("add");
    assert_eq!(report.new, 253);
    assert_eq!(report.source.method, Some(SourceMethod::Rest));
    assert_eq!(report.source.title, "Researching Reform");
    assert_eq!(report.source.document_count, 253);
    assert!(report.source.high_water.is_some());
    // Three pages of 100 posts (250), one of pages; no RSS at all.
    let posts = server.requests_to("/wp-json/wp/v2/posts");
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(posts.iter().all(|r| r.target.contains("per_page=100")));
    assert_eq!(server.requests_to("/wp-json/wp/v2/pages").len(), 1);
    assert!(server.requests_to("/feed/").is_empty());
    // Terms are looked up once each, by id.
    assert_eq!(server.requests_to("/wp-json/wp/v2/categories").len(), 1);

    let all = lib.documents(&DocQuery::default()).expect("docs");
    assert_eq!(all.iter().filter(|d| d.kind == DocKind::Page).count(), 3);
    let first = all.iter().find(|d| d.title == "Post number 1").expect("post 1");
    assert_eq!(first.published.as_deref(), Some("2015-01-01T00:00:00Z"));
    let d = lib.document(first.id).expect("doc");
    assert_eq!(d.categories, vec!["Family Courts"]);
    assert_eq!(d.site_tags, vec!["tag-10", "voice of the child"]);
    assert_eq!(d.author.as_deref(), Some("Natasha"));
    assert!(d.text.contains("(part 0 of item 1)"), "{}", d.text);
    let page = all.iter().find(|d| d.kind == DocKind::Page).expect("a page");
    assert!(page.title.ends_with("& more"), "entities decoded: {}", page.title);

    // Search finds posts and pages with the episodes' search.
    let hits = search::search(&lib, "\"item 7\"", 5).expect("search");
    assert!(hits.iter().any(|h| h.kind == SearchKind::Post), "{hits:?}");
}

#[test]
fn refresh_fetches_only_what_changed() {
    let server = Server::start();
    let shared = site(&server, wpsite::generate(250, 2, 40));
    {
        let mut s = shared.lock().expect("lock");
        s.hide_users = true;
    }
    let (_d, mut lib) = library();
    let f = fetcher();
    let added = docs::add_source(&mut lib, &f, &server.url("/"), None, now()).expect("add");
    assert_eq!(added.new, 252);
    let before = server.requests().len();

    // Nothing changed: one request per route, nothing stored.
    let same = docs::refresh_source(&mut lib, &f, added.source.id, now()).expect("refresh");
    assert_eq!((same.new, same.updated, same.unchanged), (0, 0, 0));
    let log = server.requests()[before..].to_vec();
    let list_requests: Vec<_> = log
        .iter()
        .filter(|r| r.path().starts_with("/wp-json/wp/v2/p"))
        .collect();
    assert_eq!(list_requests.len(), 2, "{list_requests:?}");
    assert!(
        list_requests.iter().all(|r| r.target.contains("modified_after=")),
        "{list_requests:?}"
    );

    // Two posts edited, one new post: only those come back.
    {
        let mut s = shared.lock().expect("lock");
        let later = s.posts.iter().map(|p| p.modified).max().unwrap_or(0) + 1000;
        s.posts[3].modified = later;
        s.posts[3].body = "<p>Edited body about transparency.</p>".into();
        s.posts[100].modified = later + 1;
        s.posts[100].title = "Retitled post".into();
        let mut new = s.posts[0].clone();
        new.id = 9999;
        new.slug = "brand-new".into();
        new.title = "Brand new post".into();
        new.date = later + 2;
        new.modified = later + 2;
        s.posts.push(new);
    }
    let before = server.requests().len();
    let changed = docs::refresh_source(&mut lib, &f, added.source.id, now()).expect("refresh");
    assert_eq!((changed.new, changed.updated), (1, 2));
    let log = server.requests()[before..].to_vec();
    let posts: Vec<_> = log.iter().filter(|r| r.path() == "/wp-json/wp/v2/posts").collect();
    assert_eq!(posts.len(), 1, "one page of changes: {posts:?}");
    assert!(posts[0].target.contains("orderby=modified"));
    let all = lib.documents(&DocQuery::default()).expect("docs");
    assert_eq!(all.len(), 253);
    // The archive's list loads by windows: each is the matching slice, with the whole count.
    for (offset, limit) in [(0_u64, 200_u32), (200, 200), (250, 10), (400, 10)] {
        let w = lib
            .document_window(&DocQuery::default(), offset, limit)
            .expect("window");
        let want: Vec<_> = all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|d| d.id)
            .collect();
        let got: Vec<_> = w.items.iter().map(|d| d.id).collect();
        assert_eq!((w.total, got), (253, want), "window at {offset}");
    }
    let retitled = lib
        .documents(&DocQuery::default())
        .expect("docs")
        .into_iter()
        .find(|d| d.title == "Retitled post");
    assert!(retitled.is_some(), "updated in place");
    // Authors were hidden (401): posts are stored without one, the refresh did not fail.
    let d = lib.document(retitled.expect("retitled").id).expect("doc");
    assert_eq!(d.author, None);
}

#[test]
fn a_site_without_the_rest_api_is_read_through_paged_rss() {
    let server = Server::start();
    let mut s = wpsite::generate(25, 2, 40);
    s.rest = false;
    let shared = site(&server, s);
    let (_d, mut lib) = library();
    let f = fetcher();
    let report = docs::add_source(&mut lib, &f, &server.url("/"), Some("In Dad's Shoes"), now()).expect("add");
    assert_eq!(report.source.method, Some(SourceMethod::Rss));
    assert_eq!(report.new, 25, "pages are not in the feed; every post is");
    // /wp-json/ was tried and refused; feed pages 1..3 then a 404 on 4.
    assert_eq!(server.requests_to("/wp-json/").len(), 1);
    let feed: Vec<String> = server.requests_to("/feed/").into_iter().map(|r| r.target).collect();
    assert_eq!(
        feed,
        vec!["/feed/", "/feed/?paged=2", "/feed/?paged=3", "/feed/?paged=4"]
    );
    let d = lib
        .documents(&DocQuery::default())
        .expect("docs")
        .into_iter()
        .find(|d| d.title == "Post number 5")
        .expect("post 5");
    assert_eq!(d.campaign.as_deref(), Some("In Dad's Shoes"));
    let detail = lib.document(d.id).expect("doc");
    assert_eq!(detail.categories, vec!["Adoption & Care"], "entities in names decoded");
    assert_eq!(detail.author.as_deref(), Some("Natasha"));

    // A refresh with one new post stops at the first page that brings nothing new.
    {
        let mut s = shared.lock().expect("lock");
        let mut new = s.posts[0].clone();
        new.id = 500;
        new.slug = "newest".into();
        new.title = "Newest post".into();
        new.date = 2_000_000_000;
        s.posts.push(new);
    }
    let before = server.requests_to("/feed/").len();
    let again = docs::refresh_source(&mut lib, &f, report.source.id, now()).expect("refresh");
    assert_eq!(again.new, 1);
    let feed = server.requests_to("/feed/");
    // Page 1 has the new post (and shifts one old post to page 2); page 2 brings nothing new.
    assert_eq!(feed.len() - before, 2, "{:?}", &feed[before..]);
}

#[test]
fn a_failing_source_keeps_what_it_had_and_says_why() {
    let server = Server::start();
    site(&server, wpsite::generate(5, 0, 20));
    let (_d, mut lib) = library();
    let f = fetcher();
    let report = docs::add_source(&mut lib, &f, &server.url("/"), None, now()).expect("add");
    server.set("/wp-json/wp/v2/posts", Reply::ok("<html>not json</html>"));
    let err = docs::refresh_source(&mut lib, &f, report.source.id, now()).expect_err("bad api");
    assert_eq!(err.code(), "bad_api");
    let s = lib.source(report.source.id).expect("source");
    assert!(s.last_error.is_some_and(|e| e.contains("unreadable")));
    assert_eq!(s.document_count, 5);
    // Not a URL, or not http.
    assert_eq!(
        docs::add_source(&mut lib, &f, "file:///etc/passwd", None, now())
            .map(|_| ())
            .expect_err("scheme")
            .code(),
        "bad_url"
    );
}

// ---------------------------------------------------------------------------------------------
// Pages

const FURNITURE: &str = r#"<header id="masthead" class="site-header"><div class="site-branding">Researching Reform</div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu"><li><a href="/">Home</a></li><li><a href="/about/">About us</a></li></ul></nav></header>"#;
const SIDEBAR: &str = r#"<aside id="secondary" class="widget-area" role="complementary"><section id="recent-posts-2" class="widget widget_recent_entries">
<h2 class="widget-title">Recent Posts</h2><ul><li><a href="/x/">Some other post title in the sidebar</a></li></ul></section>
<section class="widget"><form role="search"><input name="s"></form></section></aside>
<footer id="colophon" class="site-footer"><div class="site-info">Proudly powered by WordPress. Copyright the footer.</div></footer>"#;

fn campaign_page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="UTF-8"><title>{title} &#8211; Researching Reform</title>
<meta property="og:title" content="{title}"><meta property="article:published_time" content="2019-06-01T09:00:00+00:00">
<script>window.tracker = 1;</script><style>body{{color:red}}</style></head>
<body class="page-template-default page">{FURNITURE}<div id="page" class="site"><div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main"><article id="post-12" class="page type-page">
<header class="entry-header"><h1 class="entry-title">{title}</h1></header><div class="entry-content">{body}</div>
<div id="jp-post-flair" class="sharedaddy sd-sharing-enabled"><a href="https://twitter.com/share">Share on Twitter</a></div>
</article><div id="comments" class="comments-area"><h2>One comment</h2><p>A reader said something long enough to count.</p></div>
</main></div>{SIDEBAR}</div></div></body></html>"#
    )
}

const HOSTILE_BODY: &str = r#"<p onclick="steal()" onmouseover="steal()">Fathers walked in their shoes to parliament.</p>
<p><a href="javascript:alert(document.cookie)">click me</a> <a href="JaVaScRiPt:alert(1)">again</a>
<a href="/media/">Media page</a> <a href="https://news.example/story">a story</a></p>
<img src="https://pixel.wp.com/g.gif?blog=1&amp;post=2" alt=""><img src="https://cdn.example/spacer.gif" width="1" height="1">
<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" style="display:none"><img src="https://cdn.example/march.jpg" alt="The march" onerror="steal()">
<script src="https://evil.example/x.js"></script><iframe src="https://evil.example/frame"></iframe><object data="x.swf"></object>
<svg><script>alert(1)</script></svg><form action="https://evil.example/"><input type="password"></form>"#;

#[test]
fn pages_in_a_list_each_succeed_or_fail_on_their_own() {
    let server = Server::start();
    server.set(
        "/in-dads-shoes/an-overview/",
        Reply::ok(campaign_page(
            "An Overview",
            "<p>In Dad's Shoes is a campaign for fathers in the family courts, walking a mile in their shoes.</p>",
        ))
        .header("Content-Type", "text/html; charset=UTF-8"),
    );
    server.set(
        "/in-dads-shoes/media/",
        Reply::ok(campaign_page("Media", HOSTILE_BODY)).header("Content-Type", "text/html"),
    );
    server.set(
        "/in-dads-shoes/missing/",
        Reply::status(404).body("<html>not found</html>"),
    );
    let junk: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 256) as u8).collect();
    server.set(
        "/in-dads-shoes/broken/",
        Reply::ok(junk).header("Content-Type", "text/html"),
    );
    server.set(
        "/in-dads-shoes/photo.png",
        Reply::ok(vec![0x89, b'P', b'N', b'G']).header("Content-Type", "image/png"),
    );
    server.set("/in-dads-shoes/slow/", Reply::stall(Duration::from_secs(3)));
    server.set(
        "/in-dads-shoes/truncated/",
        Reply::ok("<html><body><div class=\"entry-content\"><p>Soft launch: the campaign began with a walk to the courts and then the connection dro")
            .header("Content-Type", "text/html"),
    );
    server.set(
        "/in-dads-shoes/chrome-only/",
        Reply::ok(format!("<html><body>{FURNITURE}{SIDEBAR}</body></html>")),
    );
    let urls: Vec<String> = [
        "/in-dads-shoes/an-overview/",
        "/in-dads-shoes/missing/",
        "/in-dads-shoes/media/",
        "/in-dads-shoes/broken/",
        "/in-dads-shoes/slow/",
        "/in-dads-shoes/photo.png",
        "/in-dads-shoes/chrome-only/",
        "/in-dads-shoes/truncated/",
    ]
    .iter()
    .map(|p| server.url(p))
    .chain(["not a url".to_owned()])
    .collect();
    let (_d, mut lib) = library();
    let outcomes = docs::add_pages(&mut lib, &fetcher(), &urls, Some("In Dad's Shoes"), now()).expect("add pages");
    let codes: Vec<Option<&str>> = outcomes.iter().map(|o| o.error_code.as_deref()).collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some("http_status"),
            None,
            Some("not_html"),
            Some("timeout"),
            Some("not_html"),
            Some("no_content"),
            None,
            Some("bad_url"),
        ],
        "{outcomes:#?}"
    );
    assert!(outcomes[1].error.as_deref().is_some_and(|e| e.contains("404")));

    // The campaign holds the pages that worked, in the order given.
    let docs_in = lib
        .documents(&DocQuery {
            campaign: Some("in dad's shoes"),
            ..DocQuery::default()
        })
        .expect("docs");
    let urls_in: Vec<&str> = docs_in.iter().map(|d| d.url.as_str()).collect();
    assert_eq!(urls_in, vec![urls[0].as_str(), urls[2].as_str(), urls[7].as_str()]);
    let campaign = DocQuery {
        campaign: Some("in dad's shoes"),
        ..DocQuery::default()
    };
    let w = lib.document_window(&campaign, 1, 5).expect("window");
    let window_urls: Vec<&str> = w.items.iter().map(|d| d.url.as_str()).collect();
    assert_eq!((w.total, window_urls), (3, vec![urls[2].as_str(), urls[7].as_str()]));
    assert_eq!(docs_in[0].title, "An Overview");
    assert!(lib
        .document(docs_in[2].id)
        .expect("truncated")
        .text
        .starts_with("Soft launch"));
    assert!(docs_in
        .iter()
        .all(|d| d.campaign.as_deref() == Some("In Dad's Shoes") && d.kind == DocKind::Page));

    // Main content only: no menus, sidebars, footers, sharing or comments.
    let overview = lib.document(docs_in[0].id).expect("overview");
    assert_eq!(overview.published.as_deref(), Some("2019-06-01T09:00:00Z"));
    assert!(
        overview.text.starts_with("In Dad's Shoes is a campaign"),
        "{}",
        overview.text
    );
    for furniture in [
        "Home",
        "About us",
        "Recent Posts",
        "sidebar",
        "Proudly powered",
        "Share on Twitter",
        "One comment",
        "tracker",
        "color:red",
    ] {
        assert!(
            !overview.text.contains(furniture),
            "{furniture} kept: {}",
            overview.text
        );
        assert!(
            !overview.html.contains(furniture),
            "{furniture} kept: {}",
            overview.html
        );
    }

    // Hostile HTML is defused in what the app shows.
    let media = lib.document(docs_in[1].id).expect("media");
    let html = media.html.to_ascii_lowercase();
    for bad in [
        "onclick",
        "onmouseover",
        "onerror",
        "javascript:",
        "pixel.wp.com",
        "facebook.com/tr",
        "spacer.gif",
        "<script",
        "evil.example",
        "<iframe",
        "<object",
        "<svg",
        "<form",
        "<input",
        "steal",
    ] {
        assert!(!html.contains(bad), "{bad} survived: {html}");
    }
    assert!(html.contains("https://cdn.example/march.jpg"), "{html}");
    assert!(
        html.contains(&format!("href=\"{}\"", server.url("/media/"))),
        "relative links resolved: {html}"
    );
    assert!(html.contains("rel=\"noopener noreferrer"), "{html}");
    assert!(media.text.contains("Fathers walked in their shoes"), "{}", media.text);
}

#[test]
fn adding_a_page_again_updates_it_in_place() {
    let server = Server::start();
    let body = Arc::new(Mutex::new(
        "<p>First version of the press release, with enough words.</p>".to_owned(),
    ));
    {
        let body = body.clone();
        server.route("/press-release/", move |_| {
            Reply::ok(campaign_page("Press Release", &body.lock().expect("lock"))).header("Content-Type", "text/html")
        });
    }
    let (_d, mut lib) = library();
    let f = fetcher();
    let url = vec![server.url("/press-release/")];
    let first = docs::add_pages(&mut lib, &f, &url, None, now()).expect("add");
    let id = first[0].document.as_ref().expect("stored").id;
    assert!(!first[0].existed);
    *body.lock().expect("lock") = "<p>Second version: the press release was corrected.</p>".into();
    let second = docs::add_pages(&mut lib, &f, &url, None, now()).expect("add again");
    assert!(second[0].existed);
    assert_eq!(second[0].document.as_ref().expect("stored").id, id);
    assert_eq!(lib.documents(&DocQuery::default()).expect("docs").len(), 1);
    assert!(lib.document(id).expect("doc").text.contains("Second version"));
    assert_eq!(
        search::search(&lib, "first version", 5).expect("search").len(),
        0,
        "index follows updates"
    );
    assert_eq!(
        search::search(&lib, "corrected", 5).expect("search")[0].kind,
        SearchKind::Page
    );
}

#[test]
fn a_body_larger_than_the_limit_is_refused_without_stopping_the_list() {
    let server = Server::start();
    server.set(
        "/huge/",
        Reply::status(200).with_body(Body::Chunked {
            chunk: vec![b'a'; 64 * 1024],
            count: 64,
        }),
    );
    server.set(
        "/ok/",
        Reply::ok(campaign_page(
            "Speeches",
            "<p>The speeches given on the day, in full.</p>",
        )),
    );
    let small = Fetcher::new(FetchConfig {
        max_bytes: 1024 * 1024,
        timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    })
    .expect("fetcher");
    let (_d, mut lib) = library();
    let out = docs::add_pages(
        &mut lib,
        &small,
        &[server.url("/huge/"), server.url("/ok/")],
        None,
        now(),
    )
    .expect("add");
    assert_eq!(out[0].error_code.as_deref(), Some("too_large"));
    assert!(out[1].document.is_some());
}

// ---------------------------------------------------------------------------------------------
// Collections and tags

fn one_episode(lib: &mut Library) -> earmark_core::model::EpisodeId {
    let (pid, _) = lib
        .add_podcast("https://pod.example/feed", "Voice of the Child", now())
        .expect("podcast");
    let feed = ParsedFeed {
        title: "Voice of the Child".into(),
        items: vec![ParsedItem {
            guid: "ep1".into(),
            title: "Fathers and the family courts".into(),
            ..ParsedItem::default()
        }],
        ..ParsedFeed::default()
    };
    lib.store_feed(pid, &feed, now()).expect("store");
    lib.episodes(None).expect("episodes")[0].id
}

#[test]
fn campaigns_hold_documents_and_episodes_and_tags_attach_to_both() {
    let server = Server::start();
    for (i, name) in ["an-overview", "invitation", "media"].iter().enumerate() {
        server.set(
            &format!("/{name}/"),
            Reply::ok(campaign_page(
                name,
                &format!("<p>Campaign page number {i} with its own words.</p>"),
            )),
        );
    }
    let (_d, mut lib) = library();
    let ep = one_episode(&mut lib);
    let urls: Vec<String> = ["/media/", "/an-overview/", "/invitation/"]
        .iter()
        .map(|p| server.url(p))
        .collect();
    let out = docs::add_pages(&mut lib, &fetcher(), &urls, Some("In Dad's Shoes"), now()).expect("add");
    let ids: Vec<_> = out.iter().map(|o| o.document.as_ref().expect("doc").id).collect();

    let cid = lib
        .collection_ensure("in dad's shoes", CollectionKind::Campaign, now())
        .expect("same campaign");
    lib.collection_add_episode(cid, ep).expect("add episode");
    lib.collection_add_episode(cid, ep).expect("twice is once");
    assert_eq!(
        lib.collection_add_episode(cid, earmark_core::model::EpisodeId(999))
            .map_err(|e| e.code()),
        Err(earmark_core::ErrorCode::NotFound)
    );
    let view = lib.collection_view(cid).expect("view");
    assert_eq!(view.collection.name, "In Dad's Shoes");
    assert_eq!(
        view.documents.iter().map(|d| d.id).collect::<Vec<_>>(),
        ids,
        "order kept"
    );
    assert_eq!(view.episodes.len(), 1);
    let list = lib.collections(Some(CollectionKind::Campaign)).expect("campaigns");
    assert_eq!((list.len(), list[0].document_count, list[0].episode_count), (1, 3, 1));
    let topic = lib
        .collection_ensure("Adoption", CollectionKind::Topic, now())
        .expect("topic");
    lib.collection_add_documents(topic, &[ids[2], ids[0]])
        .expect("add docs");
    assert_eq!(
        lib.collections(Some(CollectionKind::Campaign))
            .expect("campaigns")
            .len(),
        1
    );
    assert_eq!(
        lib.document(ids[0]).expect("doc").collections,
        vec!["Adoption", "In Dad's Shoes"]
    );
    assert!(lib.collection_ensure("   ", CollectionKind::Topic, now()).is_err());
    assert_eq!(
        lib.documents(&DocQuery {
            campaign: Some("No such campaign"),
            ..DocQuery::default()
        })
        .map_err(|e| e.code()),
        Err(earmark_core::ErrorCode::NotFound)
    );

    lib.tag_episode(ep, &["fathers", "Courts", "fathers"]).expect("tag");
    lib.tag_document(ids[0], &["FATHERS", "press"]).expect("tag doc");
    assert_eq!(lib.episode_tags(ep).expect("tags"), vec!["Courts", "fathers"]);
    assert_eq!(
        lib.document_tags(ids[0]).expect("tags"),
        vec!["fathers", "press"],
        "one vocabulary, any case"
    );
    assert_eq!(lib.untag_document(ids[0], &["Press"]).expect("untag"), 1);
    assert_eq!(lib.document(ids[0]).expect("doc").tags, vec!["fathers"]);
    assert_eq!(lib.tags().expect("tags"), vec!["Courts", "fathers", "press"]);
    assert!(lib.tag_episode(ep, &[""]).is_err());
    assert_eq!(
        lib.tag_document(earmark_core::docs::DocumentId(12345), &["x"])
            .map_err(|e| e.code()),
        Err(earmark_core::ErrorCode::NotFound)
    );

    // The app's tag editor: adds and removes in one step, answers with the tags (nobody's change
    // outside a shared archive) and the whole vocabulary.
    use earmark_core::docs::Tagged;
    let view = lib
        .edit_tags(Tagged::Episode(ep), &["custody", "  press  pack "], &["COURTS"])
        .expect("edit");
    let names: Vec<_> = view.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["custody", "fathers", "press pack"]);
    assert!(view.tags.iter().all(|t| t.changed == Changed::default()));
    assert_eq!(view.vocabulary, ["Courts", "custody", "fathers", "press", "press pack"]);
    assert_eq!(lib.tags_view(Tagged::Episode(ep)).expect("view"), view);
    assert_eq!(
        lib.tags_view(Tagged::Episode(earmark_core::model::EpisodeId(9999)))
            .map_err(|e| e.code()),
        Err(earmark_core::ErrorCode::NotFound)
    );
    assert!(lib
        .edit_tags(Tagged::Document(ids[0]), &[&"x".repeat(101)], &[])
        .is_err());
}
