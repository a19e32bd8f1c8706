//! `earmark-cli auto-download PODCAST off|all|latest:N`, and the downloads `refresh` starts
//! afterwards per each podcast's policy (through the same queue and progress bars as `download`).

use std::process::ExitCode;

use anyhow::Result;
use earmark_core::config::Config;
use earmark_core::download::policy::AutoDownload;
use earmark_core::download::queue::DEFAULT_CONCURRENCY;
use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::Library;

/// Sets a podcast's policy and says what it means.
pub fn set(lib: &mut Library, podcast: i64, policy: &str) -> Result<()> {
    let policy: AutoDownload = policy.parse()?;
    lib.set_auto_download(PodcastId(podcast), policy)?;
    let title = lib.podcast(PodcastId(podcast))?.title;
    let meaning = match policy {
        AutoDownload::Off => "refreshes download nothing".to_owned(),
        AutoDownload::All => "refreshes download every new episode".to_owned(),
        AutoDownload::Latest { count } => {
            format!("refreshes keep the {count} newest episodes downloaded (unless played)")
        }
    };
    say!("{title}: auto-download {policy}: {meaning}.");
    Ok(())
}

/// Downloads what a refresh's auto-download policies asked for; success when there is nothing
/// to do.
pub fn download_wanted(lib: &Library, config: &Config, wanted: &[EpisodeId]) -> Result<ExitCode> {
    if wanted.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    say_err!("auto-download: {} episodes", wanted.len());
    crate::download::run(lib, config, wanted, DEFAULT_CONCURRENCY)
}
