//! Shared by the download tests: a library subscribed to a feed written as a local file, whose
//! enclosures point at the test's media server.

use std::path::Path;

use earmark_core::chrono::{TimeZone, Utc};
use earmark_core::fetch::Fetcher;
use earmark_core::model::EpisodeId;
use earmark_core::resolve::{self, Resolver};
use earmark_core::Library;
use earmark_test_support::http::Server;

/// Writes `feed` to `feed_dir/feed.xml`, subscribes the library in `lib_dir` to it, and returns
/// the library with its episodes' ids, newest first. A feed file needs no network; the resolver's
/// base is the media server, as a real subscription's would be its feed's host.
pub fn subscribe_file(server: &Server, feed: &str, feed_dir: &Path, lib_dir: &Path) -> (Library, Vec<EpisodeId>) {
    let feed_path = feed_dir.join("feed.xml");
    std::fs::write(&feed_path, feed).expect("feed");
    let mut lib = Library::open(lib_dir).expect("library");
    let base = url::Url::parse(&server.url("/")).expect("base");
    let now = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).single().expect("time");
    let fetcher = Fetcher::with_timeout(std::time::Duration::from_secs(5)).expect("client");
    resolve::subscribe(
        &mut lib,
        &Resolver::new(fetcher, base),
        &feed_path.display().to_string(),
        now,
    )
    .expect("subscribe");
    let ids = lib
        .episodes(None)
        .expect("episodes")
        .into_iter()
        .map(|e| e.id)
        .collect();
    (lib, ids)
}
