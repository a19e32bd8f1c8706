//! Whole-library export and import, for backups and for moving to another machine.
//!
//! An export is a folder: `library.sqlite3` (a consistent snapshot taken with SQLite's online
//! backup API, so the app may keep running and writing), `media/` (the finished downloads) and
//! `manifest.json` (every file with its size and checksum). The folder is built under a temporary
//! name and renamed into place last, so a half-written export never looks complete. Import stages
//! the new library beside its target in the same way (a `.tar` is unpacked straight into the
//! staging folder) and checks every checksum there before anything takes the target's name.
//! Downloads are recorded by file name relative to the media folder, so no path inside the
//! database needs rewriting on the new machine.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{io_at, Error, Result};
use crate::library::{Library, DB_FILE, SCHEMA_VERSION};

/// The manifest's own format version; bumped when its layout changes.
pub const MANIFEST_VERSION: u32 = 1;
/// The manifest's file name inside an export.
pub const MANIFEST: &str = "manifest.json";

/// What an export holds, written last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] of the writer.
    pub version: u32,
    /// When it was made (RFC 3339).
    pub created: String,
    /// The library schema of the snapshot.
    pub schema: i64,
    /// Every file but the manifest, with forward slashes, relative to the export folder.
    pub files: Vec<ManifestFile>,
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative path (`library.sqlite3`, `media/NAME`).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// XXH3-128 of the contents, hex.
    pub xxh3: String,
}

/// What an export or import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupReport {
    /// Files written (database and media).
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

impl From<&Manifest> for BackupReport {
    /// What an export wrote or an import brought in: the files its manifest lists.
    fn from(manifest: &Manifest) -> Self {
        BackupReport {
            files: manifest.files.len(),
            bytes: manifest.files.iter().map(|f| f.bytes).sum(),
        }
    }
}

/// Copies `from` to `to` while hashing it; returns (bytes, hex hash).
fn copy_hashed(from: &Path, to: &Path) -> Result<(u64, String)> {
    read_hashed(from, Some(to))
}

/// The size and hash of a file, as the manifest records them.
fn hash_file(path: &Path) -> Result<(u64, String)> {
    read_hashed(path, None)
}

/// Reads `from` once, hashing it and, when `to` is given, writing a synced copy there.
fn read_hashed(from: &Path, to: Option<&Path>) -> Result<(u64, String)> {
    let mut src = File::open(from).map_err(io_at(from))?;
    let mut dst = match to {
        Some(to) => Some((File::create(to).map_err(io_at(to))?, to)),
        None => None,
    };
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).map_err(io_at(from))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some((file, to)) = &mut dst {
            file.write_all(&buf[..n]).map_err(io_at(to))?;
        }
        total += n as u64;
    }
    if let Some((file, to)) = dst {
        file.sync_all().map_err(io_at(to))?;
    }
    Ok((total, format!("{:032x}", hasher.digest128())))
}

/// A sibling path with a temporary name, for building a folder that is renamed into place.
fn staging(target: &Path) -> Result<PathBuf> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Invalid(format!("{} is not a usable folder name", target.display())))?;
    if let Some(parent) = target.parent() {
        reclaim_stale_staging(parent);
    }
    Ok(target.with_file_name(format!(".{name}.partial-{}", std::process::id())))
}

/// Removes staging folders and files in `dir` left by exports and imports whose process was
/// killed: every `.NAME.partial-PID` (and `.tar` beside it) whose PID no longer runs. Only where the system can say
/// which processes run (`/proc`); elsewhere nothing is touched.
fn reclaim_stale_staging(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(staging_pid) else {
            continue;
        };
        if pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        let gone = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(e) => Err(e),
        };
        match gone {
            Ok(()) => tracing::info!("removed {} left by a stopped export or import", path.display()),
            Err(e) => tracing::warn!("cannot remove {}: {e}", path.display()),
        }
    }
}

/// The PID in a staging name `.NAME.partial-PID`.
fn staging_pid(name: &str) -> Option<u32> {
    let (head, tail) = name.rsplit_once(".partial-")?;
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &tail[digits..];
    if !head.starts_with('.') || head.len() < 2 || digits == 0 || !(rest.is_empty() || rest == ".tar") {
        return None;
    }
    tail[..digits].parse().ok()
}

