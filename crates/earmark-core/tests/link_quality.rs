//! Quality of automatic linking on the labelled fixture archive (`fixtures/link-archive`, see its
//! NOTES.md): explicit links plus suggestions taken as they are, against the true links.
//! and the realistic blog archive (`fixtures/link-blog`: seed 2 of its generator, generated at
//! test time; the model was fitted on seeds 1, 3, 4 and 5). Prints precision and recall overall, for explicit links and suggestions
//! alone, per kind of evidence and per stated confidence; the goals (issue 16) are explicit links
//! right 99 times in 100 and overall precision 0.95 at recall 0.90.
//!
//! `LINK_ARCHIVE_DIR=/some/dir` runs the blog test on another archive made by the same script
//! (`--seed 1 --out DIR` for the tuning set); `LINK_FEATURES_OUT=file.tsv` also writes every
//! candidate's features with its label, which `fixtures/link-blog/fit.py` fits the model on.

mod link_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use earmark_core::link::{confidence, LinkKind, LinkState, RelinkScope, Tuning, FEATURES};
use earmark_core::Library;
use link_support::{insert_docs, store_feed, t0, Doc};
use serde_json::Value;

fn fixtures(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Precision and recall of one set of links against the truth.
#[derive(Default, Clone, Copy)]
struct Tally {
    right: u32,
    wrong: u32,
}

impl Tally {
    fn add(&mut self, right: bool) {
        if right {
            self.right += 1;
        } else {
            self.wrong += 1;
        }
    }
    fn precision(self) -> f64 {
        let n = self.right + self.wrong;
        if n == 0 {
            1.0
        } else {
            f64::from(self.right) / f64::from(n)
        }
    }
}

/// The figures a quality run gives: overall, by kind, by evidence and by confidence band.
struct Quality {
    precision: f64,
    recall: f64,
    explicit: Tally,
    /// Suggestions stated as right 9 times in 10.
    strongest: Tally,
}

/// Relinks a labelled archive and prints what was right and wrong.
fn measure(src: &Path) -> Quality {
    let truth: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(src.join("truth.json")).expect("truth")).expect("truth.json");
    let (_dir, mut lib, url_of) = fixture_library(src);

    if let Some(out) = std::env::var_os("LINK_FEATURES_OUT") {
        dump_features(&mut lib, &truth, &url_of, Path::new(&out));
    }
    let report = lib.relink(&RelinkScope::All, t0()).expect("relink");
    println!("relink: {report:?}");

    let truth_pairs: BTreeSet<(String, String)> = truth
        .iter()
        .flat_map(|(g, urls)| urls.iter().map(move |u| (g.clone(), u.clone())))
        .collect();
    let mut predicted: BTreeSet<(String, String)> = BTreeSet::new();
    let (mut explicit, mut suggested) = (Tally::default(), Tally::default());
    let mut by_evidence: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_band: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for ep in lib.episodes(None).expect("episodes") {
        for l in lib.episode_links(ep.id).expect("links") {
            assert!(l.state != LinkState::Rejected, "nothing was rejected yet");
            assert!(!l.reasons.is_empty() && !l.evidence.is_empty(), "{l:?}");
            let pair = (ep.guid.clone(), url_of[&l.doc_id.0].clone());
            let right = truth_pairs.contains(&pair);
            match l.kind {
                LinkKind::Explicit => explicit.add(right),
                LinkKind::Suggested => {
                    suggested.add(right);
                    by_band.entry(confidence(l.score)).or_default().add(right);
                }
                LinkKind::Manual => unreachable!("no person linked anything"),
            }
            for e in &l.evidence {
                by_evidence.entry(e.clone()).or_default().add(right);
            }
            if !right {
                println!("  false: {} -> {} {:?} {:?}", ep.title, pair.1, l.score, l.reasons);
            }
            predicted.insert(pair);
        }
    }
    let titles: HashMap<String, String> = lib
        .episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| (e.guid, e.title))
        .collect();
    for missed in truth_pairs.difference(&predicted) {
        println!("  missed: {} -> {}", titles[&missed.0], missed.1);
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
    println!("  overall    precision {precision:.3}  recall {recall:.3}");
    for (name, t) in [("explicit", explicit), ("suggested", suggested)] {
        println!(
            "  {name:<10} precision {:.3}  ({} right, {} wrong)",
            t.precision(),
            t.right,
            t.wrong
        );
    }
    println!("  by evidence (a link counts under each kind it has):");
    for (kind, t) in &by_evidence {
        println!(
            "    {kind:<18} precision {:.3}  ({} right, {} wrong)",
            t.precision(),
            t.right,
            t.wrong
        );
    }
    println!("  suggestions by the confidence they state:");
    for (band, t) in &by_band {
        println!(
            "    {band:<48} {:.3}  ({} right, {} wrong)",
            t.precision(),
            t.right,
            t.wrong
        );
    }
    Quality {
        precision,
        recall,
        explicit,
        strongest: by_band.get(confidence(1.0)).copied().unwrap_or_default(),
    }
}

