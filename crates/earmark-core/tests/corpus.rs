//! Conformance against a real-world corpus: the test data of gPodder's feed parser, podcastparser
//! (see `tests/corpus/NOTES.md`). Every `NAME.rss` is parsed with the base URL podcastparser used,
//! `file://tests/data/NAME.rss`, and its episodes are compared field by field with `NAME.json`,
//! podcastparser's output: title, guid, link, first enclosure (url, type, size), duration and
//! publication time.
//!
//! Where Earmark differs from podcastparser on purpose, the difference is one of the named
//! [`Difference`]s below, with the reason. Any other mismatch is a bug in `earmark_core::feed`.
//! The test prints a table and fails when the pass rate drops below the floor reached so far.
//!
//! Feeds podcastparser rejects: none of the corpus's feeds is refused by podcastparser (each JSON
//! has an episode list). Feeds it returns without episodes parse to `Ok` here too (`empty`,
//! channel-only feeds, and `no_url`, whose only item has nothing at all and is dropped), except
//! `redirect_new_location`: an `<rss>` with a `<redirect>` and no `<channel>`, which is an error
//! (`FeedError::Malformed`); Earmark does not follow that pre-2005 redirect convention. Earmark
//! keeps the untitled item of `no_title_multi_enclosure` that podcastparser drops (see
//! [`Difference::UntitledKept`]). Documents that are not feeds at all are an error, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earmark_core::feed::{self, ParsedItem};
use serde_json::Value;
use url::Url;

/// A deliberate difference from podcastparser, named in the table by its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Difference {
    /// RSS `<guid>` is `isPermaLink="true"` by default, and podcastparser resolves every such guid
    /// against the feed URL. Earmark keeps the guid verbatim: it is an identity, not an address, and
    /// most real feeds that omit `isPermaLink="false"` carry opaque guids. Resolving them would turn
    /// `episode::x` or a UUID into a made-up URL and change identities whenever the feed moves.
    GuidVerbatim,
    /// podcastparser copies a permalink guid into an empty `link`. Earmark's `link` is only what the
    /// feed calls the episode page (`<link>`, Atom `alternate`): a guid is often not a page at all.
    LinkNotFromGuid,
    /// Identity when an item has no guid: Earmark uses the enclosure URL first, then the link (then a
    /// hash of title and date); podcastparser uses the link first, then the enclosure URL. The
    /// enclosure is what a podcast item is, and it is what earlier Earmark versions stored.
    IdentityFallback,
    /// podcastparser drops items without enclosures when they have no title or identity, and keeps
    /// only media items; Earmark is an archive and keeps text-only items (show notes, announcements)
    /// as episodes without media.
    TextOnlyKept,
    /// podcastparser drops an untitled item with several enclosures and names an untitled item after
    /// its file otherwise. Earmark keeps the item with an empty title (the UI shows a placeholder)
    /// rather than inventing one from a URL.
    UntitledKept,
    /// podcastparser lists every enclosure (and `media:content`) in order and gPodder plays the first.
    /// Earmark keeps one medium per episode: the first audio or video enclosure, so a cover image
    /// listed before the audio does not become the episode.
    EnclosureChoice,
    /// podcastparser reports a missing or malformed MIME type as `application/octet-stream`; Earmark
    /// keeps it absent (the player then sniffs the media).
    MimeAbsent,
    /// The `max_episodes` call argument is a podcastparser API feature; Earmark's parser always
    /// returns the whole feed (an archive keeps everything).
    NoEpisodeLimit,
}

impl Difference {
    const ALL: [Difference; 8] = [
        Difference::GuidVerbatim,
        Difference::LinkNotFromGuid,
        Difference::IdentityFallback,
        Difference::TextOnlyKept,
        Difference::UntitledKept,
        Difference::EnclosureChoice,
        Difference::MimeAbsent,
        Difference::NoEpisodeLimit,
    ];

    /// The word the table prints, and what the difference is.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            Difference::GuidVerbatim => (
                "guid-verbatim",
                "guid kept as written; podcastparser resolves permalink guids against the feed URL",
            ),
            Difference::LinkNotFromGuid => (
                "link-not-from-guid",
                "no <link>: Earmark leaves link empty; podcastparser copies the (permalink) guid there",
            ),
            Difference::IdentityFallback => (
                "identity-fallback",
                "no guid: Earmark's identity is the enclosure URL before the link; podcastparser's is link first",
            ),
            Difference::TextOnlyKept => (
                "text-only-kept",
                "items without (usable) enclosures are kept as text-only episodes; podcastparser drops them",
            ),
            Difference::UntitledKept => (
                "untitled-kept",
                "untitled items keep an empty title; podcastparser names them after the file or drops them",
            ),
            Difference::EnclosureChoice => (
                "enclosure-choice",
                "Earmark keeps the first audio/video enclosure; podcastparser's first may be an image",
            ),
            Difference::MimeAbsent => (
                "mime-absent",
                "missing enclosure type stays absent; podcastparser writes application/octet-stream",
            ),
            Difference::NoEpisodeLimit => (
                "no-episode-limit",
                "Earmark parses every item; podcastparser was called with max_episodes",
            ),
        }
    }
}

