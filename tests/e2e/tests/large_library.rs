//! The demo archive from `media/` and a 50,000-episode library in the real window: the cover art
//! of a local feed shows, the list renders only the rows in view, and scrolling to the far end
//! works. Timings are printed, not asserted (benchmarks live in benches).

use std::time::{Duration, Instant};

use earmark_e2e::window::{click_and_wait, js, launch, shot, wait_js};
use earmark_e2e::{click, workspace_root, FixtureServer};
use fantoccini::Locator;

const EPISODES: usize = 50_000;

fn big_feed() -> Vec<u8> {
    let mut s = String::with_capacity(EPISODES * 260);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Fifty Thousand</title><link>http://127.0.0.1/</link><description>Many episodes.</description>");
    for i in 0..EPISODES {
        // Newest first, one hour apart.
        let ts = 1_790_000_000 - (i as i64) * 3600;
        let date = earmark_date(ts);
        s.push_str(&format!(
            "<item><title>Episode number {n}</title><guid>big-{n}</guid><pubDate>{date}</pubDate><enclosure url=\"/a/{n}.mp3\" length=\"1000\" type=\"audio/mpeg\"/><description>Notes for episode {n}.</description></item>",
            n = EPISODES - i
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

/// RFC 2822 date for a unix time, without pulling a date crate into the test crate.
fn earmark_date(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{d:02} {} {y} {:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn cli(library: &std::path::Path, args: &[&str]) {
    let bin = workspace_root().join("target/debug/earmark-cli");
    assert!(bin.exists(), "build earmark-cli first: cargo build -p earmark-cli");
    let out = earmark_e2e::cli(library).args(args).output().expect("run earmark-cli");
    assert!(
        out.status.success(),
        "earmark-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_archive_and_fifty_thousand_episodes() {
    let library = tempfile::tempdir().expect("tempdir");
    let server = FixtureServer::start(vec![("/big.xml".into(), "application/rss+xml", big_feed())]);
    let demo = workspace_root().join("media/demo-feed.xml");
    cli(library.path(), &["subscribe", demo.to_str().expect("utf-8 path")]);
    let started = Instant::now();
    cli(library.path(), &["subscribe", &format!("{}/big.xml", server.base)]);
    eprintln!(
        "CLI ingest of {EPISODES} episodes (debug build): {:?}",
        started.elapsed()
    );

    let (client, _window) = launch(&[("EARMARK_LIBRARY", library.path())]).await;

    // The demo podcast, its local cover art (served through the cover: scheme), an episode's notes.
    wait_js(
        &client,
        "return document.querySelectorAll('#podcast-list .podcast[data-id]').length === 2;",
        "two podcasts",
    )
    .await;
    // The sidebar may be drawn again between finding the button and clicking it (counts
    // arriving): `click` finds it afresh when that happens.
    click(
        &client,
        Locator::XPath("//button[contains(@class,'podcast')][.//span[text()='Earmark Demo Archive']]"),
    )
    .await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 3;",
        "three demo episodes",
    )
    .await;
    wait_js(
        &client,
        "const i = document.querySelector('#podcast-list img.cover'); return !!i && i.complete && i.naturalWidth > 0;",
        "the local cover image to load",
    )
    .await;
    click(
        &client,
        Locator::XPath("//div[contains(@class,'row-title')][text()=\"Episode 2: In Dad's Shoes\"]"),
    )
    .await;
    wait_js(
        &client,
        "const h = document.getElementById('detail-title'); return !!h && h.textContent.includes('In Dad');",
        "episode page",
    )
    .await;
    // Let any slower, older request land: it must not replace what the user chose.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        js(&client, "return document.getElementById('list-count').textContent;").await,
        serde_json::json!("3 episodes")
    );
    assert_eq!(
        js(&client, "return document.getElementById('list-title').textContent;").await,
        serde_json::json!("Earmark Demo Archive")
    );
    wait_js(
        &client,
        "const h = document.getElementById('detail-title'); return !!h && h.textContent.includes('In Dad');",
        "episode page to stay",
    )
    .await;
    shot(&client, "10-demo-archive").await;

    // All 50,003 episodes: only the rows in view exist in the page.
    let t = Instant::now();
    click_and_wait(
        &client,
        "#podcast-list .podcast.all",
        "return document.getElementById('list-count').textContent.replace(/\\D/g, '') === '50003';",
        "50,003 episodes listed",
    )
    .await;
    eprintln!("listing 50,003 episodes in the window: {:?}", t.elapsed());
    let rows = js(&client, "return document.querySelectorAll('.episode-row').length;").await;
    let rows = rows.as_u64().expect("a number");
    assert!(
        rows > 5 && rows < 100,
        "{rows} rows in the DOM for 50,003 episodes: the list is not virtual"
    );

    // Scroll through the list in steps, timing each frame in the page itself.
    let median = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const list = document.getElementById('episode-list');
             const times = []; let step = 0;
             function next() {
               const t0 = performance.now();
               list.scrollTop = (list.scrollHeight - list.clientHeight) * step / 60;
               requestAnimationFrame(() => requestAnimationFrame(() => {
                 times.push(performance.now() - t0);
                 if (++step <= 60) next(); else { times.sort((a, b) => a - b); done(times[Math.floor(times.length / 2)]); }
               }));
             }
             next();",
            vec![],
        )
        .await
        .expect("scroll timing");
    eprintln!("median time for a scroll step to reach the screen (two frames): {median} ms");
    // The list loads by windows: the rows at the end arrive from the library after the scroll.
    wait_js(
        &client,
        "const r = [...document.querySelectorAll('.episode-row .row-title')].map(e => e.textContent); return r[r.length - 1] === 'Episode number 1';",
        "scrolled to the oldest episode",
    )
    .await;
    let rows = js(
        &client,
        "return document.querySelectorAll('#episode-list .row').length;",
    )
    .await;
    let rows = rows.as_u64().expect("a number");
    assert!(rows < 100, "{rows} rows in the DOM at the end of the list");
    shot(&client, "11-fifty-thousand-episodes-scrolled").await;

    client.close().await.expect("close session");
}
