//! Start-up of the optimised app, as people run it: launch under Xvfb, time to the first list
//! painted (the UI writes the wall-clock time on `data-first-list` once rows, or the empty
//! library, are on screen), the memory of the app and its WebKit processes (PSS from
//! `/proc/*/smaps_rollup`, summed over the app's process tree), and a scroll from the top to the
//! bottom of the list, frame by frame. An empty library and a 100,000-episode one are measured in
//! turn, round by round, beside a bare WebKitGTK page (MiniBrowser showing `ui/public/index.html`)
//! as the floor.
//!
//! `cargo build --release -p earmark -p earmark-cli && cargo bench -p earmark-e2e --bench startup`
//! (`EARMARK_APP_BIN`/`EARMARK_CLI_BIN` pick other binaries; `STARTUP_ROUNDS`, default 5).

use earmark_test_support::bench::median;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use earmark_e2e::window::{js, launch};
use earmark_e2e::{start_xvfb, workspace_root, Proc};

const BIG: usize = 100_000;

fn main() {
    let root = workspace_root();
    let app = env_path("EARMARK_APP_BIN", root.join("target/release/earmark"));
    let cli = env_path("EARMARK_CLI_BIN", root.join("target/release/earmark-cli"));
    for b in [&app, &cli] {
        assert!(
            b.exists(),
            "{} is missing: cargo build --release -p earmark -p earmark-cli",
            b.display()
        );
    }
    // tauri:options in window::launch reads EARMARK_APP_BIN; the CLI helper reads EARMARK_CLI_BIN.
    std::env::set_var("EARMARK_APP_BIN", &app);
    std::env::set_var("EARMARK_CLI_BIN", &cli);
    let rounds: usize = std::env::var("STARTUP_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);

    let empty = tempfile::tempdir().expect("tempdir");
    let big = tempfile::tempdir().expect("tempdir");
    let feed = big.path().join("big-feed.xml");
    std::fs::write(&feed, big_feed(BIG)).expect("write the feed");
    let t = Instant::now();
    let out = earmark_e2e::cli(&big.path().join("lib"))
        .arg("subscribe")
        .arg(&feed)
        .output()
        .expect("run earmark-cli");
    assert!(
        out.status.success(),
        "subscribe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("built a {BIG}-episode library in {:.1} s", t.elapsed().as_secs_f64());
    let big_lib = big.path().join("lib");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut empty_runs = Vec::new();
    let mut big_runs = Vec::new();
    let mut floor = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so a machine growing busier weighs on both alike.
        if round % 2 == 0 {
            empty_runs.push(runtime.block_on(measure(&app, empty.path(), false)));
            big_runs.push(runtime.block_on(measure(&app, &big_lib, true)));
        } else {
            big_runs.push(runtime.block_on(measure(&app, &big_lib, true)));
            empty_runs.push(runtime.block_on(measure(&app, empty.path(), false)));
        }
        floor.push(bare_webkit_pss(&root.join("ui/public/index.html")));
        eprintln!("round {}/{rounds} done", round + 1);
    }

    let med = |v: Vec<f64>| median(v);
    let f_pss = floor.iter().copied().flatten().collect::<Vec<_>>();
    let scrolls: Vec<&Scroll> = big_runs.iter().filter_map(|r| r.scroll.as_ref()).collect();
    let scroll_med = |f: fn(&Scroll) -> f64| med(scrolls.iter().map(|s| f(s)).collect());
    let frames = scrolls.iter().map(|s| s.frames).max().unwrap_or(0);

    println!();
    println!(
        "Start-up of {} ({} rounds, medians; min–max in brackets)",
        app.display(),
        rounds
    );
    println!(
        "{:<44} {:>18} {:>18} {:>12}",
        "measure", "empty library", "100,000 episodes", "difference"
    );
    let spread = |v: &[Run], f: fn(&Run) -> f64| {
        let (lo, hi) = v
            .iter()
            .map(f)
            .fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(x), h.max(x)));
        format!("[{lo:.0}–{hi:.0}]")
    };
    // A row measured in both libraries: medians, spreads and the difference; gives the empty
    // library's median.
    let both = |label: &str, unit: &str, f: fn(&Run) -> f64| {
        let e = med(empty_runs.iter().map(f).collect());
        let b = med(big_runs.iter().map(f).collect());
        let (e_spread, b_spread) = (spread(&empty_runs, f), spread(&big_runs, f));
        println!(
            "{label:<44} {e:>8.0} {e_spread:>9} {b:>8.0} {b_spread:>9} {:>+9.0} {unit}",
            b - e
        );
        e
    };
    // A row only the big library has (its scrolling).
    let big_only = |label: &str, value: f64| println!("{label:<44} {:>18} {value:>8.1} {:>9}", "-", "");
    both("launch to first list painted (ms)", "ms", |r| r.first_list_ms);
    both("  of which before the page began loading", "ms", |r| r.page_start_ms);
    let e_pss = both("PSS, app + WebKit processes (MB)", "MB", |r| r.pss_mb);
    big_only("idle frame, nothing to draw (ms)", scroll_med(|s| s.idle_ms));
    big_only("scroll top to bottom: median frame (ms)", scroll_med(|s| s.median_ms));
    big_only(
        &format!("scroll top to bottom: worst of {frames} frames (ms)"),
        scrolls.iter().map(|s| s.max_ms).fold(0.0, f64::max),
    );
    big_only("scroll: rows at the end arrive after (ms)", scroll_med(|s| s.settle_ms));
    if f_pss.is_empty() {
        println!("bare WebKitGTK page (MiniBrowser): not found, no floor measured");
    } else {
        let f = median(f_pss);
        println!(
            "{:<44} {:>8.0} MB (our app, empty library: {:.2}x)",
            "floor: bare WebKitGTK page, PSS",
            f,
            e_pss / f
        );
    }
}

