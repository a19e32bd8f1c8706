//! "Refresh" as a person means it, the same in the app and the CLI: every feed (or the podcasts
//! named), then the blogs and pages the library archives, then links for whatever is new, and
//! finally the episodes the auto-download policies want. The shells only show progress and start
//! the downloads this returns; none of them strings the steps together itself.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::fetch::Fetcher;
use crate::library::Library;
use crate::link::model::RelinkScope;
use crate::model::{EpisodeId, PodcastId, RefreshReport};

/// What a refresh did, beyond the per-feed reports.
#[derive(Debug, Default)]
pub struct RefreshOutcome {
    /// One report per podcast refreshed, in the order they finished.
    pub reports: Vec<RefreshReport>,
    /// Episodes the podcasts' auto-download policies want now: the shell queues them.
    pub to_download: Vec<EpisodeId>,
    /// Steps after the feeds that failed, in words. They never fail the feed refresh the user
    /// asked for (a failing blog is also recorded on its source).
    pub problems: Vec<String>,
}

/// Refreshes the podcasts in `podcasts` (every one when `None`, and then the blogs too), relinks
/// what is new and works out the auto-downloads. `progress` hears (done, total, report) as feeds
/// finish. Fails only when the feed refresh itself cannot run (the library cannot be read).
pub fn refresh_all(
    lib: &mut Library,
    fetcher: &Fetcher,
    podcasts: Option<&[PodcastId]>,
    concurrency: usize,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize, &RefreshReport),
) -> Result<RefreshOutcome> {
    // Episodes above this id after the refresh are the new ones auto-download may take.
    let before = lib.episode_watermark()?;
    let reports = crate::refresh::refresh(lib, fetcher, podcasts, concurrency, now, progress)?;
    let mut problems = Vec::new();
    if podcasts.is_none() {
        if let Err(e) = crate::docs::refresh_sources(lib, fetcher, now) {
            problems.push(format!("refreshing the blogs: {e}"));
        }
        match crate::docs::fetch_shared_pages(lib, fetcher, now) {
            Ok(outcomes) => problems.extend(
                outcomes
                    .into_iter()
                    .filter_map(|o| o.error.map(|e| format!("a page the team shared, {}: {e}", o.url))),
            ),
            Err(e) => problems.push(format!("reading the pages the team shared: {e}")),
        }
    }
    if let Err(e) = lib.relink(&RelinkScope::New, now) {
        problems.push(format!("linking new episodes and posts: {e}"));
    }
    let to_download = lib.auto_downloads_after_refresh(&reports, before).unwrap_or_else(|e| {
        problems.push(format!("auto-download: {e}"));
        Vec::new()
    });
    Ok(RefreshOutcome {
        reports,
        to_download,
        problems,
    })
}
