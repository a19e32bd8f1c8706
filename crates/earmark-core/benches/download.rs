//! Download benchmarks (issue #4), printed as a table:
//! - loopback throughput of a 200 MB file, ours against `curl` in the same run (goal ≥ 0.9x);
//! - peak memory while downloading 200 MB and 1 GB, above idle (goal < 50 MB, flat in size),
//!   each in a child process of this binary so `VmHWM` belongs to that download alone;
//! - 20 downloads at once through the download manager: total throughput and progress events
//!   per second per item (goal ≤ ~10).
//!
//! The files are served by `python3 -m http.server` bound to 127.0.0.1, a separate process, so
//! the server's memory is not counted against ours. Run: `cargo bench -p earmark-core --bench download`.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

use earmark_test_support::bench::{median, peak_kib};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use earmark_core::download::queue::{DownloadEvent, DownloadQueue};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::DownloadState;

const MB: u64 = 1024 * 1024;
const RUNS: usize = 3;

fn main() {
    if let Ok(spec) = std::env::var("EARMARK_BENCH_CHILD") {
        child(&spec);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).expect("mkdir");
    write_file(&www.join("200m.bin"), 200 * MB);
    write_file(&www.join("1g.bin"), 1024 * MB);
    for i in 0..20 {
        write_file(&www.join(format!("c{i}.bin")), 20 * MB);
    }
    let (mut server, base) = serve(&www);

    // Throughput against curl, alternating so neither gets a warmer cache.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let fetcher = Fetcher::with_timeout(Duration::from_secs(60)).expect("client");
    let url = url::Url::parse(&format!("{base}/200m.bin")).expect("url");
    let (mut ours, mut curl) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let dest = out.join(format!("ours-{run}.bin"));
        let t = Instant::now();
        fetcher
            .download(&url, &dest, &mut |_, _| {}, &AtomicBool::new(false))
            .expect("download");
        ours.push(t.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(&dest);
        let dest = out.join(format!("curl-{run}.bin"));
        let t = Instant::now();
        let ok = Command::new("curl")
            .args(["-s", "-o"])
            .arg(&dest)
            .arg(url.as_str())
            .status()
            .expect("curl (install curl to compare)")
            .success();
        assert!(ok, "curl failed");
        curl.push(t.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(&dest);
    }
    let (ours_s, curl_s) = (median(ours), median(curl));
    let mbps = |s: f64| 200.0 / s;

    // Peak memory in child processes.
    let mem_200 = child_run(&format!("{base}/200m.bin"), &out.join("m200.bin"));
    let mem_1g = child_run(&format!("{base}/1g.bin"), &out.join("m1g.bin"));

    // Twenty at once through the manager.
    let lib_dir = dir.path().join("lib");
    let ids = library_with(&lib_dir, &base, 20);
    let events: Arc<Mutex<Vec<(Instant, DownloadEvent)>>> = Arc::default();
    let sink = Arc::clone(&events);
    let queue = DownloadQueue::start(lib_dir, fetcher.clone(), 20, Arc::new(chrono::Utc::now), move |e| {
        sink.lock().expect("events").push((Instant::now(), e));
    })
    .expect("queue");
    let t = Instant::now();
    queue.enqueue(&ids).expect("enqueue");
    queue.wait_idle();
    let many_s = t.elapsed().as_secs_f64();
    drop(queue);
    let events = events.lock().expect("events");
    let done = events
        .iter()
        .filter(|(_, e)| e.status.state == DownloadState::Done)
        .count();
    let mut worst_rate: f64 = 0.0;
    for id in &ids {
        // Progress reports only (the state change that starts a transfer is not one), as intervals
        // between consecutive reports: n reports span n - 1 intervals.
        let mine: Vec<&Instant> = events
            .iter()
            .filter(|(_, e)| {
                e.status.episode_id == *id && e.status.state == DownloadState::Downloading && e.status.bytes > 0
            })
            .map(|(t, _)| t)
            .collect();
        if let (Some(first), Some(last)) = (mine.first(), mine.last()) {
            if mine.len() > 1 {
                let span = last.duration_since(**first).as_secs_f64();
                worst_rate = worst_rate.max((mine.len() - 1) as f64 / span.max(1e-3));
            }
        }
    }

    let _ = server.kill();
    let _ = server.wait();

    println!("download benchmarks (loopback, python3 http.server; medians of {RUNS})");
    println!("{:<44} {:>12} {:>12} {:>8}", "measure", "earmark", "peer", "ratio");
    println!(
        "{:<44} {:>9.0} MB/s {:>9.0} MB/s {:>7.2}x",
        "200 MB throughput (peer: curl)",
        mbps(ours_s),
        mbps(curl_s),
        curl_s / ours_s
    );
    println!(
        "{:<44} {:>9.1} MB {:>12} {:>8}",
        "peak memory above idle, 200 MB file",
        mem_200.1 - mem_200.0,
        "",
        ""
    );
    println!(
        "{:<44} {:>9.1} MB {:>12} {:>8}",
        "peak memory above idle, 1 GB file",
        mem_1g.1 - mem_1g.0,
        "",
        ""
    );
    println!(
        "{:<44} {:>9.0} MB/s {:>12} {:>8}",
        format!("20 at once x 20 MB ({done} done), total"),
        400.0 / many_s,
        "",
        ""
    );
    println!(
        "{:<44} {:>10.1}/s {:>12} {:>8}",
        "progress events per item, worst item", worst_rate, "", ""
    );
    println!(
        "(idle RSS peak {:.1} MB; goal: memory < 50 MB above idle, events <= ~10/s)",
        mem_1g.0
    );
}

/// A file of `len` bytes of a cheap pattern (not zeros, so nothing along the way can shortcut).
fn write_file(path: &Path, len: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == len) {
        return;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let block: Vec<u8> = (0..MB).map(|i| (i % 251) as u8).collect();
    for _ in 0..len / MB {
        f.write_all(&block).expect("write");
    }
    f.flush().expect("flush");
}

fn serve(dir: &Path) -> (Child, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string()])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// (idle peak MB, peak MB after the download) from a child process.
fn child_run(url: &str, dest: &Path) -> (f64, f64) {
    let exe = std::env::current_exe().expect("exe");
    let out = Command::new(exe)
        .env("EARMARK_BENCH_CHILD", format!("{url}\n{}", dest.display()))
        .output()
        .expect("child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<f64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let _ = std::fs::remove_file(dest);
    (nums[0] / 1024.0, nums[1] / 1024.0)
}

fn child(spec: &str) {
    let (url, dest) = spec.split_once('\n').expect("spec");
    let fetcher = Fetcher::with_timeout(Duration::from_secs(120)).expect("client");
    let url = url::Url::parse(url).expect("url");
    let idle = peak_kib() as f64;
    fetcher
        .download(&url, &PathBuf::from(dest), &mut |_, _| {}, &AtomicBool::new(false))
        .expect("download");
    println!("{idle} {}", peak_kib() as f64);
}

/// A scratch library with `n` episodes whose media are `c{i}.bin` on the server.
fn library_with(dir: &Path, base: &str, n: usize) -> Vec<earmark_core::model::EpisodeId> {
    let mut items = String::new();
    for i in 0..n {
        items.push_str(&format!(
            "<item><guid>c{i}</guid><title>Episode {i}</title><enclosure url=\"{base}/c{i}.bin\" type=\"audio/mpeg\" length=\"0\"/></item>"
        ));
    }
    let feed = dir.with_extension("xml");
    std::fs::write(
        &feed,
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bench</title>{items}</channel></rss>"),
    )
    .expect("feed");
    let mut lib = earmark_core::Library::open(dir).expect("library");
    let fetcher = Fetcher::new(FetchConfig::default()).expect("client");
    let resolver = earmark_core::resolve::Resolver::new(fetcher, url::Url::parse(base).expect("base"));
    earmark_core::resolve::subscribe(
        &mut lib,
        &resolver,
        &feed.display().to_string(),
        earmark_core::chrono::Utc::now(),
    )
    .expect("subscribe");
    lib.episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| e.id)
        .collect()
}
