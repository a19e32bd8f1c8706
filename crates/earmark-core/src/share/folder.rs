//! The shared folder: `earmark-share.json` (format, archive id, name), then `changes/` and
//! `snapshots/` holding Automerge change and snapshot files named by the hash of their content.
//! A machine only ever writes new files (through a temporary name and a rename), so two machines
//! never write the same file; a file whose content does not match its name is half-copied and is
//! left alone until it is whole.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ShareError, FORMAT};

pub(crate) const MANIFEST: &str = "earmark-share.json";
const CHANGES: &str = "changes";
const SNAPSHOTS: &str = "snapshots";
const CHANGE_EXT: &str = "amc";
const SNAPSHOT_EXT: &str = "ams";
/// The largest file read from the folder: anything bigger is not ours.
const MAX_FILE: u64 = 512 * 1024 * 1024;

/// The folder's description of the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub format: i64,
    pub id: String,
    pub name: String,
}

/// One content file of the folder.
pub(crate) struct Entry {
    /// `changes/<hash>.amc` or `snapshots/<hash>.ams`.
    pub name: String,
    pub path: PathBuf,
    pub len: u64,
}

fn io(e: std::io::Error, what: &Path) -> ShareError {
    ShareError::Io(format!("{}: {e}", what.display()))
}

/// The content hash a file is named by (128-bit xxh3, hex).
pub(crate) fn content_name(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Reads the manifest, telling a vanished folder, a foreign one and a newer format apart.
pub(crate) fn read_manifest(folder: &Path) -> Result<Manifest, ShareError> {
    if !folder.is_dir() {
        return Err(ShareError::FolderGone(folder.display().to_string()));
    }
    let path = folder.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ShareError::Foreign(format!(
                "{} holds no shared Earmark archive (no {MANIFEST})",
                folder.display()
            )))
        }
        Err(e) => return Err(io(e, &path)),
    };
    let raw: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| ShareError::Foreign(format!("{} is not an Earmark share description: {e}", path.display())))?;
    if let Some(found) = raw.get("format").and_then(serde_json::Value::as_i64) {
        if found > FORMAT {
            return Err(ShareError::TooNew { found });
        }
    }
    serde_json::from_value(raw)
        .map_err(|e| ShareError::Foreign(format!("{} is not an Earmark share description: {e}", path.display())))
}

/// Starts a folder: the manifest (refusing a folder that already holds one) and the subfolders.
pub(crate) fn init(folder: &Path, manifest: &Manifest) -> Result<(), ShareError> {
    std::fs::create_dir_all(folder).map_err(|e| io(e, folder))?;
    if folder.join(MANIFEST).exists() {
        return Err(ShareError::Foreign(format!(
            "{} already holds a shared archive: join it instead",
            folder.display()
        )));
    }
    for sub in [CHANGES, SNAPSHOTS] {
        std::fs::create_dir_all(folder.join(sub)).map_err(|e| io(e, folder))?;
    }
    let body = serde_json::to_vec_pretty(manifest).map_err(|e| ShareError::Io(e.to_string()))?;
    write_new(folder, MANIFEST, &body)
}

/// Writes a new file whole: a temporary name in the same folder, fsync, rename.
fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ShareError> {
    use std::io::Write;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{}.{}.tmp", name.replace('/', "_"), std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io(e, &tmp))?;
    f.write_all(bytes).map_err(|e| io(e, &tmp))?;
    f.sync_all().map_err(|e| io(e, &tmp))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(e, &path))?;
    Ok(())
}

/// Writes change bytes (or a snapshot) under their content name; returns that name.
pub(crate) fn write_content(folder: &Path, bytes: &[u8], snapshot: bool) -> Result<String, ShareError> {
    let (sub, ext) = if snapshot {
        (SNAPSHOTS, SNAPSHOT_EXT)
    } else {
        (CHANGES, CHANGE_EXT)
    };
    let dir = folder.join(sub);
    std::fs::create_dir_all(&dir).map_err(|e| io(e, &dir))?;
    let file = format!("{}.{ext}", content_name(bytes));
    if !dir.join(&file).exists() {
        write_new(&dir, &file, bytes)?;
    }
    Ok(format!("{sub}/{file}"))
}

/// The content files, snapshots first (a snapshot merged first makes the changes it covers cheap).
/// Anything else in the folder (temporary files, other tools' files) is skipped.
pub(crate) fn list(folder: &Path) -> Result<Vec<Entry>, ShareError> {
    let mut out = Vec::new();
    for (sub, ext) in [(SNAPSHOTS, SNAPSHOT_EXT), (CHANGES, CHANGE_EXT)] {
        let dir = folder.join(sub);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(e, &dir)),
        };
        let mut entries = Vec::new();
        for entry in rd.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = file.strip_suffix(&format!(".{ext}")) else {
                continue;
            };
            if stem.len() != 32 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            entries.push(Entry {
                name: format!("{sub}/{file}"),
                path: entry.path(),
                len: meta.len(),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(entries);
    }
    Ok(out)
}

/// Reads a content file and checks it against its name. `Ok(None)`: not whole yet (or not ours).
pub(crate) fn read_checked(entry: &Entry) -> Result<Option<Vec<u8>>, ShareError> {
    if entry.len > MAX_FILE {
        return Ok(None);
    }
    let bytes = std::fs::read(&entry.path).map_err(|e| io(e, &entry.path))?;
    let stem = entry
        .name
        .rsplit('/')
        .next()
        .and_then(|f| f.split('.').next())
        .unwrap_or("");
    Ok((content_name(&bytes) == stem).then_some(bytes))
}

/// Removes files a snapshot now in the folder covers (each was merged before the snapshot was
/// taken). Returns how many were removed.
pub(crate) fn remove_covered(folder: &Path, names: &[String], keep: &str) -> u32 {
    let mut removed = 0;
    for name in names {
        if name == keep {
            continue;
        }
        if std::fs::remove_file(folder.join(name)).is_ok() {
            removed += 1;
        }
    }
    removed
}
