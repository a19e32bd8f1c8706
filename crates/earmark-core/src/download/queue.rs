//! The download manager: a queue of episodes fetched by a fixed number of worker threads, so a
//! user can ask for twenty episodes and the network, the disk and the server each see only a few
//! transfers at a time. Every change of state and (at most ten times a second per item) progress
//! is reported through one callback, which the CLI turns into progress bars and the app into
//! events for the window.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::download::transfer::{part_path, Finished};
use crate::error::Result;
use crate::fetch::Fetcher;
use crate::library::Library;
use crate::model::{DownloadState, DownloadStatus, EpisodeId};

/// Transfers at once unless the user says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 3;

/// Progress reports per item are at least this far apart, so a fast loopback transfer cannot
/// flood the window with events.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// What the queue tells its owner about one episode's download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DownloadEvent {
    /// Where it stands now.
    #[serde(flatten)]
    pub status: DownloadStatus,
    /// Bytes per second over this transfer, once there is something to average.
    pub rate: Option<f64>,
    /// Seconds left at that rate, when the total is known.
    pub eta_secs: Option<f64>,
}

type Sink = Arc<dyn Fn(DownloadEvent) + Send + Sync>;

/// Where the queue gets the time it records with each state change. The core reads no clock of its
/// own (ARCHITECTURE.md's invariant, kept by `clippy.toml`): the shells pass `Utc::now`, and a test
/// can pass a fixed time.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

struct Shared {
    /// The shared lock on the library's [`crate::download::records::QUEUE_LOCK`], released when the last
    /// worker lets go of the queue.
    _running: std::fs::File,
    /// The library, for recording states; writes are short, so one connection serves all workers.
    library: Mutex<Library>,
    fetcher: Fetcher,
    sink: Sink,
    clock: Clock,
    queue: Mutex<QueueState>,
    wake: Condvar,
}

#[derive(Default)]
struct QueueState {
    pending: VecDeque<EpisodeId>,
    /// Transfers under way, each with the flag that stops it.
    active: HashMap<i64, Arc<AtomicBool>>,
    stopping: bool,
}