fn env_path(var: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or(default)
}

/// One launch's figures.
struct Run {
    first_list_ms: f64,
    /// Launch to the webview starting to load our page (`performance.timeOrigin`).
    page_start_ms: f64,
    pss_mb: f64,
    scroll: Option<Scroll>,
}

struct Scroll {
    /// The median frame with nothing to draw (the window's own frame rate under Xvfb).
    idle_ms: f64,
    /// From the last scroll step to the last placeholder row replaced by its episode.
    settle_ms: f64,
    frames: usize,
    median_ms: f64,
    max_ms: f64,
}

async fn measure(app: &Path, library: &Path, scroll: bool) -> Run {
    let (client, guards) = launch(&[("EARMARK_LIBRARY", library)]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let painted: f64 = loop {
        let v = js(&client, "return document.documentElement.dataset.firstList || '';").await;
        if let Some(ms) = v.as_str().and_then(|s| s.parse::<f64>().ok()) {
            break ms;
        }
        assert!(Instant::now() < deadline, "no list painted within 60 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let pid = app_pid(app).expect("the app's process");
    let started = start_epoch_ms(pid);
    let first_list_ms = painted - started;
    // When the webview began loading our page: what comes before is the process and WebKit
    // starting, what comes after is the UI's own start-up.
    let origin = js(&client, "return performance.timeOrigin;")
        .await
        .as_f64()
        .unwrap_or(f64::NAN);
    let page_start_ms = origin - started;
    // Let start-up work settle (covers, counts, the review queue) before reading memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pss_mb = tree_pss_kb(pid) as f64 / 1024.0;
    eprintln!(
        "  {}: first list {first_list_ms:.0} ms (page began loading at {page_start_ms:.0} ms), PSS {pss_mb:.0} MB",
        if scroll { "100,000 episodes" } else { "empty library" }
    );
    let scroll = if scroll && std::env::var_os("STARTUP_NO_SCROLL").is_none() {
        let s = scroll_to_end(&client).await;
        eprintln!(
            "  scroll: {} frames, median {:.1} ms (idle frame {:.1} ms), worst {:.1} ms; rows at the end arrived {:.0} ms after",
            s.frames, s.median_ms, s.idle_ms, s.max_ms, s.settle_ms
        );
        Some(s)
    } else {
        None
    };
    client.close().await.expect("close the session");
    drop(guards);
    Run {
        first_list_ms,
        page_start_ms,
        pss_mb,
        scroll,
    }
}

/// Scrolls the episode list from top to bottom, ten screens per frame (a fling, or a drag of the
/// scroll bar: every frame draws rows it has not drawn before), and times every frame.
async fn scroll_to_end(client: &fantoccini::Client) -> Scroll {
    js(
        client,
        r#"
        const c = document.getElementById('episode-list');
        window.__frames = null;
        c.scrollTop = 0;
        const gaps = [];
        let last = performance.now();
        // First a second of frames with nothing to do: the window's own frame rate, the floor.
        const idle = [];
        let idleLast = performance.now();
        const still = () => {
          const now = performance.now();
          idle.push(now - idleLast);
          idleLast = now;
          if (idle.length < 60) return requestAnimationFrame(still);
          window.__idle = idle.slice(1).sort((a, b) => a - b)[29];
          last = performance.now();
          requestAnimationFrame(step);
        };
        const step = () => {
          const now = performance.now();
          gaps.push(now - last);
          last = now;
          const done = c.scrollTop + c.clientHeight >= c.scrollHeight - 1;
          if (done || gaps.length > 5000) {
            window.__reached = done;
            // The list loads by windows: wait for the rows at the end to replace their placeholders.
            const t = performance.now();
            const settle = () => {
              if (c.querySelector('.row-loading') && performance.now() - t < 10000) return requestAnimationFrame(settle);
              window.__settle = performance.now() - t;
              window.__frames = gaps.slice(1);
            };
            return requestAnimationFrame(settle);
          }
          c.scrollTop += 10 * c.clientHeight;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(still);
        return true;"#,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(300);
    let gaps: Vec<f64> = loop {
        let v = js(client, "return window.__frames;").await;
        if let Some(a) = v.as_array() {
            break a.iter().filter_map(|x| x.as_f64()).collect();
        }
        assert!(Instant::now() < deadline, "the scroll did not reach the end in 300 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!gaps.is_empty(), "the list did not scroll");
    let reached = js(client, "return window.__reached === true;").await;
    assert_eq!(
        reached,
        serde_json::json!(true),
        "the scroll stopped before the end of the list"
    );
    let settle = js(client, "return window.__settle;").await.as_f64().unwrap_or(f64::NAN);
    let idle = js(client, "return window.__idle;").await.as_f64().unwrap_or(f64::NAN);
    // The last row of the list is on screen as an episode, not a placeholder.
    let end = js(
        client,
        "const c = document.getElementById('episode-list');
         const rows = [...c.querySelectorAll('.row')];
         const last = rows.reduce((a, b) => (+b.dataset.index > +a.dataset.index ? b : a));
         return { index: +last.dataset.index, rows: Math.round(c.scrollHeight / last.offsetHeight),
                  episode: last.classList.contains('episode-row'), loading: c.querySelectorAll('.row-loading').length };",
    )
    .await;
    assert_eq!(
        (&end["episode"], &end["loading"], end["index"].as_u64().map(|i| i + 1)),
        (&serde_json::json!(true), &serde_json::json!(0), end["rows"].as_u64()),
        "the rows at the end of the list did not arrive: {end}"
    );
    Scroll {
        idle_ms: idle,
        settle_ms: settle,
        frames: gaps.len(),
        max_ms: gaps.iter().copied().fold(0.0, f64::max),
        median_ms: median(gaps),
    }
}

/// MiniBrowser (WebKitGTK's own test browser) showing `page`: what WebKit alone costs.
fn bare_webkit_pss(page: &Path) -> Option<f64> {
    let browser = glob_minibrowser()?;
    let (display, _xvfb) = start_xvfb();
    let mut cmd = Command::new(&browser);
    // Drawn the way the app draws on this machine: without a GPU render node the app turns
    // WebKit's accelerated compositing off (src-tauri/src/rendering.rs), so the floor does too.
    let gpu = std::fs::read_dir("/dev/dri")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    if !gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        cmd.env("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let child = cmd
        .arg(format!("file://{}", page.display()))
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = child.id();
    let guard = Proc::from(child);
    std::thread::sleep(Duration::from_secs(4));
    let kb = tree_pss_kb(pid);
    drop(guard);
    Some(kb as f64 / 1024.0)
}

fn glob_minibrowser() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib").ok()?.flatten().find_map(|d| {
        let p = d.path().join("webkit2gtk-4.1/MiniBrowser");
        p.exists().then_some(p)
    })
}

/// The newest process whose executable is `app`.
fn app_pid(app: &Path) -> Option<u32> {
    let want = app.canonicalize().ok()?;
    procs()
        .into_iter()
        .filter(|&pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() == Some(want.as_path()))
        .max_by_key(|&pid| stat_field(pid, 22).unwrap_or(0))
}

fn procs() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Field `n` (1-based, as in proc(5)) of `/proc/PID/stat`, counted after the command's name.
fn stat_field(pid: u32, n: usize) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(") ")?.1;
    after.split_whitespace().nth(n - 3)?.parse().ok()
}

/// When the process started, in milliseconds since the epoch (10 ms resolution: clock ticks).
fn start_epoch_ms(pid: u32) -> f64 {
    // The process's start is counted in clock ticks since boot. It is placed on the wall clock
    // (which the page's marks use) through the time since boot read now, beside the wall clock:
    // exact to a tick. `btime` in /proc/stat would do it in one step, but it is whole seconds, so
    // every launch looked up to a second slower than it was (470 ms on our reference machine).
    let ticks = stat_field(pid, 22).expect("starttime") as f64;
    let hz = 100.0; // USER_HZ on Linux
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/uptime");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(f64::NAN);
    now_ms - (uptime - ticks / hz) * 1000.0
}

/// PSS of `pid` and all its descendants, in kB.
fn tree_pss_kb(pid: u32) -> u64 {
    let all = procs();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = u64::from(tree[i]);
        tree.extend(all.iter().copied().filter(|&p| stat_field(p, 4) == Some(parent)));
        i += 1;
    }
    tree.iter()
        .filter_map(|p| {
            let s = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            s.lines().find_map(|l| {
                l.strip_prefix("Pss:")?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        })
        .sum()
}

/// A feed of `n` episodes, newest first, one hour apart.
fn big_feed(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 240);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>One Hundred Thousand</title><link>http://127.0.0.1/</link><description>Many episodes.</description>");
    for i in 0..n {
        let day = 1 + i % 28;
        let hour = i % 24;
        let year = 2026 - (i / (28 * 24 * 12)) as i64;
        let month = [
            "Dec", "Nov", "Oct", "Sep", "Aug", "Jul", "Jun", "May", "Apr", "Mar", "Feb", "Jan",
        ][(i / (28 * 24)) % 12];
        s.push_str(&format!(
            "<item><title>Episode number {k}</title><guid>big-{k}</guid><pubDate>{day:02} {month} {year} {hour:02}:00:00 +0000</pubDate><enclosure url=\"http://127.0.0.1:9/a/{k}.mp3\" length=\"1000\" type=\"audio/mpeg\"/><description>Notes for episode {k}.</description></item>",
            k = n - i
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}