/// The floor: what this test reached when written. Raise it when a fix lands; never lower it
/// without listing a new [`Difference`].
///
/// Known failure left (not a deliberate difference): `itunes_xmlns` declares the iTunes namespace
/// as the default namespace of the `<duration>` element itself; the `rss` crate matches elements
/// by prefix, not by namespace, so that duration is not read.
const FLOOR_FIELDS_PASSED: usize = 415;
const FLOOR_FEEDS_PASSED: usize = 69;

#[derive(Debug)]
enum Verdict {
    Same,
    Differs(Difference),
    Fail(String),
}

/// podcastparser's view of one episode, normalised to Earmark's "absent" conventions.
struct Expected {
    title: String,
    guid: String,
    link: Option<String>,
    enclosures: Vec<(String, Option<String>, Option<i64>)>,
    duration: i64,
    published: i64,
}

fn expected(e: &Value) -> Expected {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Expected {
        title: s("title"),
        guid: s("guid"),
        link: Some(s("link")).filter(|l| !l.is_empty()),
        enclosures: e
            .get("enclosures")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["url"].as_str().unwrap_or("").to_owned(),
                            x["mime_type"].as_str().map(str::to_owned),
                            x["file_size"].as_i64().filter(|n| *n > 0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        duration: e.get("total_time").and_then(Value::as_i64).unwrap_or(0),
        published: e.get("published").and_then(Value::as_i64).unwrap_or(0),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/podcastparser")
}

/// The base podcastparser resolved against: the root's `xml:base` if any, else the feed URL.
fn effective_base(text: &str, feed_url: &Url) -> Url {
    let head = &text[..text.len().min(2048)];
    head.find("xml:base=\"")
        .and_then(|i| {
            let rest = &head[i + 10..];
            rest.find('"').map(|j| &rest[..j])
        })
        .and_then(|b| feed_url.join(b).ok())
        .unwrap_or_else(|| feed_url.clone())
}

fn basename_no_ext(url: &str) -> String {
    let last = url.rsplit('/').next().unwrap_or("");
    last.rsplit_once('.').map_or(last, |(b, _)| b).to_owned()
}

struct Row {
    name: String,
    expected_eps: usize,
    our_eps: String,
    passed: usize,
    total: usize,
    differences: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

/// Compares one matched pair; returns (field, verdict) for the eight fields.
fn compare(exp: &Expected, ours: &ParsedItem, base: &Url) -> Vec<(&'static str, Verdict)> {
    let mut v = Vec::new();
    let same = |a: bool, what: String| {
        if a {
            Verdict::Same
        } else {
            Verdict::Fail(what)
        }
    };

    // title
    v.push((
        "title",
        if ours.title == exp.title {
            Verdict::Same
        } else if ours.title.is_empty()
            && exp.enclosures.len() == 1
            && exp.title == basename_no_ext(&exp.enclosures[0].0)
        {
            Verdict::Differs(Difference::UntitledKept)
        } else {
            Verdict::Fail(format!("title {:?} != {:?}", ours.title, exp.title))
        },
    ));

    // guid
    let resolved = base.join(ours.guid.trim()).ok().map(String::from);
    v.push((
        "guid",
        if ours.guid == exp.guid {
            Verdict::Same
        } else if resolved.as_deref() == Some(exp.guid.as_str()) {
            Verdict::Differs(Difference::GuidVerbatim)
        } else if ours.enclosure_url.as_deref() == Some(ours.guid.as_str())
            && ours.link.as_deref() == Some(exp.guid.as_str())
        {
            Verdict::Differs(Difference::IdentityFallback)
        } else {
            Verdict::Fail(format!("guid {:?} != {:?}", ours.guid, exp.guid))
        },
    ));

    // link
    v.push((
        "link",
        if ours.link == exp.link {
            Verdict::Same
        } else if ours.link.is_none() && exp.link.as_deref() == Some(exp.guid.as_str()) {
            Verdict::Differs(Difference::LinkNotFromGuid)
        } else {
            Verdict::Fail(format!("link {:?} != {:?}", ours.link, exp.link))
        },
    ));

    // enclosure: podcastparser's first, or (a documented choice) another of its list.
    let mut choice: Option<Difference> = None;
    let enc = match (exp.enclosures.first(), ours.enclosure_url.as_deref()) {
        (Some(first), Some(u)) if first.0 != u => match exp.enclosures.iter().find(|e| e.0 == u) {
            Some(other) => {
                let is_media = |t: &Option<String>| {
                    t.as_deref()
                        .is_some_and(|t| t.starts_with("audio/") || t.starts_with("video/"))
                };
                if is_media(&other.1) && !is_media(&first.1) {
                    choice = Some(Difference::EnclosureChoice);
                }
                Some(other)
            }
            None => Some(first),
        },
        (e, _) => e,
    };
    let verdict = |ok: bool, what: String| match (ok, choice) {
        (true, Some(d)) => Verdict::Differs(d),
        (ok, _) => same(ok, what),
    };
    match enc {
        None => {
            v.push((
                "enclosure_url",
                same(
                    ours.enclosure_url.is_none(),
                    format!("enclosure {:?}, expected none", ours.enclosure_url),
                ),
            ));
            v.push((
                "mime_type",
                same(ours.enclosure_type.is_none(), "type, expected none".into()),
            ));
            v.push((
                "file_size",
                same(ours.enclosure_length.is_none(), "size, expected none".into()),
            ));
        }
        Some((url, mime, size)) => {
            v.push((
                "enclosure_url",
                verdict(
                    ours.enclosure_url.as_deref() == Some(url.as_str()),
                    format!("enclosure {:?} != {:?}", ours.enclosure_url, url),
                ),
            ));
            let mime_verdict = if ours.enclosure_type == *mime {
                verdict(true, String::new())
            } else if ours.enclosure_type.is_none() && mime.as_deref() == Some("application/octet-stream") {
                Verdict::Differs(Difference::MimeAbsent)
            } else {
                Verdict::Fail(format!("type {:?} != {:?}", ours.enclosure_type, mime))
            };
            v.push(("mime_type", mime_verdict));
            v.push((
                "file_size",
                verdict(
                    ours.enclosure_length == *size,
                    format!("size {:?} != {:?}", ours.enclosure_length, size),
                ),
            ));
        }
    }

    // duration: podcastparser truncates to whole seconds; 0 is unknown.
    let dur = ours.duration_secs.map_or(0, |d| d.trunc() as i64);
    v.push((
        "duration",
        same(
            dur == exp.duration,
            format!("duration {:?} != {}", ours.duration_secs, exp.duration),
        ),
    ));

    // published: unix seconds, 0 is unknown.
    let ts = ours.published.map_or(0, |d| d.timestamp());
    v.push((
        "published",
        same(ts == exp.published, format!("published {ts} != {}", exp.published)),
    ));
    v
}

const FIELDS_PER_EPISODE: usize = 8;

fn check_feed(name: &str, rss: &[u8], json: &Value, params: Option<&Value>) -> Row {
    let feed_url = Url::parse(&format!("file://tests/data/{name}.rss")).expect("base URL");
    let exp_eps: Vec<Expected> = json["episodes"]
        .as_array()
        .map(|a| a.iter().map(expected).collect())
        .unwrap_or_default();
    let mut row = Row {
        name: name.to_owned(),
        expected_eps: exp_eps.len(),
        our_eps: String::new(),
        passed: 0,
        total: exp_eps.len() * FIELDS_PER_EPISODE,
        differences: BTreeMap::new(),
        failures: Vec::new(),
    };
    let parsed = match feed::parse(rss, &feed_url) {
        Ok(p) => p,
        Err(e) => {
            row.our_eps = "error".into();
            if !exp_eps.is_empty() {
                row.failures.push(format!("parse error: {e}"));
            }
            return row;
        }
    };
    row.our_eps = parsed.items.len().to_string();
    let base = effective_base(&String::from_utf8_lossy(rss), &feed_url);

    // Pair podcastparser's episodes (sorted by date) with ours (feed order) by identity.
    let mut used = vec![false; parsed.items.len()];
    for exp in &exp_eps {
        let find = |pred: &dyn Fn(&ParsedItem) -> bool| {
            parsed
                .items
                .iter()
                .enumerate()
                .find(|(i, it)| !used[*i] && pred(it))
                .map(|(i, _)| i)
        };
        let hit = find(&|it| it.guid == exp.guid)
            .or_else(|| find(&|it| base.join(&it.guid).ok().map(String::from).as_ref() == Some(&exp.guid)))
            .or_else(|| {
                find(&|it| {
                    it.enclosure_url.is_some() && exp.enclosures.iter().any(|e| Some(&e.0) == it.enclosure_url.as_ref())
                })
            })
            .or_else(|| find(&|it| it.title == exp.title && !it.title.is_empty()));
        let Some(i) = hit else {
            row.failures
                .push(format!("episode {:?} ({:?}) missing", exp.title, exp.guid));
            continue;
        };
        used[i] = true;
        for (field, verdict) in compare(exp, &parsed.items[i], &base) {
            match verdict {
                Verdict::Same => row.passed += 1,
                Verdict::Differs(d) => {
                    row.passed += 1;
                    *row.differences.entry(d.describe().0).or_default() += 1;
                }
                Verdict::Fail(what) => row.failures.push(format!("{field}: {what}")),
            }
        }
    }
    // Our items podcastparser does not have.
    let limit = params
        .and_then(|p| p.get("max_episodes"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    for (i, it) in parsed.items.iter().enumerate() {
        if used[i] {
            continue;
        }
        let diff = if limit > 0 && exp_eps.len() as u64 == limit {
            Difference::NoEpisodeLimit
        } else if it.enclosure_url.is_none() {
            Difference::TextOnlyKept
        } else if it.title.is_empty() {
            Difference::UntitledKept
        } else {
            row.failures
                .push(format!("extra episode {:?} ({:?})", it.title, it.guid));
            continue;
        };
        *row.differences.entry(diff.describe().0).or_default() += 1;
    }
    row
}

#[test]
fn podcastparser_corpus() {
    let dir = corpus_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "rss").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    assert!(names.len() >= 70, "corpus incomplete: {} feeds", names.len());

    let mut rows = Vec::new();
    for name in &names {
        let rss = std::fs::read(dir.join(format!("{name}.rss"))).expect("rss");
        let json: Value = serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).expect("json"))
            .expect("valid json");
        let params: Option<Value> = std::fs::read(dir.join(format!("{name}.param.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        rows.push(check_feed(name, &rss, &json, params.as_ref()));
    }

    println!(
        "\n{:<42} {:>4} {:>5} {:>7}  {:<4}  differences / failures",
        "feed", "exp", "ours", "fields", "ok"
    );
    let (mut fields_ok, mut fields_all, mut feeds_ok) = (0, 0, 0);
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        let ok = r.failures.is_empty();
        fields_ok += r.passed;
        fields_all += r.total;
        feeds_ok += usize::from(ok);
        for (d, n) in &r.differences {
            *used.entry(d).or_default() += n;
        }
        let notes: Vec<String> = r
            .differences
            .iter()
            .map(|(d, n)| format!("{d}×{n}"))
            .chain(r.failures.iter().map(|f| format!("FAIL {f}")))
            .collect();
        println!(
            "{:<42} {:>4} {:>5} {:>3}/{:<3}  {:<4}  {}",
            r.name,
            r.expected_eps,
            r.our_eps,
            r.passed,
            r.total,
            if ok { "pass" } else { "FAIL" },
            notes.join("; ")
        );
    }
    println!("\ndocumented differences used:");
    for d in Difference::ALL {
        let (name, reason) = d.describe();
        println!("  {:<20} ×{:<3} {}", name, used.get(name).copied().unwrap_or(0), reason);
    }
    println!(
        "\npass rate: {fields_ok}/{fields_all} fields, {feeds_ok}/{} feeds",
        rows.len()
    );

    assert!(
        fields_ok >= FLOOR_FIELDS_PASSED,
        "fields passing fell to {fields_ok} (floor {FLOOR_FIELDS_PASSED})"
    );
    assert!(
        feeds_ok >= FLOOR_FEEDS_PASSED,
        "feeds passing fell to {feeds_ok} (floor {FLOOR_FEEDS_PASSED})"
    );
}

/// Documents that are not feeds are refused with an error, never a panic or a silent empty feed.
#[test]
fn non_feeds_are_errors() {
    let base = Url::parse("file://tests/data/x.rss").expect("url");
    let redirect = std::fs::read(corpus_dir().join("redirect_new_location.rss")).expect("rss");
    assert!(feed::parse(&redirect, &base).is_err(), "channel-less <rss> is an error");
    for doc in [
        &b"<html><body>not a feed</body></html>"[..],
        b"",
        b"   ",
        b"<rss><channel><item><title>unterminated",
    ] {
        assert!(feed::parse(doc, &base).is_err(), "{:?}", String::from_utf8_lossy(doc));
    }
}