/// A running download manager. Dropping it pauses what is under way (the `.part` files stay)
/// and waits for the workers to finish.
pub struct DownloadQueue {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl DownloadQueue {
    /// Starts `concurrency` workers (at least one) over the library in `library_dir`; states are
    /// recorded with the time `clock` gives.
    pub fn start(
        library_dir: PathBuf,
        fetcher: Fetcher,
        concurrency: usize,
        clock: Clock,
        sink: impl Fn(DownloadEvent) + Send + Sync + 'static,
    ) -> Result<Self> {
        let library = Library::open(&library_dir)?;
        std::fs::create_dir_all(library.media_dir()).map_err(|source| crate::Error::Io {
            path: library.media_dir(),
            source,
        })?;
        // Held (shared) for the queue's life: a listing that can take it exclusively knows no
        // queue runs, so a row left `downloading` by a killed process shows as paused.
        let running = crate::download::records::open_queue_lock(library.dir())
            .and_then(|f| f.lock_shared().map(|()| f))
            .map_err(|source| crate::Error::Io {
                path: library.dir().join(crate::download::records::QUEUE_LOCK),
                source,
            })?;
        let shared = Arc::new(Shared {
            _running: running,
            library: Mutex::new(library),
            fetcher,
            sink: Arc::new(sink),
            clock,
            queue: Mutex::new(QueueState::default()),
            wake: Condvar::new(),
        });
        let workers = (0..concurrency.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("download-{i}"))
                    .spawn(move || worker(&shared))
            })
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|source| crate::Error::Io {
                path: library_dir,
                source,
            })?;
        Ok(DownloadQueue { shared, workers })
    }

    /// Adds episodes to the end of the queue. Episodes already queued or under way are left
    /// alone; already downloaded ones report `done` at once. Unknown episodes or episodes with no
    /// media file are an error and nothing is queued.
    pub fn enqueue(&self, ids: &[EpisodeId]) -> Result<()> {
        let mut lib = lock(&self.shared.library);
        self.enqueue_with(&mut lib, ids)
    }

    /// Picks up what an earlier run left queued or under way (each resumes from its `.part`
    /// file), and returns those episodes. The rows are read and queued in one hold of the queue's
    /// connection, and [`DownloadQueue::pause`] marks such a download paused even before this has
    /// queued it: one the user paused or deleted first is not started again.
    pub fn resume_unfinished(&self) -> Result<Vec<EpisodeId>> {
        let mut lib = lock(&self.shared.library);
        let ids = lib.unfinished_downloads()?;
        self.enqueue_with(&mut lib, &ids)?;
        Ok(ids)
    }

    fn enqueue_with(&self, lib: &mut Library, ids: &[EpisodeId]) -> Result<()> {
        let mut fresh = Vec::new();
        {
            for &id in ids {
                lib.download_target(id)?;
            }
            let q = lock(&self.shared.queue);
            for &id in ids {
                if q.pending.contains(&id) || q.active.contains_key(&id.0) || fresh.contains(&id) {
                    continue;
                }
                if lib.downloaded_file(id)?.is_some() {
                    (self.shared.sink)(DownloadEvent::new(id, DownloadState::Done, file_len(lib, id), None));
                    continue;
                }
                fresh.push(id);
            }
            drop(q);
            for &id in &fresh {
                let bytes = part_len(lib, id);
                lib.set_download(id, DownloadState::Queued, bytes, None, None, (self.shared.clock)())?;
                (self.shared.sink)(DownloadEvent::new(id, DownloadState::Queued, bytes, None));
            }
        }
        // Still holding the connection: a pause waits until these are in the queue to take out.
        let mut q = lock(&self.shared.queue);
        q.pending.extend(fresh);
        drop(q);
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Pauses an episode's download: a queued one leaves the queue, a running one stops after its
    /// current chunk. The `.part` file stays, so enqueueing it again resumes. Returns whether there
    /// was anything to pause.
    pub fn pause(&self, id: EpisodeId) -> Result<bool> {
        // The connection first, as `enqueue` takes it: a resume in progress finishes queueing.
        let mut lib = lock(&self.shared.library);
        let mut q = lock(&self.shared.queue);
        if let Some(flag) = q.active.get(&id.0) {
            flag.store(true, Ordering::SeqCst);
            return Ok(true);
        }
        let before = q.pending.len();
        q.pending.retain(|&p| p != id);
        let removed = q.pending.len() != before;
        drop(q);
        // Not queued in this run, but an earlier run left it unfinished: paused too, so that
        // `resume_unfinished` leaves it alone.
        let paused = removed
            || lib
                .download_state(id)?
                .is_some_and(|s| matches!(s, DownloadState::Queued | DownloadState::Downloading));
        if paused {
            let bytes = part_len(&lib, id);
            lib.set_download(id, DownloadState::Paused, bytes, None, None, (self.shared.clock)())?;
            (self.shared.sink)(DownloadEvent::new(id, DownloadState::Paused, bytes, None));
        }
        Ok(paused)
    }

    /// Pauses everything: the queue empties and running transfers stop after their chunk.
    pub fn pause_all(&self) -> Result<()> {
        let ids: Vec<EpisodeId> = {
            let q = lock(&self.shared.queue);
            q.pending
                .iter()
                .copied()
                .chain(q.active.keys().map(|&k| EpisodeId(k)))
                .collect()
        };
        for id in ids {
            self.pause(id)?;
        }
        Ok(())
    }

    /// Whether this episode's transfer is running right now.
    pub fn is_active(&self, id: EpisodeId) -> bool {
        lock(&self.shared.queue).active.contains_key(&id.0)
    }

    /// Whether nothing is queued or under way.
    pub fn is_idle(&self) -> bool {
        let q = lock(&self.shared.queue);
        q.pending.is_empty() && q.active.is_empty()
    }

    /// Blocks until the queue is empty and every transfer has ended.
    pub fn wait_idle(&self) {
        let mut q = lock(&self.shared.queue);
        while !(q.pending.is_empty() && q.active.is_empty()) {
            q = self.shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Drop for DownloadQueue {
    fn drop(&mut self) {
        {
            let mut q = lock(&self.shared.queue);
            q.stopping = true;
            for flag in q.active.values() {
                flag.store(true, Ordering::SeqCst);
            }
        }
        self.shared.wake.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A poisoned lock only means another worker panicked mid-update; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DownloadEvent {
    /// An event with no rate, time left or error: a state change, or a finished file (including
    /// one kept from a stream, which the download views show like any other).
    pub fn new(id: EpisodeId, state: DownloadState, bytes: u64, total: Option<u64>) -> DownloadEvent {
        DownloadEvent {
            status: DownloadStatus::new(id, state, bytes, total),
            rate: None,
            eta_secs: None,
        }
    }
}

fn part_len(lib: &Library, id: EpisodeId) -> u64 {
    lib.download_target(id)
        .ok()
        .and_then(|(_, dest)| std::fs::metadata(part_path(&dest)).ok())
        .map_or(0, |m| m.len())
}

fn file_len(lib: &Library, id: EpisodeId) -> u64 {
    lib.downloaded_file(id)
        .ok()
        .flatten()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len())
}

fn worker(shared: &Shared) {
    loop {
        let (id, cancel) = {
            let mut q = lock(&shared.queue);
            loop {
                if q.stopping {
                    return;
                }
                if let Some(id) = q.pending.pop_front() {
                    let flag = Arc::new(AtomicBool::new(false));
                    q.active.insert(id.0, Arc::clone(&flag));
                    break (id, flag);
                }
                q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let outcome = run_one(shared, id, &cancel);
        if let Err(e) = outcome {
            tracing::warn!(episode = id.0, "could not record a download's state: {e}");
        }
        lock(&shared.queue).active.remove(&id.0);
        shared.wake.notify_all();
    }
}

fn run_one(shared: &Shared, id: EpisodeId, cancel: &AtomicBool) -> Result<()> {
    let (url, dest, expected, fetcher) = {
        let mut lib = lock(&shared.library);
        let (url, dest) = lib.download_target(id)?;
        let episode = lib.episode_unprepared(id)?.without_notes().episode;
        let expected = episode.enclosure_length.and_then(|l| u64::try_from(l).ok());
        // The feed named the media: a public feed never sends Earmark to the user's network.
        let fetcher = shared.fetcher.named_by(&lib.podcast(episode.podcast_id)?.feed_url);
        let bytes = part_len(&lib, id);
        lib.set_download(id, DownloadState::Downloading, bytes, None, None, (shared.clock)())?;
        (url, dest, expected, fetcher)
    };
    (shared.sink)(DownloadEvent::new(id, DownloadState::Downloading, 0, None));
    let started = Instant::now();
    let mut first: Option<u64> = None;
    let mut last_report = Instant::now() - PROGRESS_INTERVAL;
    let mut last_total = None;
    let result = fetcher.download_expecting(
        &url,
        &dest,
        expected,
        &mut |bytes, total| {
            last_total = total;
            let base = *first.get_or_insert(bytes);
            if last_report.elapsed() < PROGRESS_INTERVAL {
                return;
            }
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            let rate = (secs > 0.2 && bytes > base).then(|| (bytes - base) as f64 / secs);
            let eta_secs = match (rate, total) {
                (Some(r), Some(t)) if r > 0.0 => Some(t.saturating_sub(bytes) as f64 / r),
                _ => None,
            };
            (shared.sink)(DownloadEvent {
                status: DownloadStatus::new(id, DownloadState::Downloading, bytes, total),
                rate,
                eta_secs,
            });
        },
        cancel,
    );
    let mut lib = lock(&shared.library);
    let now = (shared.clock)();
    match result {
        Ok(Finished::Done { bytes }) => {
            lib.set_download(id, DownloadState::Done, bytes, Some(bytes), None, now)?;
            (shared.sink)(DownloadEvent::new(id, DownloadState::Done, bytes, Some(bytes)));
        }
        Ok(Finished::Cancelled { bytes }) => {
            lib.set_download(id, DownloadState::Paused, bytes, last_total, None, now)?;
            (shared.sink)(DownloadEvent::new(id, DownloadState::Paused, bytes, last_total));
        }
        Err(e) => {
            let bytes = std::fs::metadata(part_path(&dest)).map_or(0, |m| m.len());
            let message = e.to_string();
            let recorded = if matches!(e, crate::Error::MediaMissing { .. }) {
                lib.mark_media_missing(id, url.as_str(), &message, now)
            } else {
                lib.set_download(id, DownloadState::Failed, bytes, last_total, Some(&message), now)
            };
            // The owner hears about the failure even when it cannot be recorded (a full disk
            // refuses the database's write too).
            (shared.sink)(DownloadEvent {
                status: DownloadStatus {
                    error: Some(message),
                    ..DownloadStatus::new(id, DownloadState::Failed, bytes, last_total)
                },
                rate: None,
                eta_secs: None,
            });
            recorded?;
        }
    }
    Ok(())
}
