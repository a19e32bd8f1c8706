//! Where downloaded media lives and how much room it takes: the media folder (by default
//! `media/` inside the library folder, or any folder the user picks), moving every download when
//! it changes, and the space used per podcast.
//!
//! Moving is safe to interrupt. The new folder is recorded as "moving to" before the first file
//! moves, and the media folder setting changes only once every file is there; until then each
//! file is looked for in the new folder first, then the old one, so playback and downloads keep
//! finding everything, and asking for the same folder again finishes the move. Each file is
//! renamed when both folders are on one filesystem; across filesystems it is copied to a
//! temporary name, synced, renamed into place, and only then removed from the old folder.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::download::transfer::part_path;
use crate::error::{io_at, Error, Result};
use crate::library::Library;
use crate::model::PodcastId;

/// The settings key of the media folder (absent: `media/` in the library folder).
const MEDIA_DIR: &str = "media_dir";
/// The settings key of the folder an unfinished move is going to.
const MOVING_TO: &str = "media_dir_moving_to";

/// Disk space taken by one podcast's finished downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PodcastStorage {
    /// The podcast.
    pub podcast_id: PodcastId,
    /// Its title, for display.
    pub title: String,
    /// Finished downloads present on disk.
    #[ts(type = "number")]
    pub files: u64,
    /// Their total size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The media folder as the settings have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MediaFolder {
    /// Where downloads are.
    pub path: String,
    /// Set while a move to another folder is unfinished (interrupted); asking for that folder
    /// again finishes it.
    pub moving_to: Option<String>,
}

/// What moving the media folder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MoveReport {
    /// Files moved by this call (finished downloads and partial ones with their resume data).
    #[ts(type = "number")]
    pub files: u64,
    /// Their size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The resume data kept beside a partial download.
fn meta_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_owned();
    p.push(".part.meta");
    PathBuf::from(p)
}

/// Sets a library setting (inside the caller's transaction, when it passes one).
pub(crate) fn put_setting(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

impl Library {
    /// A library setting, if it was ever set.
    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The folder downloads go to: the one the user chose, else `media/` inside the library
    /// folder. (A database that cannot be read falls back to the default, logged.)
    pub fn media_dir(&self) -> PathBuf {
        match self.setting(MEDIA_DIR) {
            Ok(Some(p)) => PathBuf::from(p),
            Ok(None) => self.default_media_dir(),
            Err(e) => {
                tracing::warn!("reading the media folder setting failed: {e}; using the default");
                self.default_media_dir()
            }
        }
    }

    /// `media/` inside the library folder.
    pub fn default_media_dir(&self) -> PathBuf {
        self.dir().join("media")
    }

    /// The media folder and any unfinished move, for display.
    pub fn media_folder(&self) -> Result<MediaFolder> {
        Ok(MediaFolder {
            path: self.media_dir().display().to_string(),
            moving_to: self.setting(MOVING_TO)?,
        })
    }

    /// Where a media file of this name is: in the folder an unfinished move is going to when it
    /// (or its partial download) is already there, else in the media folder.
    pub(crate) fn media_path(&self, name: &str) -> PathBuf {
        self.media_paths()(name)
    }

    /// [`Library::media_path`] for many names: the two folder settings are read once.
    pub(crate) fn media_paths(&self) -> impl Fn(&str) -> PathBuf {
        let moving = self.setting(MOVING_TO).ok().flatten().map(PathBuf::from);
        let dir = self.media_dir();
        move |name| {
            // Names come from the database, which may have come from elsewhere: a name that is
            // not a plain file name is kept inside the folder, never followed out of it.
            let safe;
            let name = if is_plain_file_name(name) {
                name
            } else {
                safe = name.replace(['/', '\\', '\0'], "_").replace("..", "__");
                safe.as_str()
            };
            if let Some(there) = moving.as_ref().map(|m| m.join(name)) {
                if there.is_file() || part_path(&there).is_file() {
                    return there;
                }
            }
            dir.join(name)
        }
    }

    /// Makes `target` the media folder, moving every download (finished files and partial ones
    /// with their resume data) there first; `progress` gets (files done, files in all). On an
    /// error the old folder stays the media folder and calling again with the same `target`
    /// carries on where it stopped. Pause downloads before calling: a transfer writing into the
    /// old folder during the move would be left behind.
    pub fn set_media_dir(&mut self, target: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<MoveReport> {
        if !target.is_absolute() {
            return Err(Error::Invalid(format!(
                "the media folder must be an absolute path (got {})",
                target.display()
            )));
        }
        std::fs::create_dir_all(target).map_err(io_at(target))?;
        let target = target.canonicalize().map_err(io_at(target))?;
        let current = self.media_dir();
        let mut sources = Vec::new();
        if let Some(moving) = self.setting(MOVING_TO)?.map(PathBuf::from) {
            sources.push(moving);
        }
        sources.push(current.clone());
        let same = |p: &Path| p.canonicalize().is_ok_and(|c| c == target);
        sources.retain(|s| !same(s));
        put_setting(self.conn(), MOVING_TO, &target.display().to_string())?;

        let names: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT file_name FROM downloads ORDER BY episode_id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut report = MoveReport::default();
        let total = names.len() as u64;
        for (i, name) in names.iter().enumerate() {
            // Names were made by Earmark; still, nothing but a plain file name is followed.
            if name.contains(['/', '\\']) || name.starts_with('.') || name.is_empty() {
                continue;
            }
            let dest = target.join(name);
            for dst in [dest.clone(), part_path(&dest), meta_path(&dest)] {
                let Some(file) = dst.file_name() else { continue };
                let Some(src) = sources.iter().map(|s| s.join(file)).find(|p| p.is_file()) else {
                    continue;
                };
                if dst.is_file() {
                    // An earlier run copied it and stopped before removing the original.
                    std::fs::remove_file(&src).map_err(io_at(&src))?;
                    continue;
                }
                report.bytes += move_file(&src, &dst)?;
                report.files += 1;
            }
            progress(i as u64 + 1, total);
        }
        sync_dir(&target);

        let tx = self.conn_mut().transaction()?;
        put_setting(&tx, MEDIA_DIR, &target.display().to_string())?;
        tx.execute("DELETE FROM settings WHERE key = ?1", [MOVING_TO])?;
        tx.commit()?;
        // The default folder inside the library goes once it is empty; a folder the user picked
        // is theirs to remove.
        let default = self.default_media_dir();
        if sources.contains(&default) {
            let _ = std::fs::remove_dir(&default);
        }
        Ok(report)
    }

    /// Forgets the media folder setting and any unfinished move, so downloads are looked for in
    /// `media/` inside the library folder again (an imported library's paths are from another
    /// machine).
    pub(crate) fn reset_media_dir(&mut self) -> Result<()> {
        self.conn().execute(
            "DELETE FROM settings WHERE key IN (?1, ?2)",
            params![MEDIA_DIR, MOVING_TO],
        )?;
        Ok(())
    }

    /// Space used by each podcast's finished downloads (those still on disk), largest first.
    /// Podcasts with nothing downloaded are left out.
    pub fn storage_by_podcast(&self) -> Result<Vec<PodcastStorage>> {
        let rows: Vec<(i64, String, String)> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT p.id, p.title, d.file_name FROM downloads d JOIN episodes e ON e.id = d.episode_id \
                 JOIN podcasts p ON p.id = e.podcast_id WHERE d.state = 'done' ORDER BY p.id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut out: Vec<PodcastStorage> = Vec::new();
        let path_of = self.media_paths();
        for (id, title, name) in rows {
            let Ok(meta) = std::fs::metadata(path_of(&name)) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.podcast_id.0 == id => {
                    last.files += 1;
                    last.bytes += meta.len();
                }
                _ => out.push(PodcastStorage {
                    podcast_id: PodcastId(id),
                    title,
                    files: 1,
                    bytes: meta.len(),
                }),
            }
        }
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.title.cmp(&b.title)));
        Ok(out)
    }
}