fn ensure_absent_or_empty(target: &Path) -> Result<()> {
    match std::fs::read_dir(target) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Invalid(format!(
                    "{} already exists and is not empty; choose a new folder",
                    target.display()
                )));
            }
            std::fs::remove_dir(target).map_err(io_at(target))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: target.to_owned(),
            source,
        }),
    }
}

/// Puts a finished staging folder or file in its place and makes the rename durable.
fn publish(stage: &Path, target: &Path) -> Result<()> {
    std::fs::rename(stage, target).map_err(io_at(target))?;
    if let Some(parent) = target.parent() {
        sync_dir(parent);
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether `path` names a single-file export (`.tar`) rather than a folder.
pub fn is_archive_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tar"))
}

/// Writes the whole library to the new folder `target` (which must not exist or be empty), or to
/// the new file `target` when it ends in `.tar` (the same folder, as one file).
pub fn export(lib: &Library, target: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<BackupReport> {
    if is_archive_file(target) {
        return export_file(lib, target, now);
    }
    ensure_absent_or_empty(target)?;
    staged(
        target,
        |stage| export_into(lib, stage, now),
        |e| disk_full_from_sqlite(e, target),
    )
}

/// Builds into a staging folder beside `target` and publishes it there only once it is whole; a
/// failure removes the stage and is reported as `report_as` puts it, so a killed or failed run
/// never leaves a half-made folder under the name asked for.
fn staged(
    target: &Path,
    build: impl FnOnce(&Path) -> Result<BackupReport>,
    report_as: impl FnOnce(Error) -> Error,
) -> Result<BackupReport> {
    let stage = staging(target)?;
    let _ = std::fs::remove_dir_all(&stage);
    match build(&stage) {
        Ok(report) => {
            publish(&stage, target)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&stage);
            Err(report_as(e))
        }
    }
}

/// SQLite reports a full disk as its own error while writing the snapshot; shells should see the
/// same `DiskFull` as for the media files.
fn disk_full_from_sqlite(e: Error, target: &Path) -> Error {
    match e {
        Error::Db(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DiskFull => Error::DiskFull {
            path: target.to_owned(),
        },
        other => other,
    }
}

fn export_into(lib: &Library, stage: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<BackupReport> {
    let media_out = stage.join("media");
    std::fs::create_dir_all(&media_out).map_err(io_at(&media_out))?;
    // The snapshot: SQLite copies pages while other connections keep writing (WAL).
    let db_out = stage.join(DB_FILE);
    {
        let mut dst = rusqlite::Connection::open(&db_out)?;
        let backup = rusqlite::backup::Backup::new(lib.conn(), &mut dst)?;
        backup.run_to_completion(1024, std::time::Duration::from_millis(5), None)?;
    }
    let mut files = Vec::new();
    let (bytes, xxh3) = hash_file(&db_out)?;
    files.push(ManifestFile {
        path: DB_FILE.to_owned(),
        bytes,
        xxh3,
    });
    // Media of finished downloads, as the snapshot records them.
    let snapshot = rusqlite::Connection::open(&db_out)?;
    let names: Vec<String> = {
        let mut stmt = snapshot.prepare("SELECT file_name FROM downloads WHERE state = 'done' ORDER BY file_name")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    drop(snapshot);
    for name in names {
        // Names were made by Earmark; still, nothing but a plain file name is followed.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            continue;
        }
        let from = lib.media_path(&name);
        if !from.is_file() {
            tracing::warn!(
                "export: {} is recorded as downloaded but missing; skipped",
                from.display()
            );
            continue;
        }
        let (bytes, xxh3) = copy_hashed(&from, &media_out.join(&name))?;
        files.push(ManifestFile {
            path: format!("media/{name}"),
            bytes,
            xxh3,
        });
    }
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        created: crate::library::rfc3339(now),
        schema: SCHEMA_VERSION,
        files,
    };
    let path = stage.join(MANIFEST);
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Invalid(format!("manifest: {e}")))?;
    let mut f = File::create(&path).map_err(io_at(&path))?;
    f.write_all(&text).map_err(io_at(&path))?;
    f.sync_all().map_err(io_at(&path))?;
    sync_dir(&media_out);
    sync_dir(stage);
    Ok(BackupReport::from(&manifest))
}

fn export_file(lib: &Library, target: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<BackupReport> {
    if target.exists() {
        return Err(Error::Invalid(format!(
            "{} already exists; choose a new file name",
            target.display()
        )));
    }
    // The export is made in a staging folder (no need to publish it: it only feeds the tar).
    let folder = staging(target)?;
    let _ = std::fs::remove_dir_all(&folder);
    let mut part = folder.clone().into_os_string();
    part.push(".tar");
    let part = PathBuf::from(part);
    let result = (|| -> Result<BackupReport> {
        let report = export_into(lib, &folder, now).map_err(|e| disk_full_from_sqlite(e, target))?;
        let file = File::create(&part).map_err(io_at(&part))?;
        let mut tar = tar::Builder::new(file);
        tar.append_dir_all(".", &folder).map_err(io_at(&part))?;
        let file = tar.into_inner().map_err(io_at(&part))?;
        file.sync_all().map_err(io_at(&part))?;
        publish(&part, target)?;
        Ok(report)
    })();
    let _ = std::fs::remove_dir_all(&folder);
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// Reads and checks an export: every listed file present with the right size and checksum.
/// A damaged export is refused with the list of bad files.
pub fn verify(source: &Path) -> Result<Manifest> {
    let path = source.join(MANIFEST);
    let text = std::fs::read(&path).map_err(io_at(&path))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| Error::Invalid(format!("{} is not an Earmark export manifest: {e}", path.display())))?;
    if manifest.version > MANIFEST_VERSION {
        return Err(Error::Invalid(format!(
            "this export was made by a newer Earmark (manifest {}); upgrade to import it",
            manifest.version
        )));
    }
    if manifest.schema > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: manifest.schema,
            known: SCHEMA_VERSION,
        });
    }
    let mut bad = Vec::new();
    let mut has_db = false;
    for f in &manifest.files {
        let safe = !f
            .path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
            && (f.path == DB_FILE || f.path.strip_prefix("media/").is_some_and(|n| !n.contains('/')));
        if !safe {
            bad.push(format!("{} (not a path an export contains)", f.path));
            continue;
        }
        has_db |= f.path == DB_FILE;
        // A device or a link to one (`/dev/zero`) would be read for ever: only regular files of
        // the listed size are read at all.
        match std::fs::metadata(source.join(&f.path)) {
            Ok(m) if !m.is_file() => {
                bad.push(format!("{} (not a regular file)", f.path));
                continue;
            }
            Ok(m) if m.len() != f.bytes => {
                bad.push(format!("{} (size differs from the manifest)", f.path));
                continue;
            }
            Ok(_) => {}
            Err(_) => {
                bad.push(format!("{} (missing or unreadable)", f.path));
                continue;
            }
        }
        match hash_file(&source.join(&f.path)) {
            Ok((bytes, xxh3)) if bytes == f.bytes && xxh3 == f.xxh3 => {}
            Ok(_) => bad.push(format!("{} (contents differ from the manifest)", f.path)),
            Err(_) => bad.push(format!("{} (missing or unreadable)", f.path)),
        }
    }
    if !has_db {
        bad.push(format!("{DB_FILE} (not listed)"));
    }
    if bad.is_empty() {
        Ok(manifest)
    } else {
        Err(Error::DamagedExport { bad })
    }
}

