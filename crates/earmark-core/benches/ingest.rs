//! Ingest, refresh and search benchmarks, printed as one table beside the goals and, for ingest,
//! beside gPodder's podcastparser (Python) parsing the same file in the same run.
//!
//! Run: `cargo bench -p earmark-core --bench ingest`. Everything is generated deterministically;
//! nothing leaves 127.0.0.1. Each ingest figure is the median of [`INGEST_ROUNDS`] child processes of
//! this binary, so each peak-memory figure (`VmHWM`) belongs to that one run alone; the rounds
//! interleave our measures with the peer's runs.
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

use earmark_test_support::bench::{median, ms, peak_kib, Table};
use earmark_test_support::rng::Rng;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use earmark_core::feed::{self, ParsedFeed, ParsedItem};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::library::{FetchMeta, Library, DB_FILE};
use earmark_core::model::RefreshStatus;
use earmark_core::{chrono, refresh, search};
use url::Url;

const RUNS: usize = 5;
/// Rounds of the ingest measures (each its own child process) and the peer.
const INGEST_ROUNDS: usize = 9;
const INGEST_ITEMS: usize = 5_000;
const REFRESH_FEEDS: usize = 300;
const REFRESH_ITEMS: usize = 100;
const SEARCH_PODCASTS: usize = 100;
const SEARCH_PER_PODCAST: usize = 1_000;
const CHILD_FLAG: &str = "--earmark-child";
const FEED_URL: &str = "http://bench.example/feed.xml";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        return child(&args[i + 1], Path::new(&args[i + 2]));
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir()?;
    let mut table = Table::default();

    // EARMARK_BENCH_ONLY=ingest|refresh|search runs one part (for profiling).
    let only = std::env::var("EARMARK_BENCH_ONLY").ok();
    let runs = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if runs("ingest") {
        ingest(tmp.path(), &mut table)?;
    }
    if runs("refresh") {
        refresh_bench(tmp.path(), &mut table)?;
    }
    if runs("search") {
        search_bench(tmp.path(), &mut table)?;
    }

    table.print();
    println!("\n(bench wall time {:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------- table

// ---------------------------------------------------------------- deterministic text

/// Show-notes words from the shared generator (the same numbers on every machine).
trait Words {
    fn word(&mut self) -> &'static str;
    fn words(&mut self, n: usize) -> String;
}

impl Words for Rng {
    /// A word with a Zipf-like (log-uniform rank) distribution: a few words are everywhere, most
    /// are rare, as in real show notes.
    fn word(&mut self) -> &'static str {
        let v = vocab();
        let u = self.unit();
        let rank = ((v.len() as f64 + 1.0).powf(u) - 1.0) as usize;
        v[rank.min(v.len() - 1)]
    }
    fn words(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        s
    }
}

fn vocab() -> &'static [&'static str] {
    static V: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    V.get_or_init(|| WORDS.split_whitespace().collect())
}

/// Most common first.
const WORDS: &str = "people time show story world years talk life week guest music news today \
    work family friends history government money city country school health science book film \
    team game war water food police court season climate policy community election president \
    market energy research women children business culture space technology church art power \
    education women's economy interview episode report data law media company university \
    language medicine ocean forest island mountain river village railway kitchen garden bread \
    coffee wine cheese football cricket tennis chess guitar piano orchestra opera poetry novel \
    author painter sculpture museum library archive podcast radio television newspaper journalist \
    historian historical prehistory philosopher philosophy physics chemistry biology geology \
    astronomy telescope galaxy planet comet satellite rocket engine bicycle tramway harbour \
    lighthouse volcano glacier desert savanna prairie tundra monsoon hurricane earthquake tsunami \
    parliament senator mayor treaty empire kingdom republic revolution protest strike union \
    factory farmer harvest orchard vineyard fisherman shipwreck pirate explorer expedition \
    migration refugee border passport embassy diplomat spy detective murder mystery trial jury \
    verdict prison lawyer judge evidence witness confession alibi forensic autopsy vaccine \
    pandemic hospital nurse surgeon therapy anxiety sleep dream memory brain neuron gene protein \
    enzyme fungus mushroom lichen moss fern orchid sunflower beekeeper honey pollen butterfly \
    dragonfly beetle spider octopus whale dolphin penguin albatross falcon owl wolf badger otter \
    beaver hedgehog squirrel tortoise crocodile dinosaur fossil amber meteorite crater eclipse \
    solstice equinox calendar almanac clockmaker cartographer atlas compass sextant navigator \
    typewriter telegraph telephone transistor semiconductor algorithm compiler database software \
    startup venture mortgage inflation recession tariff currency bitcoin blockchain auction \
    antiques vinyl cassette synthesizer saxophone trombone accordion bagpipes harpsichord fugue \
    sonata symphony libretto ballet choreography costume theatre playwright screenplay cinema \
    documentary animation puppetry circus magician juggler comedian satire parody sitcom quiz \
    crossword riddle folklore legend myth dragon goblin witch vampire ghost haunted castle \
    monastery cathedral mosque synagogue temple pilgrimage saint heresy inquisition reformation \
    renaissance baroque enlightenment romanticism modernism surrealism cubism impressionism \
    zeitgeber";

