//! Importing audio and video files or folders from this computer as a local podcast, for the
//! window: the core does the import; the player reads each file's tags.

use earmark_core::ErrorCode;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use earmark_core::local_import::{media_files, Keep, LocalReport};
use tauri::State;

use crate::access::{blocking, lock, now, Res};
use crate::ipc::ApiError;
use crate::AppState;

/// Imports the files and folders at `paths` (absolute, or starting `~/`) as the local podcast
/// `name`, copying them into the library unless `reference`.
#[tauri::command]
pub async fn import_local(
    state: State<'_, Arc<AppState>>,
    paths: Vec<String>,
    name: String,
    reference: bool,
) -> Res<LocalReport> {
    let state = Arc::clone(&state);
    blocking(move || {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let paths: Vec<PathBuf> = paths
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| match (p.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => h.join(rest),
                _ => PathBuf::from(p),
            })
            .collect();
        if let Some(p) = paths.iter().find(|p| !p.is_absolute()) {
            return Err(ApiError::new(
                ErrorCode::Invalid,
                format!("{} is not a full path: start it with / or ~/", p.display()),
            ));
        }
        let (found, mut skipped) = media_files(&paths);
        if found.is_empty() {
            let why = skipped
                .first()
                .cloned()
                .unwrap_or_else(|| "the folder holds none".into());
            return Err(ApiError::new(
                ErrorCode::Invalid,
                format!("No audio or video files to import ({why})."),
            ));
        }
        // Tags are read before the library is locked: a folder of hundreds of files takes a while.
        let files = earmark_shell::with_tags(found);
        let keep = if reference { Keep::Reference } else { Keep::Copy };
        let modified = |p: &Path| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .map(earmark_core::chrono::DateTime::<earmark_core::chrono::Utc>::from)
        };
        let mut report = lock(&state.writer)?.import_local(&name, files, keep, modified, now())?;
        skipped.append(&mut report.skipped);
        report.skipped = skipped;
        Ok(report)
    })
    .await
}
