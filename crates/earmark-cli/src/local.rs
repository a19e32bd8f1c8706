//! `earmark-cli import-local`: audio and video files or folders from this computer as a podcast
//! of their own, named from the files' tags; and `earmark-cli missing`, which lists the
//! referenced files that were moved or deleted.

use std::path::PathBuf;

use anyhow::{bail, Result};
use earmark_core::local_import::{media_files, Keep, LocalFile};
use earmark_core::model::PodcastId;
use earmark_core::Library;

use crate::now;

/// A file's modification time, for files whose tags carry no date.
pub fn modified(path: &std::path::Path) -> Option<earmark_core::chrono::DateTime<earmark_core::chrono::Utc>> {
    let t = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    Some(earmark_core::chrono::DateTime::<earmark_core::chrono::Utc>::from(t))
}

/// Imports `paths` (files or folders) as the local podcast `name` (default: the album tag the
/// files share, else the first folder's name).
pub fn import(lib: &mut Library, paths: &[PathBuf], name: Option<&str>, reference: bool, json: bool) -> Result<()> {
    let (found, mut skipped) = media_files(paths);
    if found.is_empty() {
        for s in &skipped {
            say_err!("earmark-cli: {s}");
        }
        bail!("no audio or video files found in what was given");
    }
    let files = earmark_shell::with_tags(found);
    let name = match name {
        Some(n) => n.to_owned(),
        None => default_name(&files, paths),
    };
    let keep = if reference { Keep::Reference } else { Keep::Copy };
    let mut report = lib.import_local(&name, files, keep, modified, now())?;
    skipped.append(&mut report.skipped);
    report.skipped = skipped;
    if json {
        return crate::print_json(&report);
    }
    say!(
        "{}: {} added, {} already there (podcast {}){}",
        report.title,
        report.added,
        report.already,
        report.podcast_id.0,
        if reference {
            "; played from where they are"
        } else {
            "; copied into the library"
        }
    );
    for s in &report.skipped {
        say_err!("skipped {s}");
    }
    Ok(())
}

/// The album all the files share, else the name of the first folder (or file) given.
fn default_name(files: &[LocalFile], paths: &[PathBuf]) -> String {
    let album = files.first().and_then(|f| f.tags.album.clone());
    if album.is_some() && files.iter().all(|f| f.tags.album == album) {
        if let Some(a) = album {
            return a;
        }
    }
    paths
        .first()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| {
            if p.is_dir() {
                p.file_name().map(|n| n.to_string_lossy().into_owned())
            } else {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            }
        })
        .unwrap_or_else(|| "My files".into())
}

/// Lists the episodes of a podcast whose own file is gone; exit code 2 when any is.
pub fn missing(lib: &Library, podcast: i64, json: bool) -> Result<std::process::ExitCode> {
    let gone = lib.missing_local_files(PodcastId(podcast))?;
    if json {
        let rows: Vec<_> = gone
            .iter()
            .map(|(id, p)| serde_json::json!({ "episode_id": id.0, "path": p.display().to_string() }))
            .collect();
        crate::print_json(&rows)?;
    } else if gone.is_empty() {
        say!("Every file is where it was.");
    } else {
        for (id, p) in &gone {
            say!("{:>6}  gone from {}", id.0, p.display());
        }
    }
    Ok(if gone.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(2)
    })
}