/// RSS text of `n` items with HTML show notes, about 3 KB per item; `stamp` varies the content.
fn rss_feed(seed: u64, n: usize, stamp: &str, notes_words: usize) -> String {
    let mut r = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut s = String::with_capacity(n * (notes_words * 9 + 800));
    s.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" ",
        "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n"
    ));
    s.push_str(&format!(
        "<title>Bench Podcast {seed}</title>\n<link>https://example.com/{seed}/</link>\n\
         <description>{}</description>\n<itunes:author>Bench</itunes:author>\n",
        r.words(30)
    ));
    for i in 0..n {
        let ep = n - i;
        let day = 1_700_000_000 - (i as i64) * 86_400;
        let date = chrono::DateTime::from_timestamp(day, 0)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        let title = r.words(6);
        s.push_str(&format!(
            "<item>\n<title>#{ep} {title} {stamp}</title>\n<link>https://example.com/{seed}/ep/{ep}</link>\n\
             <guid isPermaLink=\"false\">bench-{seed}-{ep}</guid>\n<pubDate>{date}</pubDate>\n\
             <enclosure url=\"https://cdn.example.com/{seed}/{ep}.mp3\" length=\"{}\" type=\"audio/mpeg\"/>\n\
             <itunes:duration>{}:{:02}:{:02}</itunes:duration>\n<itunes:episode>{ep}</itunes:episode>\n\
             <description>{}</description>\n<content:encoded><![CDATA[",
            20_000_000 + r.below(40_000_000),
            r.below(2),
            r.below(60),
            r.below(60),
            r.words(25)
        ));
        let mut left = notes_words;
        while left > 0 {
            let k = left.min(40);
            s.push_str(&format!(
                "<p>{} <a href=\"https://example.com/{}\">{}</a> <b>{}</b></p>\n",
                r.words(k.saturating_sub(3).max(1)),
                r.below(100_000),
                r.word(),
                r.word()
            ));
            left -= k;
        }
        s.push_str(&format!("<p>stamp {stamp}</p>]]></content:encoded>\n</item>\n"));
    }
    s.push_str("</channel>\n</rss>\n");
    s
}

// ---------------------------------------------------------------- 1. ingest

/// One measurement in a fresh process: prints `parse_ms total_ms vmhwm_kb items`.
fn child(mode: &str, path: &Path) -> Res<()> {
    let bytes = std::fs::read(path)?;
    let base = Url::parse(FEED_URL)?;
    let libdir = tempfile::tempdir()?;
    let mut lib = if mode == "parse" {
        None
    } else {
        let lib = Library::open(libdir.path())?;
        if let Ok(sql) = std::env::var("EARMARK_BENCH_SQL") {
            rusqlite::Connection::open(libdir.path().join(DB_FILE))?.execute_batch(&sql)?;
        }
        Some(lib)
    };
    let now = chrono::Utc::now();
    let t0 = Instant::now();
    let parsed = feed::parse(&bytes, &base)?;
    let parse_ms = t0.elapsed().as_secs_f64() * 1000.0;
    // As refresh and subscribe do: the raw body is dropped once parsed, before the store.
    drop(bytes);
    if let Some(lib) = lib.as_mut() {
        let (id, _) = lib.add_podcast(FEED_URL, "", now)?;
        // Without the index: the episodes stored and listed, their search index still pending
        // (what `store_feed` does before it calls `index_pending`).
        let out = if mode == "ingest-nofts" {
            lib.store_feed_unindexed(id, &parsed, &FetchMeta::default(), now)?
        } else {
            lib.store_feed(id, &parsed, now)?
        };
        assert_eq!(out.new as usize, parsed.items.len());
    }
    let total_ms = t0.elapsed().as_secs_f64() * 1000.0;
    println!("{parse_ms} {total_ms} {} {}", peak_kib(), parsed.items.len());
    Ok(())
}