/// Restores an export (a folder, or a `.tar` file) into the new library folder `target` (which
/// must not exist or be empty). The library is built in a staging folder beside `target` and
/// nothing takes the target's name unless every file checks out: the folder appears complete or
/// not at all.
pub fn import(source: &Path, target: &Path) -> Result<BackupReport> {
    // A folder is checked before anything else; an archive once unpacked.
    let folder_manifest = if source.is_file() { None } else { Some(verify(source)?) };
    ensure_absent_or_empty(target)?;
    staged(
        target,
        |stage| match &folder_manifest {
            None => import_archive(source, stage),
            Some(manifest) => import_folder(source, manifest, stage),
        },
        |e| e,
    )
}

/// Unpacks a `.tar` export straight into `stage` and checks it there: nothing is copied twice.
fn import_archive(source: &Path, stage: &Path) -> Result<BackupReport> {
    std::fs::create_dir_all(stage).map_err(io_at(stage))?;
    let file = File::open(source).map_err(io_at(source))?;
    // `unpack` refuses entries that would land outside the folder (`..`, absolute paths).
    tar::Archive::new(file)
        .unpack(stage)
        .map_err(|e| Error::Invalid(format!("{} is not a readable Earmark export: {e}", source.display())))?;
    let manifest = verify(stage)?;
    keep_only_listed(stage, &manifest)?;
    finish_import(stage, &manifest)
}

