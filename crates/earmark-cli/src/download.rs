//! `earmark-cli download`: fetches episodes' media into the library's media folder through the
//! download manager (a few at a time), with a progress bar per transfer; Ctrl-C pauses
//! everything and the same command later resumes where each file stopped.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use earmark_core::config::Config;
use earmark_core::download::queue::{DownloadEvent, DownloadQueue};
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::Library;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Downloads the episodes, `concurrency` at a time; exit code 2 when any failed, 130 when
/// interrupted (paused).
pub fn run(lib: &Library, config: &Config, episodes: &[EpisodeId], concurrency: usize) -> Result<ExitCode> {
    if episodes.is_empty() {
        say_err!("Nothing to download: every matching episode is already on this computer.");
        return Ok(ExitCode::SUCCESS);
    }
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    let style = ProgressStyle::with_template("{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let titles: HashMap<i64, String> = episodes
        .iter()
        .map(|&id| {
            let title = lib
                .episode_unprepared(id)
                .map(|d| d.without_notes().episode.title)
                .unwrap_or_default();
            (id.0, format!("{}: {title}", id.0))
        })
        .collect();
    let bars: Arc<Mutex<HashMap<i64, ProgressBar>>> = Arc::default();
    let failed = Arc::new(AtomicUsize::new(0));
    let sink = {
        let bars = Arc::clone(&bars);
        let failed = Arc::clone(&failed);
        let multi = multi.clone();
        move |event: DownloadEvent| {
            let e = event.status;
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            let bar = bars.entry(e.episode_id.0).or_insert_with(|| {
                let b = multi.add(ProgressBar::new(0).with_style(style.clone()));
                b.set_message(crate::term::clean(titles.get(&e.episode_id.0).map_or("", String::as_str)).into_owned());
                b
            });
            if let Some(t) = e.total {
                bar.set_length(t);
            }
            bar.set_position(e.bytes);
            let title = titles.get(&e.episode_id.0).cloned().unwrap_or_default();
            // With no terminal (a pipe, a test) indicatif draws nothing, so say it plainly.
            let say = |line: String| {
                if multi.is_hidden() {
                    say_err!("{line}");
                } else {
                    let _ = multi.println(line);
                }
            };
            match e.state {
                DownloadState::Done => {
                    bar.finish_and_clear();
                    say(format!("downloaded {title} ({} bytes)", e.bytes));
                }
                DownloadState::Failed => {
                    failed.fetch_add(1, Ordering::SeqCst);
                    bar.finish_and_clear();
                    let why = e.error.unwrap_or_default();
                    say(format!("earmark-cli: episode {title}: {why}"));
                }
                DownloadState::Paused => {
                    bar.abandon();
                }
                DownloadState::Queued | DownloadState::Downloading => {}
            }
        }
    };
    let queue = DownloadQueue::start(
        lib.dir().to_owned(),
        config.fetcher()?,
        concurrency,
        Arc::new(crate::now),
        sink,
    )?;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    }
    queue.enqueue(episodes)?;
    while !queue.is_idle() {
        if interrupted.load(Ordering::SeqCst) {
            queue.pause_all()?;
            queue.wait_idle();
            say_err!("Paused; run the same command to resume.");
            return Ok(ExitCode::from(130));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(queue);
    Ok(if failed.load(Ordering::SeqCst) > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