#[derive(Default)]
struct Runs {
    time_ms: Vec<f64>,
    parse_ms: Vec<f64>,
    peak_kb: Vec<f64>,
}

/// One child process of this binary in `mode`; adds its parse time, total time and peak memory.
fn run_child(mode: &str, path: &Path, r: &mut Runs) -> Res<()> {
    let exe = std::env::current_exe()?;
    let out = Command::new(&exe).arg(CHILD_FLAG).arg(mode).arg(path).output()?;
    if !out.status.success() {
        return Err(format!("child {mode} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout)?;
    let f: Vec<f64> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    if f.len() != 4 || f[3] as usize != INGEST_ITEMS {
        return Err(format!("child {mode} printed {text:?}").into());
    }
    r.parse_ms.push(f[0]);
    r.time_ms.push(f[1]);
    r.peak_kb.push(f[2]);
    Ok(())
}

const PEER_SCRIPT: &str = r#"
import io, resource, sys, time
import podcastparser
data = open(sys.argv[1], 'rb').read()
t = time.perf_counter()
d = podcastparser.parse(sys.argv[2], io.BytesIO(data))
e = time.perf_counter() - t
print(e * 1000.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(d['episodes']))
"#;

/// Whether the peer can run here; says how to get it when not.
fn peer_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import podcastparser"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        println!(
            "peer missing: python3 cannot import podcastparser; install it with `pip install podcastparser` \
             to get the comparison (ratios skipped)"
        );
    }
    ok
}

