//! The shared archive at team scale. Ann's library holds 10,000 bookmarks and 5,000 link
//! decisions over 25 podcasts; Bea's library has the same podcasts and posts. Figures:
//!
//! - Ann shares it all (`share create`);
//! - Bea merges it all (`share join`: every file read, merged, written into her library), timed
//!   into [`JOINS`] fresh libraries, the median; goal under 2 s;
//! - a sync with nothing new, the median of [`RUNS`] (goal under 50 ms), beside its peer in the
//!   same run: listing the library's bookmarks alone (what every idle sync read before the change
//!   count of migration 0023 let it skip the items);
//! - the folder's size after 10,000 edits (100 syncs of 100 note edits), then after compaction;
//! - a sync after 100 edits: loading the library's copy of the document (as the command line
//!   does) and, in the same run, keeping it from one sync to the next (as the app does);
//! - the same archive through an automerge-repo sync server on 127.0.0.1 (`tools/share-server`,
//!   installed by `scripts/setup`): Ann puts it there, Cal (a third library) joins it, and a sync
//!   with nothing new, whose floor is one round trip with the server.
//!
//! Run: `cargo bench -p earmark-core --bench share`. Nothing touches the network beyond 127.0.0.1.
#![allow(clippy::disallowed_methods)]

mod bench_support;

use earmark_test_support::bench::median;
use std::path::Path;
use std::time::Instant;

use earmark_core::bookmarks::{BookmarkEdit, BookmarkFilter, NewBookmark};
use earmark_core::library::Library;
use earmark_core::{chrono, share};

const PODCASTS: usize = 25;
const EPISODES_PER_PODCAST: usize = 200;
const BOOKMARKS: usize = 10_000;
const DECISIONS: usize = 5_000;
const EDITS: usize = 10_000;
const EDITS_PER_SYNC: usize = 100;
const RUNS: usize = 21;
/// Merges timed, each into a fresh library.
const JOINS: usize = 3;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Podcasts with episodes, and one post per decision.
fn base_library(dir: &Path) -> Res<Library> {
    let mut lib = Library::open(dir)?;
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    bench_support::fill_podcasts(&mut lib, PODCASTS, EPISODES_PER_PODCAST, t0)?;
    for d in 0..DECISIONS {
        lib.insert_document_for_tests(
            "post",
            &format!("https://blog.example/post/{d}"),
            &format!("Post {d}"),
            None,
            "<p>x</p>",
        )?;
    }
    Ok(lib)
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    for sub in ["changes", "snapshots"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            total += rd
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>();
        }
    }
    total
}

