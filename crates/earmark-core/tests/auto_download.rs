//! Auto-download policies after a refresh: off, all new (episodes first seen by that refresh),
//! latest N (of the N newest in-feed episodes, those neither downloaded nor played).
// A test stands in for a shell here: it reads the clock the core is not allowed to (clippy.toml).
#![allow(clippy::disallowed_methods)]

use earmark_test_support::http;

use std::path::Path;
use std::time::Duration;

use earmark_core::chrono::{DateTime, TimeZone, Utc};
use earmark_core::download::policy::AutoDownload;
use earmark_core::download::queue::DownloadQueue;
use earmark_core::fetch::Fetcher;
use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::Library;
use http::{Reply, Server};

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(5)).expect("client")
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, day, 12, 0, 0).single().expect("time")
}

/// Writes a feed whose episodes `e1..=eN` are published on day 1..N (so eN is the newest).
fn write_feed(path: &Path, server: &Server, n: usize) {
    let mut items = String::new();
    for i in 1..=n {
        items.push_str(&format!(
            "<item><guid>e{i}</guid><title>Episode {i}</title><pubDate>{:02} Jan 2024 10:00:00 +0000</pubDate>\
             <enclosure url=\"{}\" type=\"audio/mpeg\" length=\"0\"/></item>",
            i,
            server.url(&format!("/media/e{i}.mp3"))
        ));
    }
    std::fs::write(
        path,
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Auto</title>{items}</channel></rss>"),
    )
    .expect("feed");
}

struct Fixture {
    dir: tempfile::TempDir,
    server: Server,
    lib: Library,
    podcast: PodcastId,
}

impl Fixture {
    fn new(n: usize) -> Fixture {
        let server = Server::start();
        let dir = tempfile::tempdir().expect("tempdir");
        write_feed(&dir.path().join("feed.xml"), &server, n);
        let mut lib = Library::open(&dir.path().join("lib")).expect("library");
        let base = url::Url::parse(&server.url("/")).expect("base");
        let sub = resolve::subscribe(
            &mut lib,
            &Resolver::new(fetcher(), base),
            &dir.path().join("feed.xml").display().to_string(),
            at(1),
        )
        .expect("subscribe");
        Fixture {
            dir,
            server,
            podcast: sub.podcast.id,
            lib,
        }
    }

    fn episode(&self, guid: &str) -> EpisodeId {
        self.lib
            .episodes(None)
            .expect("episodes")
            .into_iter()
            .find(|e| e.guid == guid)
            .expect("episode")
            .id
    }

    /// Refreshes with a feed of `n` episodes at `day`, through the one refresh both shells run;
    /// returns the episodes the policy wants.
    fn wanted(&mut self, n: usize, day: u32) -> Vec<EpisodeId> {
        write_feed(&self.dir.path().join("feed.xml"), &self.server, n);
        let mut seen = 0;
        let podcast = self.podcast;
        let outcome =
            earmark_core::refresh_all::refresh_all(&mut self.lib, &fetcher(), None, 1, at(day), &mut |_, total, r| {
                seen += 1;
                assert_eq!((total, r.podcast_id), (1, podcast));
            })
            .expect("refresh");
        assert_eq!(seen, 1, "progress heard the one feed");
        assert_eq!(outcome.reports.len(), 1);
        assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
        outcome.to_download
    }
}

#[test]
fn off_is_the_default_and_downloads_nothing() {
    let mut f = Fixture::new(3);
    assert_eq!(
        f.lib.podcast(f.podcast).expect("podcast").auto_download,
        AutoDownload::Off
    );
    assert!(f.wanted(5, 2).is_empty());
}

#[test]
fn all_new_takes_only_what_this_refresh_found() {
    let mut f = Fixture::new(3);
    f.lib.set_auto_download(f.podcast, AutoDownload::All).expect("set");
    assert_eq!(
        f.lib.podcast(f.podcast).expect("podcast").auto_download,
        AutoDownload::All
    );
    // Nothing new: nothing to download, old episodes are not swept up.
    assert!(f.wanted(3, 1).is_empty());
    // Refreshes in the same second as the subscription still tell new from old.
    let got = f.wanted(5, 1);
    assert_eq!(
        got,
        vec![f.episode("e5"), f.episode("e4")],
        "the two new ones, newest first"
    );
    // The next refresh with nothing new asks for nothing again.
    assert!(f.wanted(5, 1).is_empty());
}

#[test]
fn latest_n_keeps_the_newest_unplayed_at_hand_without_reaching_back() {
    let mut f = Fixture::new(4);
    f.lib
        .set_auto_download(f.podcast, AutoDownload::Latest { count: 2 })
        .expect("set");
    assert_eq!(
        f.lib.podcast(f.podcast).expect("podcast").auto_download,
        AutoDownload::Latest { count: 2 }
    );
    f.lib.set_played(f.episode("e4"), true, at(1)).expect("played");
    // Of the two newest (e4, e3), e4 is played: only e3; older ones do not make up the number.
    assert_eq!(f.wanted(4, 2), vec![f.episode("e3")]);

    // Download it for real; then nothing of the two newest is wanted any more.
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    f.server.set("/media/e3.mp3", Reply::ok(data.clone()));
    let queue = DownloadQueue::start(
        f.dir.path().join("lib"),
        fetcher(),
        2,
        std::sync::Arc::new(chrono::Utc::now),
        |_| {},
    )
    .expect("queue");
    queue.enqueue(&[f.episode("e3")]).expect("enqueue");
    queue.wait_idle();
    drop(queue);
    assert!(f.wanted(4, 3).is_empty());

    // A new episode arrives: it is among the two newest and wanted.
    assert_eq!(f.wanted(5, 4), vec![f.episode("e5")]);
}

#[test]
fn failed_refreshes_are_skipped_and_bad_policies_refused() {
    let mut f = Fixture::new(2);
    f.lib
        .set_auto_download(f.podcast, AutoDownload::Latest { count: 5 })
        .expect("set");
    std::fs::remove_file(f.dir.path().join("feed.xml")).expect("remove feed");
    let mark = f.lib.episode_watermark().expect("watermark");
    let reports =
        earmark_core::refresh::refresh(&mut f.lib, &fetcher(), None, 1, at(2), &mut |_, _, _| {}).expect("refresh");
    assert!(reports[0].error.is_some());
    assert!(f
        .lib
        .auto_downloads_after_refresh(&reports, mark)
        .expect("policy")
        .is_empty());

    let err = f
        .lib
        .set_auto_download(PodcastId(999), AutoDownload::All)
        .expect_err("unknown podcast");
    assert_eq!(err.code(), "not_found");
    let err = f
        .lib
        .set_auto_download(f.podcast, AutoDownload::Latest { count: 0 })
        .expect_err("zero");
    assert_eq!(err.code(), "invalid");
    assert_eq!(
        f.lib.podcast(f.podcast).expect("podcast").auto_download,
        AutoDownload::Latest { count: 5 },
        "a refused change leaves the policy as it was"
    );
}
