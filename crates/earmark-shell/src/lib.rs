//! The seam between the core and the player. Neither knows the other (the core has no audio, the
//! player no library), so turning one's types into the other's is a shell's job; both shells, the
//! app and the CLI, do it here, once, so they cannot drift apart.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use earmark_core::local_import::{LocalFile, LocalTags};
use earmark_core::net_guard::MediaGuard;
use earmark_core::playable::Source;
use earmark_player::engine::Media;
use earmark_player::stream::StreamGuard;

pub mod tags;

/// What the engine plays for an episode the library says is playable: its file, or its URL
/// streamed into the library's cache. A feed on the web never streams from the listener's own
/// network: the guard refuses loopback and private addresses, redirects included.
pub fn media_of(source: Source) -> Media {
    match source {
        Source::File(path) => Media::File(path),
        Source::Web {
            url,
            cache_dir,
            named_by,
        } => {
            let guard = MediaGuard::for_feed(&named_by);
            let allows = Arc::clone(&guard);
            Media::Url {
                url,
                cache_dir: Some(cache_dir),
                guard: Some(StreamGuard::new(guard, move |u| allows.allows(u))),
            }
        }
    }
}

/// What a local file's own tags say, as the core's local import takes them. A file with no
/// readable tags gives empty tags (the import then names it from the file), never an error: one
/// odd file must not stop a folder's import.
pub fn tags_of(path: &Path) -> LocalTags {
    match tags::read(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::info!("no tags in {}: {e}", path.display());
            LocalTags::default()
        }
    }
}

/// Found media files with their tags, ready for the core's local import (read before the
/// library is locked: a folder of hundreds of files takes a while).
pub fn with_tags(found: Vec<PathBuf>) -> Vec<LocalFile> {
    found
        .into_iter()
        .map(|path| LocalFile {
            tags: tags_of(&path),
            path,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_plays_as_a_file_and_a_web_episode_streams_guarded() {
        let file = PathBuf::from("/music/a.mp3");
        assert!(matches!(media_of(Source::File(file.clone())), Media::File(p) if p == file));
        let web = media_of(Source::Web {
            url: "https://host.example/a.mp3".into(),
            cache_dir: PathBuf::from("/lib/stream"),
            named_by: "https://host.example/feed.xml".into(),
        });
        assert!(matches!(
            web,
            Media::Url { ref url, cache_dir: Some(_), guard: Some(_) } if url == "https://host.example/a.mp3"
        ));
    }

    #[test]
    fn a_file_without_readable_tags_gives_empty_tags() {
        let dir = std::env::temp_dir().join(format!("earmark-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("not-audio.mp3");
        std::fs::write(&path, b"plain text, not audio").expect("write");
        assert_eq!(tags_of(&path), LocalTags::default());
        assert_eq!(tags_of(&dir.join("missing.mp3")), LocalTags::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