/// One run of the peer parsing the same file; adds its parse time and peak memory, or says why
/// it failed and returns false.
fn peer_once(path: &Path, r: &mut Runs) -> bool {
    let Ok(out) = Command::new("python3")
        .args(["-c", PEER_SCRIPT])
        .arg(path)
        .arg(FEED_URL)
        .output()
    else {
        println!("peer could not start; ratios skipped");
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    if !out.status.success() || f.len() != 3 {
        println!(
            "peer run failed ({}); ratios skipped",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return false;
    }
    if f[2] as usize != INGEST_ITEMS {
        println!("note: peer found {} episodes, we {INGEST_ITEMS}", f[2]);
    }
    r.time_ms.push(f[0]);
    r.peak_kb.push(f[1]);
    true
}

fn ingest(dir: &Path, table: &mut Table) -> Res<()> {
    let text = rss_feed(7, INGEST_ITEMS, "0", 300);
    let path = dir.join("ingest.xml");
    std::fs::write(&path, &text)?;
    // For profiling a child by hand: EARMARK_BENCH_KEEP_FEED=path keeps a copy of the feed.
    if let Some(keep) = std::env::var_os("EARMARK_BENCH_KEEP_FEED") {
        std::fs::write(keep, &text)?;
    }
    let feed_mb = text.len() as f64 / 1e6;
    let feed_kb = text.len() as f64 / 1024.0;
    println!(
        "ingest: {INGEST_ITEMS} items, {feed_mb:.1} MB feed; {INGEST_ROUNDS} rounds, each one child process per \
         measure and one peer run, interleaved"
    );
    drop(text);

    // Round by round rather than all of one measure then all of the next: a machine that grows
    // busier or quieter during the bench then weighs on ours and the peer's figures alike.
    let (mut parse, mut nofts, mut whole, mut peer_runs) =
        (Runs::default(), Runs::default(), Runs::default(), Runs::default());
    let mut peer_ok = peer_available();
    for _ in 0..INGEST_ROUNDS {
        run_child("parse", &path, &mut parse)?;
        run_child("ingest-nofts", &path, &mut nofts)?;
        run_child("ingest", &path, &mut whole)?;
        peer_ok = peer_ok && peer_once(&path, &mut peer_runs);
    }
    let peer = peer_ok.then_some(peer_runs);

    let p = median(parse.time_ms.clone());
    let n = median(nofts.time_ms.clone());
    let w = median(whole.time_ms.clone());
    let peer_ms = peer.as_ref().map(|r| median(r.time_ms.clone()));
    // Beside the ratio of medians, the lowest and highest ratio of a round's two runs: how far the
    // machine's mood moved it.
    let vs = |ours: &Runs, ours_ms: f64| {
        let (Some(pm), Some(theirs)) = (peer_ms, &peer) else {
            return "peer missing".to_string();
        };
        let rounds: Vec<f64> = theirs
            .time_ms
            .iter()
            .zip(&ours.time_ms)
            .map(|(theirs, mine)| theirs / mine)
            .collect();
        let lo = rounds.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = rounds.iter().copied().fold(0.0, f64::max);
        format!("{:.2}x peer speed (rounds {lo:.1}-{hi:.1}x)", pm / ours_ms)
    };
    let met = |ours: f64, factor: f64| peer_ms.map(|pm| pm / ours >= factor);

    let title = format!("ingest {feed_mb:.1} MB/{INGEST_ITEMS} items: ");
    table.row(&format!("{title}parse only"), ms(p), "", vs(&parse, p), None);
    table.row(
        &format!("{title}parse+store (no FTS index)"),
        ms(n),
        ">= 5x faster than peer parse",
        vs(&nofts, n),
        met(n, 5.0),
    );
    table.row(
        &format!("{title}whole ingest (parse+store+FTS)"),
        ms(w),
        "faster than peer parse",
        vs(&whole, w),
        met(w, 1.0),
    );
    table.row(
        &format!("{title}  of which store+FTS"),
        ms(median(
            whole.time_ms.iter().zip(&whole.parse_ms).map(|(t, p)| t - p).collect(),
        )),
        "",
        String::new(),
        None,
    );
    if let Some(pm) = peer_ms {
        table.row(
            &format!("{title}peer podcastparser parse"),
            ms(pm),
            "",
            "1.0x (reference)".into(),
            None,
        );
    }
    let peak = |r: &Runs| median(r.peak_kb.clone());
    let mem = |kb: f64| format!("{:.1} MB", kb / 1024.0);
    table.row(
        &format!("{title}peak memory, whole ingest"),
        mem(peak(&whole)),
        "< 3x feed size",
        format!(
            "{:.2}x feed{}",
            peak(&whole) / feed_kb,
            peer.as_ref()
                .map(|r| format!("; peer {}", mem(peak(r))))
                .unwrap_or_default()
        ),
        Some(peak(&whole) < 3.0 * feed_kb),
    );
    table.row(
        &format!("{title}peak memory, parse only"),
        mem(peak(&parse)),
        "",
        format!("{:.2}x feed", peak(&parse) / feed_kb),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------- 2. refresh

/// A tiny HTTP/1.1 server on 127.0.0.1: `/feed/N` answers 304 when `If-None-Match` matches the
/// current ETag, else 200 with the body. In `changed` mode every request gets a new body.
struct Server {
    port: u16,
    changed: Arc<AtomicBool>,
    bodies: Arc<Vec<String>>,
}

fn serve(stream: TcpStream, changed: &AtomicBool, counter: &AtomicU64, bodies: &[String]) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut inm = None;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("if-none-match") {
                inm = Some(v.trim().to_owned());
            }
        }
    }
    let n: usize = first
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.strip_prefix("/feed/"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(usize::MAX);
    let mut out = stream;
    let Some(body) = bodies.get(n) else {
        let _ = out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let (etag, body) = if changed.load(Ordering::SeqCst) {
        let v = counter.fetch_add(1, Ordering::SeqCst) + 1;
        // A different stamp in every item: every episode of the feed is re-stored.
        (format!("\"c{v}\""), body.replace("@STAMP@", &v.to_string()))
    } else {
        ("\"v0\"".to_owned(), body.replace("@STAMP@", "0"))
    };
    if !changed.load(Ordering::SeqCst) && inm.as_deref() == Some(etag.as_str()) {
        let _ =
            out.write_all(format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n").as_bytes());
        return;
    }
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(body.as_bytes());
    let _ = out.flush();
    // Drain what the client may still send so the close is clean.
    let _ = out.set_read_timeout(Some(Duration::from_millis(50)));
    let mut sink = [0u8; 512];
    let _ = out.read(&mut sink);
}

fn start_server() -> Res<Server> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..REFRESH_FEEDS)
            .map(|i| rss_feed(1000 + i as u64, REFRESH_ITEMS, "@STAMP@", 60))
            .collect(),
    );
    let changed = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    {
        let (bodies, changed) = (bodies.clone(), changed.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (bodies, changed, counter) = (bodies.clone(), changed.clone(), counter.clone());
                std::thread::spawn(move || serve(stream, &changed, &counter, &bodies));
            }
        });
    }
    Ok(Server { port, changed, bodies })
}