/// Writes every candidate's features with its label (tab-separated), for fitting the model.
fn dump_features(lib: &mut Library, truth: &BTreeMap<String, Vec<String>>, url_of: &HashMap<i64, String>, out: &Path) {
    use std::io::Write;
    let guid_of: HashMap<i64, String> = lib
        .episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| (e.id.0, e.guid))
        .collect();
    let mut f = std::fs::File::create(out).expect("features file");
    writeln!(f, "label\tepisode\tdoc\t{}", FEATURES.join("\t")).expect("write");
    for c in lib.link_candidates(Tuning::default()).expect("candidates") {
        let guid = &guid_of[&c.episode_id];
        let url = &url_of[&c.doc_id];
        let label = truth.get(guid).is_some_and(|u| u.contains(url));
        let values: Vec<String> = c.values.iter().map(|v| format!("{v:.4}")).collect();
        writeln!(
            f,
            "{}\t{}\t{}\t{}",
            u8::from(label),
            c.episode_id,
            c.doc_id,
            values.join("\t")
        )
        .expect("write");
    }
    println!("features written to {}", out.display());
}

/// The goals: automatically accepted links right at least 99 times in 100, the strongest
/// suggestions (stated as 9 in 10) right at least 9 times in 10, and the overall precision and
/// recall given.
fn assert_goals(q: &Quality, precision: f64, recall: f64) {
    assert!(
        q.explicit.precision() >= 0.99,
        "explicit precision {:.3}",
        q.explicit.precision()
    );
    assert!(
        q.strongest.right + q.strongest.wrong < 10 || q.strongest.precision() >= 0.9,
        "the strongest suggestions were right {:.3} of the time",
        q.strongest.precision()
    );
    assert!(
        q.precision >= precision && q.recall >= recall,
        "precision {:.3}, recall {:.3}",
        q.precision,
        q.recall
    );
}

/// The realistic blog archive, made by its committed script (seed 2, the test set) into this
/// test's own folder: 3 MB of generated text need not live in the repository, and the script's
/// output depends only on the seed.
fn generated_blog() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("link-blog-seed-2");
    let status = std::process::Command::new("python3")
        .arg(fixtures("link-blog").join("generate.py"))
        .args(["--seed", "2", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 (installed by scripts/setup) runs the fixture generator");
    assert!(status.success(), "generate.py failed: {status}");
    out
}

/// Issue 16's goal: precision 0.95 at recall 0.90 on a realistic podcast blog.
#[test]
fn linking_quality_on_the_realistic_blog() {
    let dir = std::env::var_os("LINK_ARCHIVE_DIR").map_or_else(generated_blog, PathBuf::from);
    assert_goals(&measure(&dir), 0.95, 0.90);
}

/// The older, harder fixture (a third of its true links only paraphrase an episode, some months
/// later): held to its own goal of precision 0.9 at recall 0.8.
#[test]
fn linking_quality_on_the_labelled_archive() {
    assert_goals(&measure(&fixtures("link-archive")), 0.90, 0.80);
}

/// The fixture archive in a fresh library, the library's directory, and each document's URL by id.
/// Documents given as whole pages (`"form": "page"`, a WordPress theme around the post) are read
/// the way a page added by URL is: its main content extracted first.
fn fixture_library(src: &Path) -> (tempfile::TempDir, Library, HashMap<i64, String>) {
    let feed = std::fs::read_to_string(src.join("feed.rss")).expect("feed.rss");
    let docs: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(src.join("documents.json")).expect("docs"))
        .expect("documents.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(dir.path()).expect("open");
    store_feed(&mut lib, "https://researchingreform.example/feed/podcast/", &feed);
    let bodies: Vec<String> = docs
        .iter()
        .map(|d| {
            let html = d["html"].as_str().expect("html");
            if d["form"].as_str() == Some("page") {
                let url = url::Url::parse(d["url"].as_str().expect("url")).expect("url");
                earmark_core::docs::page::extract(html, &url)
                    .expect("page extracts")
                    .main_html
            } else {
                html.to_owned()
            }
        })
        .collect();
    let terms = |d: &Value, key: &str| -> String { d.get(key).map_or_else(|| "[]".to_owned(), |v| v.to_string()) };
    let meta: Vec<(String, String)> = docs
        .iter()
        .map(|d| (terms(d, "categories"), terms(d, "tags")))
        .collect();
    let rows: Vec<Doc<'_>> = docs
        .iter()
        .zip(&bodies)
        .zip(&meta)
        .map(|((d, html), (categories, tags))| Doc {
            kind: d["kind"].as_str().expect("kind"),
            title: d["title"].as_str().expect("title"),
            url: d["url"].as_str().expect("url"),
            published: d["published"].as_str(),
            html,
            categories,
            tags,
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
    let (_d1, mut one, _) = fixture_library(&fixtures("link-archive"));
    let (_d3, mut three, _) = fixture_library(&fixtures("link-archive"));
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
