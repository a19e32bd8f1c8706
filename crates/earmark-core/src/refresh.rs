//! Refreshing subscribed feeds: conditional GETs run concurrently on a bounded set of threads
//! (fetch and parse there), and results are stored one at a time by the caller's thread, which
//! owns the library connection. A failed feed is recorded and changes nothing else.

use std::sync::mpsc;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use url::Url;

use crate::error::{Error, FetchError, Result};
use crate::feed::{self, ParsedFeed};
use crate::fetch::{Fetcher, Outcome, Validators};
use crate::library::{FetchMeta, Library};
use crate::model::{PodcastId, RefreshReport, RefreshStatus};

/// How many feeds are fetched at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

struct Job {
    id: PodcastId,
    title: String,
    url: String,
    validators: Validators,
}

enum Fetchedfeed {
    NotModified,
    Parsed { feed: Box<ParsedFeed>, meta: FetchMeta },
    Failed(Error),
}

/// Refreshes the given podcasts (all that are subscribed and not gone when `ids` is `None`), calling `progress`
/// after each with (done, total, report). Returns one report per podcast, in completion order.
pub fn refresh(
    lib: &mut Library,
    fetcher: &Fetcher,
    ids: Option<&[PodcastId]>,
    concurrency: usize,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize, &RefreshReport),
) -> Result<Vec<RefreshReport>> {
    let mut jobs = Vec::new();
    for p in lib.podcasts()? {
        let wanted = ids.is_none_or(|ids| ids.contains(&p.id));
        if !wanted || ((p.gone || !p.subscribed) && ids.is_none()) {
            continue;
        }
        let (etag, last_modified) = lib.conditional(p.id)?;
        jobs.push(Job {
            id: p.id,
            title: p.title,
            url: p.feed_url,
            validators: Validators { etag, last_modified },
        });
    }
    let total = jobs.len();
    let queue = Mutex::new(jobs.into_iter());
    let (tx, rx) = mpsc::channel::<(PodcastId, String, Fetchedfeed)>();
    let mut reports = Vec::with_capacity(total);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..concurrency.clamp(1, 64).min(total.max(1)) {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(job) = next else { break };
                let outcome = fetch_one(fetcher, &job);
                if tx.send((job.id, job.title, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Feeds are stored as they arrive and indexed for search while the writer would otherwise
        // wait for the network: many feeds' episodes in one index pass, not one pass each.
        let stored = (|| -> Result<()> {
            loop {
                let next = match rx.try_recv() {
                    Ok(next) => next,
                    Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
                    Err(mpsc::TryRecvError::Empty) => {
                        lib.index_pending()?;
                        match rx.recv() {
                            Ok(next) => next,
                            Err(_) => return Ok(()),
                        }
                    }
                };
                let (id, title, outcome) = next;
                let report = store_one(lib, id, title, outcome, now)?;
                progress(reports.len() + 1, total, &report);
                reports.push(report);
            }
        })();
        // Whatever was stored is indexed, even when a later feed failed to store.
        let indexed = lib.index_pending();
        stored?;
        indexed.map(|_| ())
    })?;
    Ok(reports)
}

fn fetch_one(fetcher: &Fetcher, job: &Job) -> Fetchedfeed {
    let url = match Url::parse(&job.url) {
        Ok(u) => u,
        Err(_) => return Fetchedfeed::Failed(FetchError::InvalidUrl(job.url.clone()).into()),
    };
    match fetcher.get_conditional(&url, &job.validators) {
        Ok(Outcome::NotModified) => Fetchedfeed::NotModified,
        Ok(Outcome::Body(f)) => match feed::parse(&f.body, &f.final_url) {
            Ok(parsed) => {
                if parsed.duplicates_dropped > 0 {
                    tracing::warn!(
                        feed = %job.url,
                        dropped = parsed.duplicates_dropped,
                        "the feed lists the same episode more than once; kept one of each"
                    );
                }
                let new_feed_url = f.moved_permanently_to.map(String::from).or_else(|| {
                    parsed
                        .new_feed_url
                        .clone()
                        .filter(|u| u.starts_with("http") && *u != job.url)
                });
                let meta = FetchMeta {
                    etag: f.validators.etag,
                    last_modified: f.validators.last_modified,
                    new_feed_url,
                };
                Fetchedfeed::Parsed {
                    feed: Box::new(parsed),
                    meta,
                }
            }
            Err(e) => Fetchedfeed::Failed(e.into()),
        },
        Err(e) => Fetchedfeed::Failed(e.into()),
    }
}

fn store_one(
    lib: &mut Library,
    id: PodcastId,
    title: String,
    outcome: Fetchedfeed,
    now: DateTime<Utc>,
) -> Result<RefreshReport> {
    let mut report = RefreshReport {
        podcast_id: id,
        title,
        status: RefreshStatus::Updated,
        new: 0,
        updated: 0,
        error: None,
    };
    match outcome {
        Fetchedfeed::NotModified => {
            lib.mark_checked(id, now)?;
            report.status = RefreshStatus::NotModified;
        }
        Fetchedfeed::Parsed { feed, meta } => {
            let stored = lib.store_feed_unindexed(id, &feed, &meta, now)?;
            report.new = stored.new;
            report.updated = stored.updated;
            report.title = feed.title.clone();
        }
        Fetchedfeed::Failed(e) => {
            let gone = matches!(e, Error::Fetch(FetchError::Gone));
            let message = e.to_string();
            lib.mark_failed(id, &message, gone)?;
            report.status = RefreshStatus::Error;
            report.error = Some(message);
        }
    }
    Ok(report)
}