/// Moves one file, returning its size: a rename within a filesystem, else a copy.
fn move_file(src: &Path, dst: &Path) -> Result<u64> {
    let len = std::fs::metadata(src).map_err(io_at(src))?.len();
    match std::fs::rename(src, dst) {
        Ok(()) => Ok(len),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => copy_then_remove(src, dst),
        Err(source) => Err(Error::Io {
            path: dst.to_owned(),
            source,
        }),
    }
}

/// Copies `src` to a temporary name beside `dst`, syncs it, renames it into place, and only then
/// removes `src`: at every moment one complete copy exists under a real name.
fn copy_then_remove(src: &Path, dst: &Path) -> Result<u64> {
    let name = dst
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Invalid(format!("{} is not a usable file name", dst.display())))?;
    let tmp = dst.with_file_name(format!(".{name}.moving"));
    let copied = (|| -> Result<u64> {
        let n = std::fs::copy(src, &tmp).map_err(io_at(&tmp))?;
        File::open(&tmp).and_then(|f| f.sync_all()).map_err(io_at(&tmp))?;
        std::fs::rename(&tmp, dst).map_err(io_at(dst))?;
        Ok(n)
    })();
    let n = match copied {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Some(dir) = dst.parent() {
        sync_dir(dir);
    }
    std::fs::remove_file(src).map_err(io_at(src))?;
    Ok(n)
}

/// Whether `name` is a file name Earmark could have written for a download: one path component,
/// not hidden, no separators. Anything else in a library was put there by someone else.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copying_leaves_one_complete_file_and_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("a.mp3");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).expect("out");
        let dst = out.join("a.mp3");
        std::fs::write(&src, b"episode bytes").expect("write");
        assert_eq!(copy_then_remove(&src, &dst).expect("copy"), 13);
        assert_eq!(std::fs::read(&dst).expect("read"), b"episode bytes");
        assert!(!src.exists());
        let names: Vec<_> = std::fs::read_dir(&out)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.mp3")]);
        // A copy that cannot be made leaves the source alone and no temporary behind.
        std::fs::write(&src, b"again").expect("write");
        let err = copy_then_remove(&src, &dir.path().join("missing-dir").join("a.mp3")).expect_err("no folder");
        assert_eq!(err.code(), "io");
        assert!(src.exists());
    }
}