fn refresh_bench(dir: &Path, table: &mut Table) -> Res<()> {
    let server = start_server()?;
    let libdir = dir.join("refresh-lib");
    let mut lib = Library::open(&libdir)?;
    let now = chrono::Utc::now();
    for i in 0..server.bodies.len() {
        lib.add_podcast(&format!("http://127.0.0.1:{}/feed/{i}", server.port), "", now)?;
    }
    let fetcher = Fetcher::new(FetchConfig::default())?;
    let run = |lib: &mut Library| -> Res<(f64, Vec<earmark_core::model::RefreshReport>)> {
        let t = Instant::now();
        let reports = refresh::refresh(
            lib,
            &fetcher,
            None,
            refresh::DEFAULT_CONCURRENCY,
            chrono::Utc::now(),
            &mut |_, _, _| {},
        )?;
        Ok((t.elapsed().as_secs_f64() * 1000.0, reports))
    };
    let (first_ms, reports) = run(&mut lib)?;
    let new: u64 = reports.iter().map(|r| r.new).sum();
    println!(
        "refresh: subscribed {REFRESH_FEEDS} feeds x {REFRESH_ITEMS} items on 127.0.0.1 ({new} episodes) in {}",
        ms(first_ms)
    );
    if new as usize != REFRESH_FEEDS * REFRESH_ITEMS {
        return Err(format!("first refresh stored {new} episodes: {:?}", reports.first()).into());
    }

    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        let (t, reports) = run(&mut lib)?;
        let not_modified = reports
            .iter()
            .filter(|r| r.status == RefreshStatus::NotModified)
            .count();
        if not_modified != REFRESH_FEEDS {
            return Err(format!("only {not_modified} feeds answered 304").into());
        }
        unchanged.push(t);
    }
    let u = median(unchanged);
    table.row(
        &format!("refresh {REFRESH_FEEDS} unchanged feeds (all 304)"),
        ms(u),
        "< 1 s",
        String::new(),
        Some(u < 1000.0),
    );

    server.changed.store(true, Ordering::SeqCst);
    let mut changed = Vec::new();
    for _ in 0..RUNS {
        let (t, reports) = run(&mut lib)?;
        let updated: u64 = reports.iter().map(|r| r.updated).sum();
        if updated as usize != REFRESH_FEEDS * REFRESH_ITEMS {
            return Err(format!("changed refresh updated {updated} episodes").into());
        }
        changed.push(t);
    }
    let c = median(changed);
    table.row(
        &format!("refresh {REFRESH_FEEDS} changed feeds x {REFRESH_ITEMS} items (all re-stored)"),
        ms(c),
        "< 5 s",
        String::new(),
        Some(c < 5000.0),
    );
    Ok(())
}

// ---------------------------------------------------------------- 3. search

