//! The library-wide bookmarks view at 10,000 bookmarks over 500 episodes: all of them (both
//! orders), by tag, by episode, with a text query; and exports of the whole set. Each figure is
//! the median of [`RUNS`] runs after one warm-up. The peer is the floor: a bare
//! `SELECT * FROM bookmarks` through rusqlite in the same run, with no joins and no tags.
//!
//! Run: `cargo bench -p earmark-core --bench bookmarks`. Everything is generated
//! deterministically; nothing touches the network. Peak memory is the process's `VmHWM`
//! (Linux), read at the end.

mod bench_support;

use earmark_test_support::bench::{median, ms, peak_kib};
use earmark_test_support::rng::Rng;
use std::time::Instant;

use earmark_core::bookmarks::{export, BookmarkFilter, BookmarkOrder, NewBookmark};
use earmark_core::library::{Library, DB_FILE};
use earmark_core::{chrono, search};

const PODCASTS: usize = 25;
const EPISODES_PER_PODCAST: usize = 20;
const BOOKMARKS: usize = 10_000;
const TAGS: usize = 40;
const RUNS: usize = 21;
const GOAL_MS: f64 = 50.0;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A measured piece of work that reports a size.
type Job<'a> = Box<dyn Fn() -> Res<usize> + 'a>;

/// Random words for generated bookmarks, from the shared generator (the same data on every machine).
trait Words {
    fn words(&mut self, n: usize) -> String;
}

impl Words for Rng {
    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const WORDS: &[&str] = &[
    "court",
    "family",
    "adoption",
    "guardian",
    "judge",
    "hearing",
    "kinship",
    "care",
    "order",
    "child",
    "voice",
    "story",
    "parent",
    "school",
    "support",
    "social",
    "worker",
    "placement",
    "contact",
    "review",
    "appeal",
    "evidence",
    "report",
    "interview",
    "music",
    "history",
    "science",
    "book",
    "film",
    "garden",
    "river",
    "harbour",
    "lighthouse",
    "volcano",
    "glacier",
    "treaty",
    "empire",
    "harvest",
    "orchard",
    "library",
];

fn time_ms<T>(f: &mut dyn FnMut() -> Res<T>) -> Res<(f64, T)> {
    f()?; // warm-up
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(out);
    }
    Ok((median(times), last.ok_or("no runs")?))
}

fn main() -> Res<()> {
    let tmp = tempfile::tempdir()?;
    let mut lib = Library::open(tmp.path())?;
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);

    let setup = Instant::now();
    let mut episodes = Vec::new();
    bench_support::fill_podcasts(&mut lib, PODCASTS, EPISODES_PER_PODCAST, t0)?;
    episodes.extend(lib.episodes(None)?.into_iter().map(|e| e.id));
    for i in 0..BOOKMARKS {
        let start = rng.below(3500) as f64 + 0.5;
        let end = (rng.below(3) > 0).then(|| start + 1.0 + rng.below(90) as f64);
        let tags = (0..rng.below(4)).map(|_| format!("tag{}", rng.below(TAGS))).collect();
        let new = NewBookmark {
            episode_id: episodes[rng.below(episodes.len())],
            start_secs: start,
            end_secs: end,
            title: rng.words(4),
            note: rng.words(20),
            tags,
        };
        lib.add_bookmark(&new, t0 + chrono::Duration::seconds(i as i64))?;
    }
    let setup_s = setup.elapsed().as_secs_f64();

    let one_episode = episodes[episodes.len() / 2];
    let mut rows: Vec<[String; 5]> = Vec::new();

    // The floor: every bookmark row, no joins, no tags, no ordering.
    let raw = rusqlite::Connection::open(tmp.path().join(DB_FILE))?;
    let (peer, n) = time_ms(&mut || {
        let mut stmt = raw.prepare_cached(
            "SELECT id, episode_id, start_secs, end_secs, title, note, created, updated FROM bookmarks",
        )?;
        let n = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, Option<f64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?
            .count();
        Ok(n)
    })?;

    let cases: Vec<(&str, BookmarkFilter)> = vec![
        ("view: all, newest first", BookmarkFilter::default()),
        (
            "view: all, by episode",
            BookmarkFilter {
                order: BookmarkOrder::Episode,
                ..BookmarkFilter::default()
            },
        ),
        (
            "view: one tag",
            BookmarkFilter {
                tag: Some("TAG7".into()),
                ..BookmarkFilter::default()
            },
        ),
        (
            "view: one episode",
            BookmarkFilter {
                episode_id: Some(one_episode),
                ..BookmarkFilter::default()
            },
        ),
        (
            "view: text query \"court hear\"",
            BookmarkFilter {
                query: Some("court hear".into()),
                ..BookmarkFilter::default()
            },
        ),
        (
            "view: tag + query + dates",
            BookmarkFilter {
                tag: Some("tag3".into()),
                query: Some("family".into()),
                created_from: Some("2023-11-14T23:00:00Z".into()),
                created_to: Some("2023-11-15T00:30:00Z".into()),
                ..BookmarkFilter::default()
            },
        ),
    ];
    for (name, filter) in cases {
        let (m, found) = time_ms(&mut || Ok(lib.bookmarks(&filter)?.len()))?;
        let ratio = if name.contains("all") {
            format!("{:.1}x raw rows", m / peer)
        } else {
            "-".into()
        };
        rows.push([
            format!("{name} ({found} rows)"),
            ms(m),
            format!("< {GOAL_MS:.0} ms"),
            ratio,
            if m < GOAL_MS { "yes" } else { "NO" }.into(),
        ]);
    }
    rows.push([
        format!("peer: bare SELECT of {n} rows"),
        ms(peer),
        "-".into(),
        "-".into(),
        "-".into(),
    ]);
    let (m, hits) = time_ms(&mut || Ok(search::search(&lib, "guardian", 50)?.len()))?;
    rows.push([
        format!("search \"guardian\" ({hits} hits)"),
        ms(m),
        "-".into(),
        "-".into(),
        "-".into(),
    ]);
    let exports: [(&str, Job); 3] = [
        ("export JSON", Box::new(|| Ok(export::to_json(&lib, t0)?.len()))),
        ("export CSV", Box::new(|| Ok(export::to_csv(&lib)?.len()))),
        ("export Markdown", Box::new(|| Ok(export::to_markdown(&lib, t0)?.len()))),
    ];
    for (name, f) in exports {
        let (m, bytes) = time_ms(&mut || f())?;
        rows.push([
            format!("{name} ({} KB)", bytes / 1024),
            ms(m),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }

    let head = ["measure", "median", "goal", "ratio/peer", "met?"].map(str::to_owned);
    let mut w = [0usize; 5];
    for r in std::iter::once(&head).chain(rows.iter()) {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |c: &[String; 5]| {
        println!(
            "| {:<w0$} | {:>w1$} | {:<w2$} | {:<w3$} | {:<w4$} |",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        )
    };
    println!(
        "\n{BOOKMARKS} bookmarks over {} episodes, {TAGS} tags; medians of {RUNS} runs (setup {setup_s:.1} s)\n",
        episodes.len()
    );
    line(&head);
    println!(
        "|{}|",
        w.iter().map(|n| "-".repeat(n + 2)).collect::<Vec<_>>().join("|")
    );
    for r in &rows {
        line(r);
    }
    println!("\npeak memory (VmHWM): {} MiB", peak_kib() / 1024);
    Ok(())
}
