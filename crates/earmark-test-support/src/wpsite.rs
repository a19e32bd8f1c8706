//! A WordPress-like fixture site for tests and the backfill benchmark, served by `http::Server`
//! on 127.0.0.1: a home page (announcing the REST API or not), `/wp-json/wp/v2/{posts,pages,
//! categories,tags,users}` with WordPress's paging (`per_page`, `page`, `X-WP-TotalPages`, 400 past
//! the end), `orderby=modified` and `modified_after`, and `/feed/` paged with `?paged=N` (404 past
//! the end). Everything is generated here; it is mounted on a [`crate::http::Server`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime};

use crate::http::{Reply, Request, Server};

/// One post or page of the fixture site.
#[derive(Debug, Clone)]
pub struct WpPost {
    pub id: i64,
    pub title: String,
    pub slug: String,
    /// Unix seconds.
    pub date: i64,
    /// Unix seconds.
    pub modified: i64,
    pub categories: Vec<i64>,
    pub tags: Vec<i64>,
    pub author: i64,
    pub body: String,
    pub is_page: bool,
}

/// The whole site; tests change it between fetches.
#[derive(Debug, Clone)]
pub struct WpSite {
    pub name: String,
    pub posts: Vec<WpPost>,
    pub categories: Vec<(i64, String)>,
    pub tags: Vec<(i64, String)>,
    pub users: Vec<(i64, String)>,
    /// Announce and serve the REST API.
    pub rest: bool,
    /// Answer 401 on `/users` (as many real sites do).
    pub hide_users: bool,
    /// Items per RSS page.
    pub rss_per_page: usize,
}

pub type Shared = Arc<Mutex<WpSite>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, WpSite> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Words for generated bodies.
const WORDS: &[&str] = &[
    "family",
    "court",
    "children",
    "adoption",
    "reform",
    "father",
    "mother",
    "judge",
    "hearing",
    "report",
    "social",
    "worker",
    "campaign",
    "shoes",
    "voice",
    "child",
    "evidence",
    "policy",
    "parliament",
    "review",
    "care",
    "order",
    "justice",
    "transparency",
    "guardian",
    "welfare",
    "contact",
    "custody",
    "research",
    "press",
];

/// A site with `n_posts` posts and `n_pages` pages, dated one day apart from 2015-01-01.
pub fn generate(n_posts: usize, n_pages: usize, words_per_post: usize) -> WpSite {
    let start = 1_420_070_400; // 2015-01-01
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut posts = Vec::with_capacity(n_posts + n_pages);
    for i in 0..(n_posts + n_pages) {
        let is_page = i >= n_posts;
        let id = i as i64 + 1;
        let mut body = String::new();
        for p in 0..(words_per_post / 40).max(1) {
            body.push_str("<p>");
            for w in 0..40.min(words_per_post) {
                if w > 0 {
                    body.push(' ');
                }
                body.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
            }
            let _ = writeln!(body, " (part {p} of item {id}).</p>");
        }
        let date = start + i as i64 * 86_400;
        posts.push(WpPost {
            id,
            title: if is_page {
                format!("Page {id} &amp; more")
            } else {
                format!("Post number {id}")
            },
            slug: if is_page {
                format!("page-{id}")
            } else {
                format!("{}/post-{id}", 2015 + i / 365)
            },
            date,
            modified: date + 3600,
            categories: if is_page { vec![] } else { vec![1 + (i as i64 % 3)] },
            tags: if is_page { vec![] } else { vec![10 + (i as i64 % 5), 20] },
            author: 1,
            body,
            is_page,
        });
    }
    WpSite {
        name: "Researching Reform".into(),
        posts,
        categories: vec![
            (1, "Family Courts".into()),
            (2, "Adoption &amp; Care".into()),
            (3, "Campaigns".into()),
        ],
        tags: (10..15)
            .map(|i| (i, format!("tag-{i}")))
            .chain([(20, "voice of the child".into())])
            .collect(),
        users: vec![(1, "Natasha".into())],
        rest: true,
        hide_users: false,
        rss_per_page: 10,
    }
}

