//! `earmark-cli download`: fetches episodes' media into the library's media folder, one at a
//! time, with a progress bar each; an interrupted run resumes where it stopped.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use earmark_core::config::Config;
use earmark_core::download::Finished;
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::Library;

use crate::now;

/// Downloads each episode in turn; exit code 2 when any failed.
pub fn run(lib: &mut Library, config: &Config, episodes: &[i64]) -> Result<ExitCode> {
    let fetcher = config.fetcher()?;
    std::fs::create_dir_all(lib.media_dir()).with_context(|| format!("creating {}", lib.media_dir().display()))?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&cancel);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    }
    let mut failed = 0;
    for &ep in episodes {
        let id = EpisodeId(ep);
        let (url, dest) = lib.download_target(id)?;
        if lib.downloaded_file(id)?.is_some() {
            eprintln!("episode {ep}: already downloaded ({})", dest.display());
            continue;
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("episode {ep}"));
        lib.set_download(id, DownloadState::Downloading, 0, None, None, now())?;
        let result = fetcher.download(
            &url,
            &dest,
            &mut |bytes, total| {
                if let Some(t) = total {
                    bar.set_length(t);
                }
                bar.set_position(bytes);
            },
            &cancel,
        );
        bar.finish_and_clear();
        match result {
            Ok(Finished::Done { bytes }) => {
                lib.set_download(id, DownloadState::Done, bytes, Some(bytes), None, now())?;
                eprintln!("episode {ep}: downloaded {bytes} bytes to {}", dest.display());
            }
            Ok(Finished::Cancelled { bytes }) => {
                lib.set_download(id, DownloadState::Paused, bytes, None, None, now())?;
                eprintln!("episode {ep}: paused at {bytes} bytes; run the same command to resume");
                return Ok(ExitCode::from(130));
            }
            Err(e) => {
                failed += 1;
                let bytes = std::fs::metadata(earmark_core::download::part_path(&dest))
                    .map(|m| m.len())
                    .unwrap_or(0);
                lib.set_download(id, DownloadState::Failed, bytes, None, Some(&e.to_string()), now())?;
                eprintln!("earmark-cli: episode {ep}: {e}");
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
