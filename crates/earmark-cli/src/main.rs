//! `earmark-cli`: everything Earmark does, from a terminal. Each subcommand parses its arguments,
//! calls earmark-core once, and prints the result (as JSON with `--json`). Errors go to stderr
//! with a non-zero exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use earmark_core::config::Config;
use earmark_core::model::{DownloadRow, EpisodeId, PodcastId, RefreshStatus};
use earmark_core::{opml, refresh, resolve, search, Library};

/// `println!` for a person: the line is made safe for a terminal first (see `term`).
macro_rules! say {
    ($($arg:tt)*) => { $crate::term::say(format_args!($($arg)*)) };
}

/// `eprintln!` for a person, made safe for a terminal like `say!`.
macro_rules! say_err {
    ($($arg:tt)*) => { $crate::term::say_err(format_args!($($arg)*)) };
}

mod auto_download;
mod bookmarks;
mod clip;
mod docs;
mod download;
mod links;
mod local;
mod play;
mod playlist;
mod share;
mod sound;
mod stats;
mod storage;
mod sync;
mod term;

/// The one place the CLI reads the clock; the library takes time as an argument.
fn now() -> earmark_core::chrono::DateTime<earmark_core::chrono::Utc> {
    earmark_core::chrono::Utc::now()
}

#[derive(Parser)]
#[command(
    name = "earmark-cli",
    version,
    about = "Earmark: a podcast and media archive, from the terminal"
)]
struct Cli {
    /// The library folder (default: the platform data dir, e.g. ~/.local/share/earmark).
    #[arg(long, global = true, env = "EARMARK_LIBRARY", value_name = "DIR")]
    library: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Subscribe to a podcast by feed URL, web page, Apple Podcasts URL or id.
    Subscribe {
        /// What to subscribe to.
        #[arg(required_unless_present = "default", conflicts_with = "default")]
        input: Option<String>,
        /// Subscribe to the default podcast (Voice of the Child, Apple Podcasts id 1505737900).
        #[arg(long)]
        default: bool,
        #[arg(long)]
        json: bool,
    },
    /// Unsubscribe: the podcast is no longer refreshed (and other devices hear of it through sync);
    /// its episodes, positions, bookmarks and links stay. `subscribe` takes it back.
    Unsubscribe {
        /// Podcast id.
        podcast: i64,
    },
    /// Keep listening state and subscriptions in step with other apps through a gPodder sync
    /// server or a Nextcloud with gPodder Sync: `sync login`, `sync`, `sync status`, `sync logout`.
    Sync(sync::SyncArgs),
    /// Share subscriptions, bookmarks, link decisions, tags, blogs and pages with a team through a shared folder:
    /// `share create FOLDER --name NAME`, `share join FOLDER`, `share sync`, `share status`, `share leave`.
    Share(share::ShareArgs),
    /// List subscribed podcasts.
    Podcasts {
        #[arg(long)]
        json: bool,
    },
    /// List episodes, newest first.
    Episodes {
        /// Only this podcast's episodes.
        #[arg(long)]
        podcast: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Show one episode with its show notes.
    Show {
        /// Episode id.
        episode: i64,
        #[arg(long)]
        json: bool,
    },
    /// Fetch every feed again (only what changed is downloaded).
    Refresh {
        /// Only this podcast.
        #[arg(long)]
        podcast: Option<i64>,
        /// Feeds fetched at once.
        #[arg(long, default_value_t = refresh::DEFAULT_CONCURRENCY)]
        concurrency: usize,
        #[arg(long)]
        json: bool,
    },
    /// Search episode titles, show notes and podcast titles.
    Search {
        /// Words to find (all must match; prefixes match).
        query: String,
        /// How many results at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Play an episode's local media through the audio device, resuming where you stopped.
    Play {
        /// Episode id.
        episode: i64,
        /// Start here (e.g. 12:30, 1:02:03 or seconds) instead of the saved position.
        #[arg(long)]
        from: Option<String>,
        /// Stop here.
        #[arg(long)]
        to: Option<String>,
        /// Speed from 0.5 to 3.0; the pitch is kept.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
    /// Download episodes for offline listening (resumes partial downloads).
    Download {
        /// Episode ids.
        #[arg(required_unless_present_any = ["new", "podcast"])]
        episodes: Vec<i64>,
        /// Every new episode (never started, not played) that is not downloaded yet.
        #[arg(long, conflicts_with = "episodes")]
        new: bool,
        /// Every episode of this podcast that is not downloaded yet (with --new: only its new ones).
        #[arg(long, conflicts_with = "episodes")]
        podcast: Option<i64>,
        /// Transfers at once.
        #[arg(long, default_value_t = earmark_core::download::queue::DEFAULT_CONCURRENCY)]
        concurrency: usize,
    },
    /// Write the whole library (a consistent snapshot, the downloaded media and a manifest with
    /// checksums) to a new folder; safe while the app runs.
    Export {
        /// The folder to create (it must not exist, or be empty), or a new `.tar` file.
        dir: PathBuf,
    },
    /// Restore an export into the library folder (--library or EARMARK_LIBRARY), which must not
    /// hold a library yet; every checksum is verified first.
    Import {
        /// The export: a folder, or a `.tar` file.
        dir: PathBuf,
    },
    /// List downloads.
    Downloads {
        #[arg(long)]
        json: bool,
    },
    /// Delete an episode's downloaded file (the episode, its position and notes stay).
    DeleteDownload {
        /// Episode id.
        episode: i64,
    },
    /// Choose what refreshes download for a podcast: off, all (every new episode) or latest:N
    /// (the N newest, unless played).
    AutoDownload {
        /// Podcast id.
        podcast: i64,
        /// off, all or latest:N.
        policy: String,
    },
    /// Import audio and video files, or whole folders, from this computer as a podcast of their
    /// own (titles, dates and cover from the files' tags). Files are copied into the library unless
    /// --reference; importing more under the same name adds to it.
    ImportLocal {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The podcast's name (default: the album the files share, else the folder's name).
        #[arg(long)]
        name: Option<String>,
        /// Play the files from where they are instead of copying them (moving them later breaks this).
        #[arg(long)]
        reference: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a local podcast's episodes whose files were moved or deleted (exit code 2 when any).
    Missing {
        /// Podcast id.
        podcast: i64,
        #[arg(long)]
        json: bool,
    },
    /// Listening statistics: time listened per podcast, month and year, episodes finished, and the
    /// time speed and trimmed silence saved (counted from playback, not from positions).
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Show or change how a podcast sounds: --trim-silence on|off shortens its long silences,
    /// --boost DB (0-12) turns a quiet show up; --even-loudness on|off is the library's choice to
    /// bring every episode to -16 LUFS.
    Sound {
        /// Podcast id.
        #[arg(long)]
        podcast: Option<i64>,
        /// on or off.
        #[arg(long, value_name = "on|off")]
        trim_silence: Option<String>,
        /// Volume boost in dB, 0-12.
        #[arg(long, value_name = "DB")]
        boost: Option<f64>,
        /// on: the app plays this podcast's video episodes as sound only.
        #[arg(long, value_name = "on|off")]
        sound_only: Option<String>,
        /// on or off.
        #[arg(long, value_name = "on|off")]
        even_loudness: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Measure episodes' loudness (EBU R128) from their downloaded files and keep it, so they
    /// play at an even level (downloads are measured as they finish).
    Loudness {
        /// Episode ids.
        #[arg(required = true)]
        episodes: Vec<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Space used by each podcast's downloads.
    Storage {
        #[arg(long)]
        json: bool,
    },
    /// Show the folder downloads live in, or move every download to PATH and use it from now on.
    MediaFolder {
        /// The new media folder (created if needed).
        path: Option<PathBuf>,
    },
    /// Show or change how far skip back and skip forward jump (the app's buttons, arrow keys and
    /// the desktop's media controls use them).
    SkipLengths {
        /// Seconds "skip back" goes (1-600).
        #[arg(long)]
        back: Option<u32>,
        /// Seconds "skip forward" goes (1-600).
        #[arg(long)]
        forward: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Playlists beside "up next": ordered by hand, or smart (saved filters); play one through.
    Playlist {
        #[command(subcommand)]
        action: playlist::PlaylistAction,
    },
    /// Show or change "up next", the episodes the app plays after the current one.
    Queue {
        #[command(subcommand)]
        action: Option<QueueAction>,
        #[arg(long)]
        json: bool,
    },
    /// Mark an episode played or unplayed.
    Mark {
        /// Episode id.
        episode: i64,
        /// played or unplayed.
        #[arg(value_parser = ["played", "unplayed"])]
        state: String,
    },
    /// Recompute automatic links between episodes and posts/pages (decisions people made are kept).
    Relink {
        /// Only these episodes (repeatable).
        #[arg(long = "episode")]
        episodes: Vec<i64>,
        /// Only episodes never linked or changed since (everything when documents changed).
        #[arg(long, conflicts_with = "episodes")]
        new: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the posts and pages linked to an episode, with reasons.
    Links {
        /// Episode id.
        episode: i64,
        #[arg(long)]
        json: bool,
    },
    /// Link a post or page to an episode by hand.
    Link {
        /// Episode id.
        episode: i64,
        /// Document id.
        doc: i64,
        /// Why (shown beside the link).
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a link (an automatic one is marked rejected so it does not come back).
    Unlink {
        /// Episode id.
        episode: i64,
        /// Document id.
        doc: i64,
    },
    /// Accept a suggested link.
    Accept {
        /// Episode id.
        episode: i64,
        /// Document id.
        doc: i64,
    },
    /// Reject a suggested link; it is never suggested again.
    Reject {
        /// Episode id.
        episode: i64,
        /// Document id.
        doc: i64,
    },
    /// Pending link suggestions, strongest first.
    Review {
        /// How many at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// List the episodes linked to a post or page.
    DocLinks {
        /// Document id.
        doc: i64,
        #[arg(long)]
        json: bool,
    },
    /// Import or export subscriptions as OPML.
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
    /// Add or refresh a blog source (a WordPress site's whole archive).
    Source {
        #[command(subcommand)]
        action: docs::SourceAction,
    },
    /// List blog sources.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// Add web pages by URL.
    Page {
        #[command(subcommand)]
        action: docs::PageAction,
    },
    /// List posts and pages, newest first (or a campaign's, in its order).
    Docs(docs::DocsArgs),
    /// Show one post or page.
    Doc(docs::DocArgs),
    /// List campaigns.
    Campaigns {
        #[arg(long)]
        json: bool,
    },
    /// Put episodes in a campaign, or show one.
    Campaign {
        #[command(subcommand)]
        action: docs::CampaignAction,
    },
    /// Tag an episode or a document.
    Tag(docs::TagArgs),
    /// Remove tags from an episode or a document.
    Untag(docs::TagArgs),
    /// Add, edit or delete a bookmark (a moment or a segment of an episode).
    Bookmark {
        #[command(subcommand)]
        action: bookmarks::BookmarkAction,
    },
    /// List bookmarks (filters below), or export / import them.
    Bookmarks {
        #[command(subcommand)]
        action: Option<bookmarks::BookmarksAction>,
        #[command(flatten)]
        list: bookmarks::ListArgs,
    },
    /// Cut a bookmarked segment out of the episode as a WAV or FLAC file (sample-accurate).
    Clip {
        /// Bookmark id.
        bookmark: i64,
        /// The file to write: .wav or .flac.
        #[arg(long)]
        out: PathBuf,
        /// End in seconds, for a bookmark that is a moment (or to cut a different end).
        #[arg(long)]
        end: Option<f64>,
    },
    /// Print an episode's transcript, fetching it first when it is not stored.
    Transcript(bookmarks::TranscriptArgs),
}

#[derive(Subcommand)]
enum QueueAction {
    /// Add episodes at the end (or first, with --next).
    Add {
        /// Episode ids.
        #[arg(required = true)]
        episodes: Vec<i64>,
        /// Put them first.
        #[arg(long)]
        next: bool,
    },
    /// Take an episode off the queue.
    Remove {
        /// Episode id.
        episode: i64,
    },
    /// Move a queued episode to a place (1 = first).
    Move {
        /// Episode id.
        episode: i64,
        /// The new place, counting from 1.
        position: usize,
    },
    /// Empty the queue.
    Clear,
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Subscribe to every feed in an OPML file, then fetch them.
    Import {
        /// The OPML file.
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Write subscriptions as OPML to FILE, or to stdout.
    Export {
        /// Where to write (stdout when absent).
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("EARMARK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            say_err!("earmark-cli: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::from_env(cli.library)?;
    // Import creates the library folder itself, so it runs before anything opens one there.
    if let Command::Import { dir } = &cli.command {
        let report = earmark_core::backup::import(dir, &config.library_dir)?;
        say!(
            "Imported {} files ({} bytes) into {}",
            report.files,
            report.bytes,
            config.library_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut lib = open_library(&config)?;
    match cli.command {
        Command::Sync(args) => return sync::run(&mut lib, &config, args),
        Command::Share(args) => return share::run(&mut lib, args),
        Command::Unsubscribe { podcast } => {
            let p = lib.podcast(PodcastId(podcast))?;
            if lib.set_subscribed(p.id, false, now())? {
                say!(
                    "Unsubscribed from {}; its episodes and everything made about them stay",
                    p.title
                );
            } else {
                say!("{} was already unsubscribed", p.title);
            }
        }
        Command::Subscribe { input, default, json } => {
            let input = if default {
                resolve::DEFAULT_PODCAST_ID.to_string()
            } else {
                input.unwrap_or_default()
            };
            let sub = resolve::subscribe(&mut lib, &config.resolver()?, &input, now())?;
            if json {
                print_json(&sub)?;
            } else if sub.created {
                say!(
                    "Subscribed to {} ({} episodes) [podcast {}]",
                    sub.podcast.title,
                    sub.podcast.episode_count,
                    sub.podcast.id.0
                );
            } else {
                say!(
                    "Already subscribed to {}; refreshed ({} new episodes)",
                    sub.podcast.title,
                    sub.new_episodes
                );
            }
        }
        Command::Podcasts { json } => {
            let podcasts = lib.podcasts()?;
            if json {
                print_json(&podcasts)?;
            } else if podcasts.is_empty() {
                say!("No podcasts yet. Try: earmark-cli subscribe --default");
            } else {
                for p in podcasts {
                    let status = match (&p.last_error, p.gone) {
                        (_, true) => " [gone]".to_owned(),
                        (Some(e), _) => format!(" [error: {e}]"),
                        _ => String::new(),
                    };
                    say!("{:>5}  {}  ({} episodes){}", p.id.0, p.title, p.episode_count, status);
                }
            }
        }
        Command::Episodes { podcast, json } => {
            let episodes = lib.episodes(podcast.map(PodcastId))?;
            if json {
                print_json(&episodes)?;
            } else {
                for e in episodes {
                    let date = e
                        .published
                        .as_deref()
                        .map_or("unknown date", |d| d.get(..10).unwrap_or(d));
                    let dur = e.duration_secs.map(fmt_duration).unwrap_or_default();
                    let gone = if e.in_feed { "" } else { "  [no longer in feed]" };
                    say!("{:>6}  {date}  {dur:>8}  {}{gone}", e.id.0, e.title);
                }
            }
        }
        Command::Show { episode, json } => {
            let d = lib.episode(EpisodeId(episode))?;
            if json {
                print_json(&d)?;
            } else {
                say!("{}\n{}", d.episode.title, d.podcast_title);
                if let Some(p) = &d.episode.published {
                    say!("Published {p}");
                }
                say!("\n{}", earmark_core::html::to_text(&d.notes_html));
            }
        }
        Command::Refresh {
            podcast,
            concurrency,
            json,
        } => {
            let ids = podcast.map(|p| vec![PodcastId(p)]);
            let outcome = refresh_with_progress(&mut lib, &config, ids.as_deref(), concurrency)?;
            for problem in &outcome.problems {
                say_err!("earmark-cli: {problem}");
            }
            let reports = outcome.reports;
            let failed = reports.iter().filter(|r| r.status == RefreshStatus::Error).count();
            if json {
                print_json(&reports)?;
            } else {
                for r in &reports {
                    match r.status {
                        RefreshStatus::Updated => {
                            say!("updated       {}: {} new, {} changed", r.title, r.new, r.updated)
                        }
                        RefreshStatus::NotModified => say!("not modified  {}", r.title),
                        RefreshStatus::Error => {
                            say!("error         {}: {}", r.title, r.error.as_deref().unwrap_or(""))
                        }
                    }
                }
            }
            let downloaded = auto_download::download_wanted(&lib, &config, &outcome.to_download)?;
            if failed > 0 {
                say_err!("earmark-cli: {failed} of {} feeds failed to refresh", reports.len());
                return Ok(ExitCode::from(2));
            }
            return Ok(downloaded);
        }
        Command::Search { query, limit, json } => {
            let hits = search::search(&lib, &query, limit)?;
            if json {
                print_json(&hits)?;
            } else if hits.is_empty() {
                say!("Nothing found for {query:?}.");
            } else {
                for h in hits {
                    say!(
                        "{:<8} {:>6}  {}\n                 {}",
                        format!("{:?}", h.kind).to_lowercase(),
                        h.id,
                        h.title,
                        h.snippet
                    );
                }
            }
        }
        Command::Play {
            episode,
            from,
            to,
            speed,
        } => {
            return play::run(&mut lib, EpisodeId(episode), from.as_deref(), to.as_deref(), speed);
        }
        Command::Download {
            episodes,
            new,
            podcast,
            concurrency,
        } => {
            let ids: Vec<EpisodeId> = if new || podcast.is_some() {
                lib.undownloaded_episodes(podcast.map(PodcastId), new)?
            } else {
                episodes.into_iter().map(EpisodeId).collect()
            };
            let code = download::run(&lib, &config, &ids, concurrency)?;
            // What arrived is measured now, so it plays at an even level from the first listen.
            let arrived: Vec<EpisodeId> = ids
                .into_iter()
                .filter(|id| matches!(lib.downloaded_file(*id), Ok(Some(_))))
                .filter(|id| matches!(lib.loudness(*id), Ok(None)))
                .collect();
            sound::measure(&mut lib, &arrived, true)?;
            return Ok(code);
        }
        Command::Export { dir } => {
            let report = earmark_core::backup::export(&lib, &dir, now())?;
            say!(
                "Exported {} files ({} bytes) to {}",
                report.files,
                report.bytes,
                dir.display()
            );
        }
        Command::Import { .. } => anyhow::bail!("import runs before a library is opened"),
        Command::Downloads { json } => {
            let rows = lib.downloads()?;
            if json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                say!("No downloads yet. Try: earmark-cli download EPISODE");
            } else {
                for DownloadRow { status: r, path } in rows {
                    let size = r
                        .total
                        .map_or(format!("{} B", r.bytes), |t| format!("{}/{} B", r.bytes, t));
                    let err = r.error.map(|e| format!("  ({e})")).unwrap_or_default();
                    say!(
                        "{:>6}  {:<11} {size:>22}  {}{err}",
                        r.episode_id.0,
                        r.state.as_str(),
                        path
                    );
                }
            }
        }
        Command::DeleteDownload { episode } => {
            if lib.delete_download(EpisodeId(episode))? {
                say!("Deleted the download of episode {episode}; the episode stays in the library.");
            } else {
                say!("Episode {episode} has no download.");
            }
        }
        Command::Queue { action, json } => {
            match action {
                Some(QueueAction::Add { episodes, next }) => {
                    let ids: Vec<EpisodeId> = episodes.into_iter().map(EpisodeId).collect();
                    lib.queue_add(&ids, next)?;
                }
                Some(QueueAction::Remove { episode }) => lib.queue_remove(EpisodeId(episode))?,
                Some(QueueAction::Move { episode, position }) => {
                    lib.queue_move(EpisodeId(episode), position.saturating_sub(1))?
                }
                Some(QueueAction::Clear) => lib.queue_clear()?,
                None => {}
            }
            let queue = lib.queue()?;
            if json {
                print_json(&queue)?;
            } else if queue.is_empty() {
                say!("The queue is empty. Add episodes with: earmark-cli queue add EPISODE");
            } else {
                for (i, e) in queue.iter().enumerate() {
                    say!("{:>3}. {:>6}  {}", i + 1, e.id.0, e.title);
                }
            }
        }
        Command::AutoDownload { podcast, policy } => auto_download::set(&mut lib, podcast, &policy)?,
        Command::Storage { json } => storage::storage(&lib, json)?,
        Command::Stats { json } => stats::show(&lib, json)?,
        Command::ImportLocal {
            paths,
            name,
            reference,
            json,
        } => local::import(&mut lib, &paths, name.as_deref(), reference, json)?,
        Command::Missing { podcast, json } => return local::missing(&lib, podcast, json),
        Command::Sound {
            podcast,
            trim_silence,
            boost,
            sound_only,
            even_loudness,
            json,
        } => sound::sound(
            &mut lib,
            podcast,
            trim_silence.as_deref(),
            boost,
            sound_only.as_deref(),
            even_loudness.as_deref(),
            json,
        )?,
        Command::Loudness { episodes, json } => return sound::loudness(&mut lib, &episodes, json),
        Command::Playlist { action } => return playlist::run(&mut lib, action),
        Command::SkipLengths { back, forward, json } => {
            let now = if back.is_some() || forward.is_some() {
                lib.set_skip_lengths(back, forward)?
            } else {
                lib.skip_lengths()?
            };
            if json {
                print_json(&now)?;
            } else {
                say!("Skip back {} s, skip forward {} s.", now.back_secs, now.forward_secs);
            }
        }
        Command::MediaFolder { path } => storage::media_folder(&mut lib, path.as_deref())?,
        Command::Mark { episode, state } => {
            // As in the app: a played episode starts from the top next time.
            if state == "played" {
                lib.finish_episode(EpisodeId(episode), now())?;
            } else {
                lib.set_played(EpisodeId(episode), false, now())?;
            }
            say!("Episode {episode} marked {state}.");
        }
        Command::Relink { episodes, new, json } => links::relink(&mut lib, &episodes, new, json)?,
        Command::Links { episode, json } => links::links(&lib, episode, json)?,
        Command::Link { episode, doc, note } => links::link(&mut lib, episode, doc, note.as_deref())?,
        Command::Unlink { episode, doc } => links::unlink(&mut lib, episode, doc)?,
        Command::Accept { episode, doc } => links::accept(&mut lib, episode, doc)?,
        Command::Reject { episode, doc } => links::reject(&mut lib, episode, doc)?,
        Command::Review { limit, json } => links::review(&lib, limit, json)?,
        Command::DocLinks { doc, json } => links::doc_links(&lib, doc, json)?,
        Command::Opml {
            action: OpmlAction::Import { file, json },
        } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let outlines = opml::parse(&bytes)?;
            let imported = opml::import(&mut lib, &outlines, now())?;
            let added = imported.added;
            let reports = if added.is_empty() {
                Vec::new()
            } else {
                refresh_with_progress(&mut lib, &config, Some(&added), refresh::DEFAULT_CONCURRENCY)?.reports
            };
            if json {
                print_json(&reports)?;
            } else {
                say!(
                    "{} feeds in the file, {} new subscriptions",
                    outlines.len(),
                    added.len()
                );
                if !imported.skipped_local.is_empty() {
                    say!(
                        "  {} left out: they name files on this computer, and an OPML file may come from anyone \
                         (subscribe to a local feed by choosing it: earmark-cli subscribe PATH)",
                        imported.skipped_local.len()
                    );
                }
                for r in reports.iter().filter(|r| r.status == RefreshStatus::Error) {
                    say!("  could not fetch {}: {}", r.title, r.error.as_deref().unwrap_or(""));
                }
            }
        }
        Command::Source { action } => return docs::source(&mut lib, &config, action),
        Command::Sources { json } => return docs::sources(&lib, json),
        Command::Page { action } => return docs::page(&mut lib, &config, action),
        Command::Docs(args) => return docs::list(&lib, args),
        Command::Doc(args) => return docs::show(&lib, args),
        Command::Campaigns { json } => return docs::campaigns(&lib, json),
        Command::Campaign { action } => return docs::campaign(&mut lib, action),
        Command::Tag(args) => return docs::tag(&mut lib, args, true),
        Command::Untag(args) => return docs::tag(&mut lib, args, false),
        Command::Bookmark { action } => return bookmarks::bookmark(&mut lib, action),
        Command::Bookmarks { action, list } => return bookmarks::bookmarks(&mut lib, action, list),
        Command::Clip { bookmark, out, end } => clip::run(&lib, bookmark, &out, end)?,
        Command::Transcript(args) => return bookmarks::transcript(&mut lib, &config, args),
        Command::Opml {
            action: OpmlAction::Export { file },
        } => {
            let text = opml::export(&lib, now())?;
            match file {
                Some(path) => std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the library; an upgrade of its schema (seconds on a big library, once) shows a spinner
/// on a terminal instead of a silent wait.
fn open_library(config: &Config) -> Result<Library> {
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let lib = Library::open_reporting(&config.library_dir, &mut |u| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!(
            "upgrading the library from schema {} to {} (once; a big library takes a few seconds)",
            u.from, u.to
        ));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner = Some(bar);
    })
    .with_context(|| format!("opening the library in {}", config.library_dir.display()));
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    lib
}

/// Refreshes feeds with a progress bar on stderr (drawn only on a terminal).
/// The library's one refresh (feeds, then blogs when refreshing all, relinking and the
/// auto-download list), with a progress bar over the feeds.
fn refresh_with_progress(
    lib: &mut Library,
    config: &Config,
    ids: Option<&[PodcastId]>,
    concurrency: usize,
) -> Result<earmark_core::refresh_all::RefreshOutcome> {
    let fetcher = config.fetcher()?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} refreshing {pos}/{len} [{bar:30}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let outcome =
        earmark_core::refresh_all::refresh_all(lib, &fetcher, ids, concurrency, now(), &mut |done, total, r| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(term::clean(&r.title).into_owned());
        })?;
    bar.finish_and_clear();
    Ok(outcome)
}

fn fmt_duration(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