/// Percent-decoded query parameters.
pub fn query(req: &Request) -> HashMap<String, String> {
    let q = req.target.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn wp_time(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn item_json(base: &str, p: &WpPost) -> String {
    format!(
        r#"{{"id":{},"date":{},"date_gmt":{},"modified":{},"modified_gmt":{},"slug":{},"status":"publish","type":{},"link":{},"title":{{"rendered":{}}},"content":{{"rendered":{},"protected":false}},"excerpt":{{"rendered":""}},"author":{},"categories":{:?},"tags":{:?}}}"#,
        p.id,
        json_str(&wp_time(p.date)),
        json_str(&wp_time(p.date)),
        json_str(&wp_time(p.modified)),
        json_str(&wp_time(p.modified)),
        json_str(&p.slug),
        json_str(if p.is_page { "page" } else { "post" }),
        json_str(&format!("{base}/{}/", p.slug)),
        json_str(&p.title),
        json_str(&p.body),
        p.author,
        p.categories,
        p.tags,
    )
}

fn list_reply(site: &Shared, base: &str, req: &Request, pages: bool) -> Reply {
    let q = query(req);
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let after = q
        .get("modified_after")
        .and_then(|v| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").ok())
        .map(|n| n.and_utc().timestamp());
    let s = lock(site);
    let mut items: Vec<&WpPost> = s
        .posts
        .iter()
        .filter(|p| p.is_page == pages && after.is_none_or(|a| p.modified > a))
        .collect();
    if q.get("orderby").map(String::as_str) == Some("modified") {
        items.sort_by_key(|p| std::cmp::Reverse((p.modified, p.id)));
    } else {
        items.sort_by_key(|p| std::cmp::Reverse((p.date, p.id)));
    }
    let total = items.len();
    let total_pages = total.div_ceil(per_page).max(1);
    if page > total_pages {
        return Reply::status(400)
            .header("Content-Type", "application/json")
            .body(r#"{"code":"rest_post_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}}"#);
    }
    let mut body = String::from("[");
    for (i, p) in items.iter().skip((page - 1) * per_page).take(per_page).enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&item_json(base, p));
    }
    body.push(']');
    Reply::ok(body)
        .header("Content-Type", "application/json; charset=UTF-8")
        .header("X-WP-Total", &total.to_string())
        .header("X-WP-TotalPages", &total_pages.to_string())
}

fn terms_reply(terms: &[(i64, String)], req: &Request) -> Reply {
    let q = query(req);
    let include: Vec<i64> = q
        .get("include")
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_default();
    let body = terms
        .iter()
        .filter(|(id, _)| include.is_empty() || include.contains(id))
        .map(|(id, name)| format!(r#"{{"id":{id},"name":{},"slug":"s{id}"}}"#, json_str(name)))
        .collect::<Vec<_>>()
        .join(",");
    Reply::ok(format!("[{body}]")).header("Content-Type", "application/json")
}

fn rss_reply(site: &Shared, base: &str, req: &Request) -> Reply {
    let q = query(req);
    let page: usize = q.get("paged").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let s = lock(site);
    let mut items: Vec<&WpPost> = s.posts.iter().filter(|p| !p.is_page).collect();
    items.sort_by_key(|p| std::cmp::Reverse((p.date, p.id)));
    let chunk: Vec<&&WpPost> = items
        .iter()
        .skip((page - 1) * s.rss_per_page)
        .take(s.rss_per_page)
        .collect();
    if chunk.is_empty() {
        return Reply::status(404).body("<html><body>Page not found</body></html>");
    }
    let mut body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>{}</title><link>{base}/</link><description>blog</description>"#,
        s.name
    );
    for p in chunk {
        let date = DateTime::from_timestamp(p.date, 0).unwrap_or_default().to_rfc2822();
        let cats: String = p
            .categories
            .iter()
            .filter_map(|c| s.categories.iter().find(|(id, _)| id == c))
            .map(|(_, n)| format!("<category><![CDATA[{n}]]></category>"))
            .collect();
        let _ = write!(
            body,
            "<item><title>{}</title><link>{base}/{}/</link><guid isPermaLink=\"false\">{base}/?p={}</guid><pubDate>{date}</pubDate><dc:creator><![CDATA[Natasha]]></dc:creator>{cats}<content:encoded><![CDATA[{}]]></content:encoded></item>",
            p.title, p.slug, p.id, p.body
        );
    }
    body.push_str("</channel></rss>");
    Reply::rss(body)
}

fn home_reply(site: &Shared, base: &str) -> Reply {
    let s = lock(site);
    let api = if s.rest {
        format!(r#"<link rel="https://api.w.org/" href="{base}/wp-json/" />"#)
    } else {
        String::new()
    };
    Reply::ok(format!(
        r#"<!doctype html><html><head><title>{}</title><link rel="alternate" type="application/rss+xml" title="Feed" href="{base}/feed/">
        <link rel="alternate" type="application/rss+xml" title="Comments Feed" href="{base}/comments/feed/">{api}</head>
        <body><nav>menu</nav><main><p>Latest posts</p></main></body></html>"#,
        s.name
    ))
    .header("Content-Type", "text/html; charset=UTF-8")
}

/// Serves `site` on `server` at its root.
pub fn mount(server: &Server, site: Shared) {
    let base = server.base();
    {
        let (site, base) = (site.clone(), base.clone());
        server.route("/", move |_| home_reply(&site, &base));
    }
    {
        let site = site.clone();
        server.route("/wp-json/", move |_| {
            if lock(&site).rest {
                Reply::ok(r#"{"name":"Blog","namespaces":["oembed/1.0","wp/v2"],"routes":{}}"#)
                    .header("Content-Type", "application/json")
            } else {
                Reply::status(404)
            }
        });
    }
    for (path, pages) in [("/wp-json/wp/v2/posts", false), ("/wp-json/wp/v2/pages", true)] {
        let (site, base) = (site.clone(), base.clone());
        server.route(path, move |req| {
            if !lock(&site).rest {
                return Reply::status(404);
            }
            list_reply(&site, &base, req, pages)
        });
    }
    {
        let site = site.clone();
        server.route("/wp-json/wp/v2/categories", move |req| {
            terms_reply(&lock(&site).categories, req)
        });
    }
    {
        let site = site.clone();
        server.route("/wp-json/wp/v2/tags", move |req| terms_reply(&lock(&site).tags, req));
    }
    {
        let site = site.clone();
        server.route("/wp-json/wp/v2/users", move |req| {
            let s = lock(&site);
            if s.hide_users {
                Reply::status(401).body(r#"{"code":"rest_user_cannot_view"}"#)
            } else {
                terms_reply(&s.users, req)
            }
        });
    }
    {
        let (site, base) = (site.clone(), base.clone());
        server.route("/feed/", move |req| rss_reply(&site, &base, req));
    }
}
