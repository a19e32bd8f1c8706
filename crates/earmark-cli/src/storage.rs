//! `earmark-cli storage` (space used by each podcast's downloads) and `earmark-cli media-folder`
//! (show the folder downloads live in, or move them all to another one).

use std::path::Path;

use anyhow::{Context, Result};
use earmark_core::Library;

/// Prints the space each podcast's downloads take, largest first, with a total.
pub fn storage(lib: &Library, json: bool) -> Result<()> {
    let rows = lib.storage_by_podcast()?;
    if json {
        return crate::print_json(&rows);
    }
    if rows.is_empty() {
        say!("Nothing downloaded yet. Try: earmark-cli download EPISODE");
        return Ok(());
    }
    for r in &rows {
        say!(
            "{:>5}  {:>10}  {:>4} files  {}",
            r.podcast_id.0,
            human(r.bytes),
            r.files,
            r.title
        );
    }
    let (files, bytes) = rows.iter().fold((0, 0), |(f, b), r| (f + r.files, b + r.bytes));
    say!("total  {:>10}  {files:>4} files", human(bytes));
    Ok(())
}

/// Shows the media folder, or moves every download to `path` and makes it the media folder.
pub fn media_folder(lib: &mut Library, path: Option<&Path>) -> Result<()> {
    let Some(path) = path else {
        let folder = lib.media_folder()?;
        say!("{}", folder.path);
        if let Some(to) = folder.moving_to {
            say_err!("A move to {to} was interrupted; run `earmark-cli media-folder {to}` to finish it.");
        }
        return Ok(());
    };
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .context("reading the current folder")?
            .join(path)
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("moving {pos}/{len} [{bar:30}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let result = lib.set_media_dir(&absolute, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = result.with_context(|| {
        format!(
            "moving the downloads to {} stopped; every file is still found, and running the same command \
             again finishes the move",
            absolute.display()
        )
    })?;
    say!(
        "Moved {} files ({}) to {}; it is now the media folder.",
        report.files,
        human(report.bytes),
        lib.media_dir().display()
    );
    Ok(())
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}
