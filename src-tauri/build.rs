//! Builds the app's UI and Tauri's context. The UI is compiled here, not only by `scripts/setup`,
//! because `generate_context!` embeds `ui/public` into the binary: an app built before (or without)
//! compiling the TypeScript showed "Loading…" for ever, and a later UI change went unnoticed while
//! cargo called the binary fresh.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The TypeScript compiler's output folder, which `ui/public/index.html` loads `js/main.js` from.
const JS_DIR: &str = "js";

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let ui = manifest.join("../ui");
    watch_ui_sources(&ui);
    compile_ui(&ui);

    // Every command the UI may call is listed here, so the capability file can grant exactly these.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_podcasts",
        "list_episodes",
        "get_episode",
        "subscribe",
        "subscribe_default",
        "refresh_all",
        "sync_status",
        "sync_login",
        "sync_logout",
        "sync_now",
        "share_status",
        "share_create",
        "share_join",
        "share_now",
        "share_leave",
        "search",
        "open_link",
        "library_info",
        "play_episode",
        "player_command",
        "set_played",
        "episode_chapters",
        "queue_list",
        "queue_edit",
        "startup_link",
        "set_auto_download",
        "storage",
        "list_playlists",
        "playlist_episodes",
        "create_playlist",
        "edit_playlist",
        "listening_stats",
        "podcast_sound",
        "set_podcast_sound",
        "even_loudness",
        "set_even_loudness",
        "import_local",
        "episode_video",
        "download_episodes",
        "pause_download",
        "delete_download",
        "list_downloads",
        "add_source",
        "add_pages",
        "list_documents",
        "document_window",
        "get_document",
        "set_remote_images",
        "document_links",
        "list_sources",
        "list_collections",
        "collection_view",
        "collection_move",
        "collection_remove",
        "item_tags",
        "edit_tags",
        "episode_links",
        "decide_link",
        "review_queue",
        "relink_all",
        "archive_images",
        "list_bookmarks",
        "bookmark_window",
        "add_bookmark",
        "edit_bookmark",
        "delete_bookmark",
        "export_bookmarks",
        "episode_transcript",
        "episode_waveform",
        "waveform_range",
        "export_clip",
        "skip_lengths",
        "set_skip_lengths",
    ]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(manifest),
    )
    .expect("tauri build step failed");
}

/// Asks cargo to run this script again (and so rebuild the app) when any UI source changes. The
/// compiled `ui/public/js` is left out: this script writes it, and a path written during the run
/// would make every later build dirty.
fn watch_ui_sources(ui: &Path) {
    for name in ["src", "tsconfig.json", "package.json", "package-lock.json", "isolation"] {
        println!("cargo:rerun-if-changed={}", ui.join(name).display());
    }
    let public = ui.join("public");
    // Each entry by name, as the folder would take `js` in. A new file at the top level is only
    // seen by the page once `index.html` names it, and that edit is watched.
    let entries = std::fs::read_dir(&public).unwrap_or_else(|e| panic!("reading {}: {e}", public.display()));
    for entry in entries.flatten() {
        if entry.file_name() != JS_DIR {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
}

/// Compiles `ui/src` into `ui/public/js` with the pinned TypeScript. Files are written only when
/// their content changed, so an unchanged UI leaves the embedded assets (and the build) as they were.
fn compile_ui(ui: &Path) {
    let tsc = ui.join("node_modules/typescript/bin/tsc");
    if !tsc.exists() {
        panic!(
            "\n\nThe UI's packages are not installed, so the UI cannot be compiled into the app.\n\
             Run ./scripts/setup (or: cd ui && npm ci), then build again.\n\n"
        );
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui-js");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new("node")
        .arg(&tsc)
        .arg("-p")
        .arg(ui.join("tsconfig.json"))
        .arg("--outDir")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| {
            panic!("\n\nCould not run node to compile the UI ({e}). Install Node.js (./scripts/setup does), then build again.\n\n")
        });
    if !status.success() {
        panic!("\n\nThe UI did not compile (tsc's errors are above). Fix them, then build again.\n\n");
    }
    sync_dir(&out, &ui.join("public").join(JS_DIR));
}

/// Makes `to` hold exactly the files of `from`, writing only those whose bytes differ.
fn sync_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let mut keep = std::collections::HashSet::new();
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).expect("walked under from").to_path_buf();
        let dest = to.join(&rel);
        let bytes = std::fs::read(&entry).unwrap_or_else(|e| panic!("reading {}: {e}", entry.display()));
        if std::fs::read(&dest).ok().as_deref() != Some(bytes.as_slice()) {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
            }
            std::fs::write(&dest, &bytes).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
        }
        keep.insert(rel);
    }
    // A module removed from ui/src must not linger in the app.
    for stale in walk(to) {
        let rel = stale.strip_prefix(to).expect("walked under to");
        if !keep.contains(rel) {
            let _ = std::fs::remove_file(&stale);
        }
    }
}

/// Every file under `dir`, at any depth.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