/// Copies a checked folder export into `stage`, checking every file again as it is copied.
fn import_folder(source: &Path, manifest: &Manifest, stage: &Path) -> Result<BackupReport> {
    std::fs::create_dir_all(stage.join("media")).map_err(io_at(stage))?;
    for f in &manifest.files {
        copy_checked(&source.join(&f.path), &stage.join(&f.path), &f.xxh3, &f.path)?;
    }
    finish_import(stage, manifest)
}

/// Copies `from` to `to`, checking the copy's checksum against `want` (the manifest's, for `rel`);
/// a copy that differs is removed and the export reported damaged.
fn copy_checked(from: &Path, to: &Path, want: &str, rel: &str) -> Result<()> {
    let (_, xxh3) = copy_hashed(from, to)?;
    if xxh3 != want {
        let _ = std::fs::remove_file(to);
        return Err(Error::DamagedExport {
            bad: vec![format!("{rel} (changed while importing)")],
        });
    }
    Ok(())
}

/// Removes from an unpacked export everything its manifest does not list (the manifest too).
/// A listed entry that is not a plain file (a link could point anywhere) is replaced by a copy
/// of what it points at, checked against the manifest, as a folder import would copy it.
fn keep_only_listed(stage: &Path, manifest: &Manifest) -> Result<()> {
    let listed: std::collections::HashMap<&str, &str> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.xxh3.as_str()))
        .collect();
    let sweep = |dir: &Path, prefix: &str| -> Result<()> {
        for entry in std::fs::read_dir(dir).map_err(io_at(dir))? {
            let entry = entry.map_err(io_at(dir))?;
            let path = entry.path();
            let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let meta = std::fs::symlink_metadata(&path).map_err(io_at(&path))?;
            if rel == "media" && meta.is_dir() {
                continue;
            }
            match listed.get(rel.as_str()) {
                Some(_) if meta.is_file() => {}
                Some(&want) => {
                    let copy = path.with_extension("import-copy");
                    copy_checked(&path, &copy, want, &rel)?;
                    std::fs::remove_file(&path).map_err(io_at(&path))?;
                    std::fs::rename(&copy, &path).map_err(io_at(&path))?;
                }
                None if meta.is_dir() => std::fs::remove_dir_all(&path).map_err(io_at(&path))?,
                None => std::fs::remove_file(&path).map_err(io_at(&path))?,
            }
        }
        Ok(())
    };
    sweep(stage, "")?;
    let media = stage.join("media");
    if media.is_dir() {
        sweep(&media, "media/")
    } else {
        std::fs::create_dir_all(&media).map_err(io_at(&media))
    }
}

/// Refuses a snapshot that holds more than Earmark's own schema (a planted trigger or view runs as
/// soon as the library is used) or that records a download outside its media folder. Runs before
/// the library is opened: opening migrates, and a migration's writes would fire a planted trigger.
fn refuse_foreign(db: &Path) -> Result<()> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut refused = crate::schema_check::foreign_objects(&conn)?;
    let names: Vec<String> = match conn.prepare("SELECT file_name FROM downloads") {
        Ok(mut stmt) => stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?,
        // A snapshot from before downloads were kept has no such table.
        Err(_) => Vec::new(),
    };
    refused.extend(
        names
            .iter()
            .filter(|n| !crate::storage::is_plain_file_name(n))
            .map(|n| format!("download file name {n:?} (not a plain file name)")),
    );
    if refused.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "refused to import: the library holds what Earmark never writes: {}",
        refused.join(", ")
    )))
}

/// Makes a staged import a library: opening migrates an older snapshot and proves the file is
/// usable, and the media now sits in the new library's own folder, whatever folder the old
/// machine used.
fn finish_import(stage: &Path, manifest: &Manifest) -> Result<BackupReport> {
    refuse_foreign(&stage.join(DB_FILE))?;
    Library::open(stage)?.reset_media_dir()?;
    sync_dir(&stage.join("media"));
    sync_dir(stage);
    Ok(BackupReport::from(manifest))
}
