//! Link benchmarks, printed as a table beside the goals: a full link pass of 2,000 episodes
//! against 20,000 documents, and relinking after one new episode arrives.
//!
//! Run: `cargo bench -p earmark-core --bench link`. The archive is synthetic and deterministic
//! (Zipf-distributed made-up words, a pool of names, a fifth of the posts linking to an episode's
//! audio or page, one in twelve retelling an episode's notes so the linker suggests it), built in a
//! scratch library; nothing touches the network. The full relink is also timed with one reader
//! (no parallelism) in the same run, and the machine's load average is printed. Peak memory is the
//! process's `VmHWM` after the runs (it includes building the archive).

use earmark_test_support::bench::{median, ms, peak_kib, Table};
use earmark_test_support::rng::Rng;
use std::time::Instant;

use earmark_core::feed::{ParsedFeed, ParsedItem};
use earmark_core::library::{Library, DB_FILE};
use earmark_core::link::{RelinkScope, Tuning};
use earmark_core::{chrono, html};

const EPISODES: usize = 2_000;
const DOCUMENTS: usize = 20_000;
const VOCABULARY: usize = 20_000;
const NAMES: usize = 3_000;
const FULL_RUNS: usize = 3;
const ONE_NEW_RUNS: usize = 11;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let started = Instant::now();
    let load_before = loadavg();
    let tmp = tempfile::tempdir()?;
    let mut table = Table::new(&["measure", "median", "goal", "runs", "met?"]);
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).ok_or("time")?;

    let build = Instant::now();
    let mut rng = Rng::new(0x5eed_1234_abcd_0001);
    let words: Vec<String> = (0..VOCABULARY).map(|i| pseudo_word(&mut rng, i)).collect();
    let names: Vec<String> = (0..NAMES)
        .map(|i| {
            let mut first = pseudo_word(&mut rng, i + 7);
            let mut last = pseudo_word(&mut rng, i + 11);
            capitalise(&mut first);
            capitalise(&mut last);
            format!("{first} {last}")
        })
        .collect();
    let mut lib = Library::open(tmp.path())?;
    let (pid, _) = lib.add_podcast("https://bench.example/feed.xml", "", now)?;
    let base_ts = 1_500_000_000i64;
    let items: Vec<ParsedItem> = (0..EPISODES)
        .map(|i| episode(&mut rng, &words, &names, i, base_ts))
        .collect();
    let mut feed = ParsedFeed {
        title: "Bench Show".into(),
        items,
        ..ParsedFeed::default()
    };
    lib.store_feed(pid, &feed, now)?;
    insert_documents(tmp.path(), &mut rng, &words, &names, &feed.items, base_ts)?;
    let build_s = build.elapsed().as_secs_f64();

    // The first pass also reads all 20,000 documents' links into the URL index.
    let t = Instant::now();
    let first = lib.relink(&RelinkScope::All, now)?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    table.push(row(
        &format!("first link pass ({EPISODES} eps x {DOCUMENTS} docs, indexes docs)"),
        first_ms,
        "< 10 s",
        first_ms < 10_000.0,
        1,
    ));
    // Runs alternate between the default (one reader per core) and a single reader, so machine
    // load falls on both alike.
    let mut full = Vec::new();
    let mut full_cpu = Vec::new();
    let mut single = Vec::new();
    let mut last = first.clone();
    let one_reader = Tuning {
        readers: 1,
        ..Tuning::default()
    };
    for _ in 0..FULL_RUNS {
        let (t, c) = (Instant::now(), cpu_s());
        last = lib.relink(&RelinkScope::All, now)?;
        full.push(t.elapsed().as_secs_f64() * 1000.0);
        full_cpu.push((cpu_s() - c) * 1000.0);
        let t = Instant::now();
        lib.relink_tuned(&RelinkScope::All, one_reader, now)?;
        single.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let full_ms = median(full);
    let full_cpu_ms = median(full_cpu);
    let single_ms = median(single);
    table.push(row(
        &format!("full relink ({EPISODES} eps x {DOCUMENTS} docs)"),
        full_ms,
        "< 10 s",
        full_ms < 10_000.0,
        FULL_RUNS,
    ));
    table.push(row(
        "  the same, CPU time of all threads",
        full_cpu_ms,
        "",
        true,
        FULL_RUNS,
    ));
    table.push(row(
        "  the same with one reader (peer)",
        single_ms,
        "< 10 s",
        single_ms < 10_000.0,
        FULL_RUNS,
    ));

    // One new episode arrives (a feed refresh stores it), then only new episodes are relinked.
    let mut one_new = Vec::new();
    let mut one_given = Vec::new();
    for k in 0..ONE_NEW_RUNS {
        let item = episode(&mut rng, &words, &names, EPISODES + k, base_ts);
        feed.items.insert(0, item);
        lib.store_feed(pid, &feed, now)?;
        let t = Instant::now();
        let r = lib.relink(&RelinkScope::New, now)?;
        one_new.push(t.elapsed().as_secs_f64() * 1000.0);
        if r.episodes != 1 {
            return Err(format!("expected one new episode, relinked {}", r.episodes).into());
        }
        let newest = lib.episodes(Some(pid))?.first().map(|e| e.id).ok_or("no episode")?;
        let t = Instant::now();
        lib.relink(&RelinkScope::Episodes(vec![newest]), now)?;
        one_given.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let new_ms = median(one_new);
    table.push(row(
        "relink after one new episode (--new)",
        new_ms,
        "< 100 ms",
        new_ms < 100.0,
        ONE_NEW_RUNS,
    ));
    let given_ms = median(one_given);
    table.push(row(
        "relink one given episode (--episode)",
        given_ms,
        "< 100 ms",
        given_ms < 100.0,
        ONE_NEW_RUNS,
    ));

    table.print();
    println!(
        "\nfirst pass: {} explicit, {} suggested; full relink: {} explicit, {} suggested, {} removed; \
         archive built in {build_s:.1} s; peak memory (VmHWM) {:.0} MB; bench wall time {:.0} s; \
         load average before {load_before}, after {}; cores {}",
        first.explicit,
        first.suggested,
        last.explicit,
        last.suggested,
        last.removed,
        peak_kib() as f64 / 1024.0,
        started.elapsed().as_secs_f64(),
        loadavg(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    Ok(())
}

fn episode(rng: &mut Rng, words: &[String], names: &[String], i: usize, base_ts: i64) -> ParsedItem {
    let guest = &names[rng.below(names.len())];
    let notes = format!("{guest} joins us. {}", text(rng, words, 120));
    let title = format!(
        "{} {} {}",
        words[rng.zipf(words.len())],
        words[rng.zipf(words.len())],
        i
    );
    ParsedItem {
        guid: format!("bench-{i}"),
        title,
        link: Some(format!("https://bench.example/ep/{i}/")),
        published: chrono::DateTime::from_timestamp(base_ts + i as i64 * 86_400, 0),
        enclosure_url: Some(format!("https://media.bench.example/{i}.mp3")),
        enclosure_type: Some("audio/mpeg".into()),
        notes_raw: format!("<p>{notes}</p>"),
        ..ParsedItem::default()
    }
}

fn insert_documents(
    dir: &std::path::Path,
    rng: &mut Rng,
    words: &[String],
    names: &[String],
    episodes: &[ParsedItem],
    base_ts: i64,
) -> Res<()> {
    let mut conn = rusqlite::Connection::open(dir.join(DB_FILE))?;
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO documents (kind, url, title, published_ts, html_raw, text, fetched_at) \
             VALUES ('post', ?1, ?2, ?3, ?4, ?5, 'x')",
        )?;
        for d in 0..DOCUMENTS {
            // One post in twelve discusses an episode without linking to it: it names the guest,
            // retells part of the show notes and appears within a few days. These are what the
            // linker should suggest, so writing suggestions is timed too.
            let (title, ts, body) = if rng.below(12) == 0 {
                let ep = &episodes[rng.below(episodes.len())];
                let plain = html::to_text(&ep.notes_raw);
                let notes: Vec<&str> = plain.split_whitespace().collect();
                // The notes open with the guest's name.
                let guest = notes.iter().take(2).copied().collect::<Vec<_>>().join(" ");
                let mut body = format!("<p>{guest} spoke to us. ");
                for _ in 0..50 {
                    body.push_str(notes[rng.below(notes.len())]);
                    body.push(' ');
                }
                body.push_str(&text(rng, words, 60));
                body.push_str("</p>");
                let title = format!(
                    "{} {}",
                    notes[2 + rng.below(notes.len() - 2)],
                    words[rng.zipf(words.len())]
                );
                let ep_ts = ep.published.map_or(base_ts, |t| t.timestamp());
                let ts = ep_ts + rng.below(4 * 86_400) as i64;
                (title, ts, body)
            } else {
                let mut body = String::new();
                for _ in 0..4 {
                    body.push_str("<p>");
                    if rng.below(3) == 0 {
                        body.push_str(&names[rng.below(names.len())]);
                        body.push_str(" said. ");
                    }
                    body.push_str(&text(rng, words, 60));
                    body.push_str("</p>");
                }
                let ep = rng.below(EPISODES);
                match rng.below(10) {
                    0 => body.push_str(&format!(r#"<a href="https://media.bench.example/{ep}.mp3">mp3</a>"#)),
                    1 => body.push_str(&format!(
                        r#"<a href="https://bench.example/ep/{ep}/?utm_source=x">ep</a>"#
                    )),
                    _ => body.push_str(&format!(r#"<a href="https://elsewhere.example/{d}">more</a>"#)),
                }
                let title = format!("{} {}", words[rng.zipf(words.len())], words[rng.zipf(words.len())]);
                let ts = base_ts + rng.below(EPISODES * 86_400) as i64;
                (title, ts, body)
            };
            stmt.execute(rusqlite::params![
                format!("https://blog.bench.example/{d}/"),
                title,
                ts,
                body,
                html::to_text(&body)
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn text(rng: &mut Rng, words: &[String], n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&words[rng.zipf(words.len())]);
    }
    out.push('.');
    out
}

fn pseudo_word(rng: &mut Rng, i: usize) -> String {
    const SYL: &[&str] = &[
        "ba", "ko", "ri", "mu", "te", "sa", "lo", "ven", "dra", "qui", "pel", "mor", "tis", "gan", "ul", "fe",
    ];
    let mut w = String::new();
    for _ in 0..(2 + rng.below(3)) {
        w.push_str(SYL[rng.below(SYL.len())]);
    }
    w.push_str(&format!("{}", i % 97));
    w.retain(|c| c.is_ascii_alphabetic());
    if w.len() < 4 {
        w.push_str("zed");
    }
    w
}

fn capitalise(s: &mut String) {
    if let Some(f) = s.get(..1) {
        let up = f.to_uppercase();
        s.replace_range(..1, &up);
    }
}

/// Word choices from the shared generator (the same numbers on every machine).
trait Zipf {
    fn zipf(&mut self, n: usize) -> usize;
}

impl Zipf for Rng {
    /// Roughly Zipf: low indexes (common words) far more often than high ones.
    fn zipf(&mut self, n: usize) -> usize {
        let x = (n as f64).powf(self.unit()) - 1.0;
        (x as usize).min(n - 1)
    }
}

fn row(measure: &str, median_ms: f64, goal: &str, met: bool, runs: usize) -> Vec<String> {
    vec![
        measure.to_owned(),
        ms(median_ms),
        goal.to_owned(),
        runs.to_string(),
        match (goal.is_empty(), met) {
            (true, _) => "",
            (false, true) => "yes",
            (false, false) => "NO",
        }
        .to_owned(),
    ]
}

/// The 1, 5 and 15 minute load averages, to judge how busy the machine was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU time (user + system) of the whole process, all threads, in seconds (Linux, 100 ticks/s).
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}