fn main() -> Res<()> {
    let tmp = tempfile::tempdir()?;
    let folder = tmp.path().join("shared");
    let setup = Instant::now();
    let mut ann = base_library(&tmp.path().join("ann"))?;
    // The merge is timed into fresh libraries more than once: on a shared machine one run can be
    // off by a third.
    let mut joiners = (0..JOINS)
        .map(|i| base_library(&tmp.path().join(format!("bea{i}"))))
        .collect::<Res<Vec<_>>>()?;
    let episodes: Vec<_> = ann.episodes(None)?.into_iter().map(|e| e.id).collect();
    for i in 0..BOOKMARKS {
        ann.add_bookmark(
            &NewBookmark {
                episode_id: episodes[i % episodes.len()],
                start_secs: (i % 3000) as f64,
                end_secs: Some((i % 3000) as f64 + 30.0),
                title: format!("Moment {i}"),
                note: format!("What was said at moment {i} about the family courts"),
                tags: vec![format!("tag{}", i % 40)],
            },
            now(),
        )?;
    }
    for d in 0..DECISIONS {
        let doc = earmark_core::docs::DocumentId(d as i64 + 1);
        ann.add_manual_link(episodes[d % episodes.len()], doc, None, now())?;
    }
    println!(
        "setup: two libraries of {} episodes, {BOOKMARKS} bookmarks and {DECISIONS} decisions in Ann's ({:.1} s)\n",
        episodes.len(),
        setup.elapsed().as_secs_f64()
    );
    println!("{:<62} {:>10}", "step", "result");

    let t = Instant::now();
    share::create(&mut ann, &folder, "Bench", "Ann", now())?;
    println!(
        "{:<62} {:>7.0} ms",
        "Ann shares 10,000 bookmarks + 5,000 decisions (create)",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let mut merges = Vec::new();
    for lib in &mut joiners {
        let t = Instant::now();
        let joined = share::join(lib, &folder, "Bea", now())?;
        merges.push(t.elapsed().as_secs_f64() * 1000.0);
        if joined.received.bookmarks as usize != BOOKMARKS || joined.received.decisions as usize != DECISIONS {
            return Err(format!("the merge missed items: {joined:?}").into());
        }
        let got = lib.bookmarks(&BookmarkFilter::default())?.len();
        if got != BOOKMARKS {
            return Err(format!("Bea has {got} bookmarks").into());
        }
    }
    let runs: Vec<String> = merges.iter().map(|m| format!("{m:.0}")).collect();
    let merge_ms = median(merges);
    println!(
        "{:<62} {:>7.0} ms",
        format!(
            "Bea merges them all into her library (join; median of {})",
            runs.join(", ")
        ),
        merge_ms
    );
    let mut bea = joiners.pop().ok_or("no joiner")?;

    let mut idle = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = share::sync(&mut bea, now())?;
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
        if r.file_written.is_some() || r.files_merged > 0 {
            return Err(format!("an idle sync did work: {r:?}").into());
        }
    }
    let idle_ms = median(idle);
    let mut peer = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(bea.bookmarks(&BookmarkFilter::default())?.len());
        peer.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let peer_ms = median(peer);
    println!("{:<62} {:>7.1} ms", "sync with nothing new (median)", idle_ms);
    println!(
        "{:<62} {:>7.1} ms",
        "peer: listing the 10,000 bookmarks alone (median)", peer_ms
    );

    let rows = ann.bookmarks(&BookmarkFilter::default())?;
    let before_edits = dir_size(&folder);
    let t = Instant::now();
    // The first half of the syncs load the library's copy of the document each time (as the
    // command line does); the second half keep it from one sync to the next (as the app does).
    let (mut loading, mut keeping, mut kept) = (Vec::new(), Vec::new(), None);
    for e in 0..EDITS {
        let id = rows[e % rows.len()].bookmark.id;
        let edit = BookmarkEdit {
            note: Some(format!("Edit {e}: what was said about the family courts")),
            ..BookmarkEdit::default()
        };
        ann.edit_bookmark(id, &edit, now())?;
        if (e + 1) % EDITS_PER_SYNC == 0 {
            let t = Instant::now();
            if e < EDITS / 2 {
                share::sync(&mut ann, now())?;
                loading.push(t.elapsed().as_secs_f64() * 1000.0);
            } else {
                share::sync_keeping(&mut ann, &mut kept, now())?;
                keeping.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let edit_s = t.elapsed().as_secs_f64();
    drop(kept);
    let after_edits = dir_size(&folder);
    let t = Instant::now();
    let removed = share::compact(&mut ann, now())?;
    let compact_ms = t.elapsed().as_secs_f64() * 1000.0;
    let after_compact = dir_size(&folder);
    println!(
        "{:<62} {:>7.1} s",
        "10,000 note edits, a sync every 100 (100 syncs)", edit_s
    );
    let (syncs, loading_ms) = (loading.len(), median(loading));
    println!(
        "{:<62} {:>7.0} ms",
        format!("a sync after 100 edits, loading the document (median of {syncs})"),
        loading_ms
    );
    let (syncs, keeping_ms) = (keeping.len(), median(keeping));
    println!(
        "{:<62} {:>7.0} ms",
        format!("the same, the document kept from the last sync (median of {syncs})"),
        keeping_ms
    );
    println!(
        "{:<62} {:>7.1} MB",
        "folder before the edits",
        before_edits as f64 / 1e6
    );
    println!(
        "{:<62} {:>7.1} MB",
        "folder after 10,000 edits",
        after_edits as f64 / 1e6
    );
    println!(
        "{:<62} {:>7.1} MB",
        format!("after compaction ({removed} files removed, {compact_ms:.0} ms)"),
        after_compact as f64 / 1e6
    );

    // The same archive through a sync server.
    let server = earmark_test_support::share_server::ShareServer::start();
    share::leave(&mut ann)?;
    let t = Instant::now();
    share::create(&mut ann, Path::new(&server.url()), "Bench", "Ann", now())?;
    println!(
        "{:<62} {:>7.0} ms",
        "Ann puts the archive on a sync server (create)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let address = ann.share_status()?.folder.ok_or("no address")?;
    let mut cal = base_library(&tmp.path().join("cal"))?;
    let t = Instant::now();
    let joined = share::join(&mut cal, Path::new(&address), "Cal", now())?;
    let server_merge_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{:<62} {:>7.0} ms",
        "Cal merges it all from the server (join)", server_merge_ms
    );
    if joined.received.bookmarks as usize != BOOKMARKS {
        return Err(format!("the server merge missed items: {joined:?}").into());
    }
    let mut server_idle = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = share::sync(&mut cal, now())?;
        server_idle.push(t.elapsed().as_secs_f64() * 1000.0);
        if r != share::ShareReport::default() {
            return Err(format!("an idle server sync did work: {r:?}").into());
        }
    }
    let server_idle_ms = median(server_idle);
    println!(
        "{:<62} {:>7.1} ms",
        "sync with nothing new through the server (median)", server_idle_ms
    );

    println!(
        "\nmerge {merge_ms:.0} ms (goal < 2,000 ms: {}); idle sync {idle_ms:.1} ms, {:.1}x its SQL alone (goal < 50 ms: {})",
        if merge_ms < 2000.0 { "met" } else { "NOT met" },
        idle_ms / peer_ms,
        if idle_ms < 50.0 { "met" } else { "NOT met" }
    );
    println!(
        "through the server: merge {server_merge_ms:.0} ms (goal < 2,000 ms: {}); idle sync {server_idle_ms:.1} ms (goal < 50 ms: {})",
        if server_merge_ms < 2000.0 { "met" } else { "NOT met" },
        if server_idle_ms < 50.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
