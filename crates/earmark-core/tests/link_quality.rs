//! Quality of automatic linking on the labelled fixture archive (`fixtures/link-archive`, see its
//! NOTES.md): explicit links plus suggestions taken as they are, against the true links.
//! Prints precision and recall; the goal is precision ≥ 0.9 at recall ≥ 0.8.
//!
//! `LINK_ARCHIVE_DIR=/some/dir` runs it on another archive made by the same script with another
//! seed (a held-out check that the tuning was not fitted to this one archive).

mod link_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use earmark_core::link::{LinkKind, LinkState, RelinkScope};
use earmark_core::Library;
use link_support::{insert_docs, store_feed, t0, Doc};
use serde_json::Value;

fn archive_dir() -> PathBuf {
    std::env::var_os("LINK_ARCHIVE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/link-archive"))
}

#[test]
fn linking_quality_on_the_labelled_archive() {
    let src = archive_dir();
    let truth: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(src.join("truth.json")).expect("truth")).expect("truth.json");
    let (_dir, mut lib, url_of) = fixture_library();

    let report = lib.relink(&RelinkScope::All, t0()).expect("relink");
    println!("relink: {report:?}");

    let truth_pairs: BTreeSet<(String, String)> = truth
        .iter()
        .flat_map(|(g, urls)| urls.iter().map(move |u| (g.clone(), u.clone())))
        .collect();
    let mut predicted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut by_kind: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for ep in lib.episodes(None).expect("episodes") {
        for l in lib.episode_links(ep.id).expect("links") {
            assert!(l.state != LinkState::Rejected, "nothing was rejected yet");
            let pair = (ep.guid.clone(), url_of[&l.doc_id.0].clone());
            let kind = match l.kind {
                LinkKind::Explicit => "explicit",
                LinkKind::Suggested => "suggested",
                LinkKind::Manual => "manual",
            };
            let e = by_kind.entry(kind).or_default();
            if truth_pairs.contains(&pair) {
                e.0 += 1;
            } else {
                e.1 += 1;
                println!("  false: {} -> {} {:?} {:?}", ep.title, pair.1, l.score, l.reasons);
            }
            predicted.insert(pair);
        }
    }
    for missed in truth_pairs.difference(&predicted) {
        println!("  missed: {} -> {}", missed.0, missed.1);
    }
    let tp = predicted.intersection(&truth_pairs).count() as f64;
    let precision = if predicted.is_empty() {
        0.0
    } else {
        tp / predicted.len() as f64
    };
    let recall = tp / truth_pairs.len() as f64;
    println!(
        "\nlink quality on {}: {} episodes, {} documents, {} true links",
        src.display(),
        truth.len(),
        url_of.len(),
        truth_pairs.len()
    );
    for (kind, (right, wrong)) in &by_kind {
        println!("  {kind:<9} {right} right, {wrong} wrong");
    }
    println!("  precision {precision:.3}  recall {recall:.3}  (goal: precision >= 0.9 at recall >= 0.8)");
    assert!(
        precision >= 0.9 && recall >= 0.8,
        "precision {precision:.3}, recall {recall:.3}"
    );
}

/// The fixture archive in a fresh library, the library's directory, and each document's URL by id.
fn fixture_library() -> (tempfile::TempDir, Library, HashMap<i64, String>) {
    let src = archive_dir();
    let feed = std::fs::read_to_string(src.join("feed.rss")).expect("feed.rss");
    let docs: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(src.join("documents.json")).expect("docs"))
        .expect("documents.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(dir.path()).expect("open");
    store_feed(&mut lib, "https://researchingreform.example/feed/podcast/", &feed);
    let rows: Vec<Doc<'_>> = docs
        .iter()
        .map(|d| Doc {
            kind: d["kind"].as_str().expect("kind"),
            title: d["title"].as_str().expect("title"),
            url: d["url"].as_str().expect("url"),
            published: d["published"].as_str(),
            html: d["html"].as_str().expect("html"),
        })
        .collect();
    let ids = insert_docs(dir.path(), &rows);
    let url_of = ids.into_iter().zip(rows.iter().map(|d| d.url.to_owned())).collect();
    (dir, lib, url_of)
}

/// Every link of every episode: (episode, document, kind, state, score in thousandths).
fn all_links(lib: &Library) -> Vec<(i64, i64, String, String, i64)> {
    let mut out = Vec::new();
    for ep in lib.episodes(None).expect("episodes") {
        for l in lib.episode_links(ep.id).expect("links") {
            let kind = format!("{:?}", l.kind);
            let state = format!("{:?}", l.state);
            out.push((ep.id.0, l.doc_id.0, kind, state, (l.score * 1000.0).round() as i64));
        }
    }
    out.sort();
    out
}

#[test]
fn parallel_readers_link_exactly_like_one() {
    use earmark_core::link::Tuning;
    let (_d1, mut one, _) = fixture_library();
    let (_d3, mut three, _) = fixture_library();
    let r1 = one
        .relink_tuned(
            &RelinkScope::All,
            Tuning {
                readers: 1,
                ..Tuning::default()
            },
            t0(),
        )
        .expect("relink with one reader");
    let r3 = three
        .relink_tuned(
            &RelinkScope::All,
            Tuning {
                readers: 3,
                ..Tuning::default()
            },
            t0(),
        )
        .expect("relink with three readers");
    assert!(
        r1.episodes > 16,
        "enough episodes for the parallel pass: {}",
        r1.episodes
    );
    assert_eq!((r1.explicit, r1.suggested), (r3.explicit, r3.suggested));
    let links = all_links(&one);
    assert!(!links.is_empty());
    assert_eq!(links, all_links(&three));
    // A second pass over stored vector lengths changes nothing.
    let again = three.relink(&RelinkScope::All, t0()).expect("relink again");
    assert_eq!(
        (again.explicit, again.suggested, again.removed),
        (r3.explicit, r3.suggested, 0)
    );
    assert_eq!(links, all_links(&three));
}
