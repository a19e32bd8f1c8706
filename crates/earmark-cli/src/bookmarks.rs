//! `earmark-cli bookmark …`, `earmark-cli bookmarks …` and `earmark-cli transcript`: make, change,
//! list, export and import segment bookmarks, and read an episode's transcript.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use earmark_core::bookmarks::{export, times, BookmarkEdit, BookmarkFilter, BookmarkId, BookmarkOrder, NewBookmark};
use earmark_core::config::Config;
use earmark_core::model::EpisodeId;
use earmark_core::{transcript, Library};

use crate::{now, print_json};

/// `bookmark add|edit|delete`.
#[derive(Subcommand)]
pub enum BookmarkAction {
    /// Bookmark a moment (--start) or a segment (--start and --end) of an episode.
    Add {
        /// Episode id.
        episode: i64,
        /// Where it starts: 12:30, 1:02:03.5 or seconds.
        #[arg(long, allow_hyphen_values = true)]
        start: String,
        /// Where it ends (leave out for a single moment).
        #[arg(long, allow_hyphen_values = true)]
        end: Option<String>,
        /// A short title.
        #[arg(long)]
        title: String,
        /// A longer note.
        #[arg(long, default_value = "")]
        note: String,
        /// A tag (repeat for more).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Print the bookmark as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a bookmark; only what is given changes.
    Edit {
        /// Bookmark id.
        id: i64,
        /// New start.
        #[arg(long, allow_hyphen_values = true)]
        start: Option<String>,
        /// New end.
        #[arg(long, conflicts_with = "no_end", allow_hyphen_values = true)]
        end: Option<String>,
        /// Make it a single moment (drop the end).
        #[arg(long)]
        no_end: bool,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New note.
        #[arg(long)]
        note: Option<String>,
        /// Tags, replacing all the old ones (repeat for more).
        #[arg(long = "tag", value_name = "TAG", conflicts_with = "no_tags")]
        tags: Vec<String>,
        /// Remove every tag.
        #[arg(long)]
        no_tags: bool,
        /// Print the bookmark as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a bookmark.
    Delete {
        /// Bookmark id.
        id: i64,
    },
}

/// The filters of `bookmarks` (the listing).
#[derive(Args)]
pub struct ListArgs {
    /// Only this episode's bookmarks.
    #[arg(long)]
    episode: Option<i64>,
    /// Only bookmarks with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only bookmarks whose title or note match these words.
    #[arg(long)]
    query: Option<String>,
    /// Group by podcast and episode instead of newest first.
    #[arg(long)]
    by_episode: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `bookmarks export|import`.
#[derive(Subcommand)]
pub enum BookmarksAction {
    /// Write every bookmark as Markdown, CSV or JSON.
    Export {
        /// md, csv or json.
        #[arg(long, value_enum)]
        format: Format,
        /// Where to write (stdout when absent); the file is replaced atomically.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read bookmarks from a JSON export; importing the same file twice adds nothing.
    Import {
        /// The JSON file.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Export formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Markdown, grouped by episode.
    Md,
    /// CSV with a header row.
    Csv,
    /// Versioned JSON (re-importable).
    Json,
}

/// `transcript <EPISODE>`.
#[derive(Args)]
pub struct TranscriptArgs {
    /// Episode id.
    episode: i64,
    /// Fetch it again even if stored.
    #[arg(long)]
    refresh: bool,
    /// Print the cues as JSON.
    #[arg(long)]
    json: bool,
}

fn time(flag: &str, s: &str) -> Result<f64> {
    times::parse(s).with_context(|| format!("--{flag}"))
}

fn span(start: f64, end: Option<f64>) -> String {
    match end {
        Some(e) => format!("{}–{}", times::format_precise(start), times::format_precise(e)),
        None => times::format_precise(start),
    }
}

/// Runs `bookmark add|edit|delete`.
pub fn bookmark(lib: &mut Library, action: BookmarkAction) -> Result<ExitCode> {
    match action {
        BookmarkAction::Add {
            episode,
            start,
            end,
            title,
            note,
            tags,
            json,
        } => {
            let new = NewBookmark {
                episode_id: EpisodeId(episode),
                start_secs: time("start", &start)?,
                end_secs: end.as_deref().map(|e| time("end", e)).transpose()?,
                title,
                note,
                tags,
            };
            let b = lib.add_bookmark(&new, now())?;
            if json {
                print_json(&b)?;
            } else {
                say!(
                    "Bookmark {} added: {} {}",
                    b.id.0,
                    span(b.body.start_secs, b.body.end_secs),
                    b.body.title
                );
            }
        }
        BookmarkAction::Edit {
            id,
            start,
            end,
            no_end,
            title,
            note,
            tags,
            no_tags,
            json,
        } => {
            let edit = BookmarkEdit {
                start_secs: start.as_deref().map(|s| time("start", s)).transpose()?,
                end_secs: end.as_deref().map(|e| time("end", e)).transpose()?,
                clear_end: no_end,
                title,
                note,
                tags: (no_tags || !tags.is_empty()).then_some(tags),
            };
            let b = lib.edit_bookmark(BookmarkId(id), &edit, now())?;
            if json {
                print_json(&b)?;
            } else {
                say!(
                    "Bookmark {} is now: {} {}",
                    b.id.0,
                    span(b.body.start_secs, b.body.end_secs),
                    b.body.title
                );
            }
        }
        BookmarkAction::Delete { id } => {
            lib.delete_bookmark(BookmarkId(id))?;
            say!("Bookmark {id} deleted.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `bookmarks` (the listing) or `bookmarks export|import`.
pub fn bookmarks(lib: &mut Library, action: Option<BookmarksAction>, list: ListArgs) -> Result<ExitCode> {
    match action {
        None => {
            let rows = lib.bookmarks(&BookmarkFilter {
                episode_id: list.episode.map(EpisodeId),
                tag: list.tag,
                query: list.query,
                order: if list.by_episode {
                    BookmarkOrder::Episode
                } else {
                    BookmarkOrder::Date
                },
                ..BookmarkFilter::default()
            })?;
            if list.json {
                let plain: Vec<_> = rows.into_iter().map(|r| r.bookmark).collect();
                print_json(&plain)?;
            } else if rows.is_empty() {
                say!("No bookmarks. Make one with: earmark-cli bookmark add EPISODE --start 12:30 --title T");
            } else {
                for r in rows {
                    let b = &r.bookmark;
                    let tags = if b.body.tags.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", b.body.tags.join(", "))
                    };
                    say!(
                        "{:>5}  {:<19} {}{tags}\n       {} — {} (episode {})",
                        b.id.0,
                        span(b.body.start_secs, b.body.end_secs),
                        b.body.title,
                        r.podcast_title,
                        r.episode_title,
                        b.episode_id.0
                    );
                }
            }
        }
        Some(BookmarksAction::Export { format, out }) => {
            let text = match format {
                Format::Md => export::to_markdown(lib, now())?,
                Format::Csv => export::to_csv(lib)?,
                Format::Json => export::to_json(lib, now())?,
            };
            match out {
                Some(path) => write_atomically(&path, text.as_bytes())?,
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                }
            }
        }
        Some(BookmarksAction::Import { file, json }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = export::import_json(lib, &text)?;
            if json {
                print_json(&report)?;
            } else {
                say!(
                    "{} added, {} updated, {} already up to date",
                    report.added,
                    report.updated,
                    report.skipped
                );
                for m in &report.missing_episodes {
                    say!(
                        "not imported: {} bookmark(s) of \"{}\" ({} in {}): the episode is not in this library",
                        m.bookmarks,
                        m.title,
                        m.guid,
                        m.podcast_feed_url
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`, so a
/// reader never sees half a file and a crash leaves the old file whole.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all().with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Runs `transcript <EPISODE>`: fetches it when not stored (or with --refresh), then prints it.
pub fn transcript(lib: &mut Library, config: &Config, args: TranscriptArgs) -> Result<ExitCode> {
    let fetcher = config.fetcher()?;
    let cues = transcript::ensure_transcript(lib, &fetcher, EpisodeId(args.episode), args.refresh, now())?;
    if args.json {
        print_json(&cues)?;
    } else {
        let mut out = std::io::stdout().lock();
        for c in cues {
            match &c.speaker {
                Some(s) => writeln!(
                    out,
                    "[{}] {}: {}",
                    times::format_hms(c.start_secs),
                    crate::term::clean(s),
                    crate::term::clean(&c.text)
                )?,
                None => writeln!(
                    out,
                    "[{}] {}",
                    times::format_hms(c.start_secs),
                    crate::term::clean(&c.text)
                )?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