fn search_bench(dir: &Path, table: &mut Table) -> Res<()> {
    let t = Instant::now();
    // EARMARK_BENCH_SEARCH_LIB=dir builds the library there (kept, for trying queries by hand).
    let at = std::env::var_os("EARMARK_BENCH_SEARCH_LIB").map_or_else(|| dir.join("search-lib"), Into::into);
    let mut lib = Library::open(&at)?;
    let now = chrono::Utc::now();
    let mut r = Rng::new(0x5EA_7C4);
    let mut total = 0usize;
    let mut first_podcast = None;
    for p in 0..SEARCH_PODCASTS {
        let url = format!("https://podcasts.example/{p}.xml");
        let (id, _) = lib.add_podcast(&url, "", now)?;
        first_podcast.get_or_insert(id);
        let items = (0..SEARCH_PER_PODCAST)
            .map(|i| {
                let mut notes = r.words(70);
                // A rare word: about 1 episode in 5,000.
                if r.below(5_000) == 0 {
                    notes.push_str(" quasicrystal");
                }
                ParsedItem {
                    guid: format!("s-{p}-{i}"),
                    title: r.words(7),
                    published: chrono::DateTime::from_timestamp(1_600_000_000 + (i as i64) * 3_600, 0),
                    enclosure_url: Some(format!("https://cdn.example/{p}/{i}.mp3")),
                    notes_raw: notes,
                    ..ParsedItem::default()
                }
            })
            .collect::<Vec<_>>();
        total += items.len();
        let feed = ParsedFeed {
            title: format!("{} {}", r.words(3), p),
            description: r.words(40),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, now)?;
    }
    println!(
        "search: built a {total}-episode library in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let queries = [
        ("common word", "people"),
        ("rare word", "quasicrystal"),
        ("two words", "climate policy"),
        ("prefix", "hist"),
    ];
    const REPS: usize = 21;
    let mut all = Vec::new();
    for (label, q) in queries {
        let hits = search::search(&lib, q, 50)?.len(); // warm
        let mut v = Vec::with_capacity(REPS);
        for _ in 0..REPS {
            let t = Instant::now();
            let res = search::search(&lib, q, 50)?;
            v.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(res);
        }
        let m = median(v.clone());
        all.extend(v);
        table.row(
            &format!("search 100k: {label} {q:?} ({hits} hits)"),
            ms(m),
            "",
            String::new(),
            None,
        );
    }
    let m = median(all);
    table.row(
        &format!("search 100k: median over all {} queries", queries.len() * REPS),
        ms(m),
        "< 5 ms",
        String::new(),
        Some(m < 5.0),
    );
    list_bench(&lib, &at, first_podcast, table)
}

/// The episode list in the same library, newest first: one podcast's 1,000 and all 100,000.
/// The peer is the single statement the library used before (one podcast chosen by
/// `?1 IS NULL OR podcast_id = ?1`, undated ones put last by an extra sort term), run through
/// a plain connection on the same file and reading the same columns.
fn list_bench(lib: &Library, at: &Path, podcast: Option<earmark_core::model::PodcastId>, table: &mut Table) -> Res<()> {
    let peer = rusqlite::Connection::open(at.join(DB_FILE))?;
    let old_sql = "SELECT e.id, e.podcast_id, e.guid, e.title, e.published, e.duration_secs, e.enclosure_url, \
         e.enclosure_type, e.enclosure_length, e.link, e.in_feed, COALESCE(s.position_secs, 0), COALESCE(s.played, 0), \
         EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done') \
         FROM episodes e LEFT JOIN episode_state s ON s.episode_id = e.id WHERE (?1 IS NULL OR e.podcast_id = ?1) \
         ORDER BY e.published_ts IS NULL, e.published_ts DESC, e.feed_position, e.id";
    let mut old = peer.prepare(old_sql)?;
    for (label, which, reps) in [("one podcast's 1,000", podcast, 21), ("all 100,000", None, 7)] {
        let mut ours = Vec::with_capacity(reps);
        let mut theirs = Vec::with_capacity(reps);
        for _ in 0..reps {
            let t = Instant::now();
            let rows = lib.episodes(which)?;
            ours.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(rows);
            let t = Instant::now();
            let rows: Vec<Vec<rusqlite::types::Value>> = old
                .query_map([which.map(|p| p.0)], |r| (0..14).map(|i| r.get(i)).collect())?
                .collect::<rusqlite::Result<_>>()?;
            theirs.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(rows);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        table.row(
            &format!("list 100k: {label}, newest first"),
            ms(ours),
            "",
            format!("{:.1}x the old statement ({})", theirs / ours, ms(theirs)),
            None,
        );
    }
    Ok(())
}
