//! Backfill of a 5,000-post WordPress site through its REST API (100 posts a request) from a
//! local fixture server, printed as a table: total time and peak memory, each the median of
//! [`RUNS`] child processes of this binary (so each `VmHWM` belongs to one backfill alone; the
//! fixture server runs in the parent). Also: a refresh when nothing changed.
//!
//! Run: `cargo bench -p earmark-core --bench backfill`. Nothing leaves 127.0.0.1.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

use earmark_test_support::bench::{median, ms, peak_kib, Table};
use earmark_test_support::http;
use earmark_test_support::wpsite;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use earmark_core::docs::{self, DocQuery};
use earmark_core::fetch::Fetcher;
use earmark_core::{chrono, Library};

const RUNS: usize = 5;
const POSTS: usize = 5_000;
const PAGES: usize = 20;
const WORDS_PER_POST: usize = 400;
const CHILD_FLAG: &str = "--earmark-child";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        return child(&args[i + 1]);
    }
    let started = Instant::now();
    let server = http::Server::start();
    wpsite::mount(
        &server,
        Arc::new(Mutex::new(wpsite::generate(POSTS, PAGES, WORDS_PER_POST))),
    );
    let home = server.url("/");

    let exe = std::env::current_exe()?;
    let (mut total, mut refresh, mut peak) = (vec![], vec![], vec![]);
    let mut requests = 0.0;
    for _ in 0..RUNS {
        let out = Command::new(&exe).arg(CHILD_FLAG).arg(&home).output()?;
        if !out.status.success() {
            return Err(format!("child failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let text = String::from_utf8(out.stdout)?;
        let f: Vec<f64> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if f.len() != 5 || f[3] as usize != POSTS + PAGES {
            return Err(format!("child printed {text:?}").into());
        }
        total.push(f[0]);
        refresh.push(f[1]);
        peak.push(f[2]);
        requests = f[4];
    }
    let total_ms = median(total);
    let per_doc_us = total_ms * 1000.0 / (POSTS + PAGES) as f64;
    let mut t = Table::new(&["measure", "median", "note"]);
    t.push(vec![
        format!("backfill {POSTS} posts + {PAGES} pages (REST, 100/request)"),
        ms(total_ms),
        format!("{per_doc_us:.0} µs/document, {requests} requests"),
    ]);
    t.push(vec!["  peak memory (VmHWM) of that process".into(), mem(median(peak))]);
    t.push(vec![
        "refresh, nothing changed (modified_after)".into(),
        ms(median(refresh)),
    ]);
    t.print();
    println!(
        "\n({RUNS} runs each; bench wall time {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One backfill in a fresh process: prints `backfill_ms refresh_ms vmhwm_kb documents requests`.
fn child(home: &str) -> Res<()> {
    let dir = tempfile::tempdir()?;
    let mut lib = Library::open(dir.path())?;
    let fetcher = Fetcher::with_timeout(Duration::from_secs(60))?;
    let now = chrono::Utc::now();
    let t0 = Instant::now();
    let report = docs::add_source(&mut lib, &fetcher, home, None, now)?;
    let backfill_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let hwm = peak_kib();
    let t1 = Instant::now();
    let again = docs::refresh_source(&mut lib, &fetcher, report.source.id, now)?;
    let refresh_ms = t1.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(again.new + again.updated, 0);
    let n = lib.documents(&DocQuery::default())?.len();
    println!("{backfill_ms} {refresh_ms} {hwm} {n} {}", report.requests);
    Ok(())
}

fn mem(kb: f64) -> String {
    format!("{:.1} MB", kb / 1024.0)
}
