//! Creating, joining, syncing, compacting and leaving a shared archive.

use std::collections::HashMap;
use std::path::Path;

use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::{DateTime, Utc};

use super::doc::{self, Item, Kind};
use super::folder::{self, Manifest};
use super::server;
use super::store::{DocSave, ShareRow};
use super::{ShareCounts, ShareError, ShareReport, ShareStatus, FORMAT};
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::resolve::is_web_feed;

/// The first bytes of every Automerge chunk (document or change).
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

fn heads_text(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn heads_of(text: &[String]) -> Vec<ChangeHash> {
    text.iter().filter_map(|h| h.parse().ok()).collect()
}

fn folder_text(folder: &Path) -> Result<String> {
    let abs = std::path::absolute(folder).map_err(|e| ShareError::Io(e.to_string()))?;
    Ok(abs.display().to_string())
}

/// The library keeps its copy of the document uncompressed (SQLite holds it as it is; inflating
/// several megabytes at every sync cost more than the disk it saves); files in the folder are
/// compressed.
fn load(lib: &Library, row: &ShareRow) -> Result<AutoCommit> {
    let actor = ActorId::try_from(row.actor.as_str()).map_err(|e| ShareError::Damaged(e.to_string()))?;
    let (whole, chunks) = lib.share_doc()?;
    let damaged = |e: automerge::AutomergeError| ShareError::Damaged(e.to_string());
    let mut doc = AutoCommit::load(&whole).map_err(damaged)?;
    for chunk in chunks {
        doc.load_incremental(&chunk).map_err(damaged)?;
    }
    Ok(doc.with_actor(actor))
}

/// The shared document as a sync left it, for a caller that syncs again and again (the app) to
/// hand to the next [`sync_keeping`]: loading it costs most of a sync after an edit (about 0.65 s
/// at 15,000 items). It is used only while the library still holds exactly what it was kept at
/// (the same archive, actor and heads); a sync from another process in between, or a sync that
/// failed, makes the next sync load the library's copy again.
pub struct KeptDoc {
    doc: AutoCommit,
    archive_id: String,
    actor: String,
    heads: Vec<String>,
}

/// The kept document if it is still what the library holds, else the library's copy.
fn load_or_kept(lib: &Library, row: &ShareRow, kept: &mut Option<KeptDoc>) -> Result<AutoCommit> {
    match kept.take() {
        Some(k) if k.archive_id == row.archive_id && k.actor == row.actor && k.heads == row.heads => Ok(k.doc),
        _ => load(lib, row),
    }
}

/// What to keep of a finished sync's document: nothing when changes in it wait for ones not here
/// yet (the library's copy does not hold them, and they are read again from the folder). Its
/// heads are checked against the library's at the next sync, not here.
fn keep(row: &ShareRow, mut doc: AutoCommit) -> Option<KeptDoc> {
    if !doc.get_missing_deps(&[]).is_empty() {
        return None;
    }
    Some(KeptDoc {
        archive_id: row.archive_id.clone(),
        actor: row.actor.clone(),
        heads: heads_text(&doc.get_heads()),
        doc,
    })
}

/// What a sync stores of the document: the changes since `stored` (the heads the library holds)
/// as a chunk, or, once the chunks have grown to half the whole save (or to 100 of them), a new
/// whole save that replaces them. A sync after a few edits then writes kilobytes, not megabytes.
fn to_store(lib: &Library, doc: &mut AutoCommit, stored: &[ChangeHash]) -> Result<DocSave> {
    let (chunks, chunk_bytes, whole) = lib.share_doc_size()?;
    if chunks >= 100 || chunk_bytes * 2 > whole {
        Ok(DocSave::Whole(doc.save_nocompress()))
    } else {
        Ok(DocSave::Append(doc.save_after(stored)))
    }
}

/// The library's record of a share that starts now at `folder` (an absolute folder, or a server
/// archive's address): everything in `doc` counts as published.
/// Records in the library that it shares the archive `archive_id` at `place` (a folder's absolute
/// path or a server's address) as `doc`'s actor, with `doc` as its copy (uncompressed, as [`load`]
/// expects it). Creating and joining, through a folder or a server, all end here.
fn record_share(
    lib: &mut Library,
    place: String,
    name: String,
    archive_id: String,
    person: &str,
    doc: &mut AutoCommit,
) -> Result<()> {
    let heads = heads_text(&doc.get_heads());
    let row = ShareRow {
        folder: place,
        name,
        archive_id,
        actor: doc.get_actor().to_hex_string(),
        // A blank name still signs this library's changes, as someone.
        person: match person.trim() {
            "" => "someone".to_owned(),
            p => p.to_owned(),
        },
        heads: heads.clone(),
        published: heads,
        waiting: 0,
        last_sync: None,
        last_error: None,
        checked: None,
    };
    lib.insert_share(&row, &doc.save_nocompress())
}

/// Starts a shared archive in `folder` (made if missing; refused if it already holds one) from
/// what this library has, and syncs once.
pub fn create(lib: &mut Library, folder: &Path, name: &str, person: &str, now: DateTime<Utc>) -> Result<ShareReport> {
    if let Some(row) = lib.share_row()? {
        return Err(ShareError::AlreadyShared(row.name).into());
    }
    let mut doc = doc::new_doc(name)?;
    let actor = ActorId::random();
    doc.set_actor(actor.clone());
    if let Some(server) = folder.to_str().filter(|t| server::is_server(t)) {
        // A new document on the server: nothing is recorded here until the server holds it.
        let addr = server::Address::new_on(server)?;
        server::sync_with(&addr, &mut doc, false)?;
        record_share(lib, addr.text(), name.to_owned(), addr.doc_id.clone(), person, &mut doc)?;
        return sync(lib, now);
    }
    let archive_id = folder::content_name(format!("{name}\n{}\n{}", actor.to_hex_string(), rfc3339(now)).as_bytes());
    folder::init(
        folder,
        &Manifest {
            format: FORMAT,
            id: archive_id.clone(),
            name: name.to_owned(),
        },
    )?;
    let first = folder::write_content(folder, &doc.save(), true)?;
    record_share(lib, folder_text(folder)?, name.to_owned(), archive_id, person, &mut doc)?;
    lib.share_commit_received(None, &heads_text(&doc.get_heads()), &[first], &[], &[], now)?;
    sync(lib, now)
}

/// Joins the archive in `folder`: merges what is there, then syncs once (what this library already
/// has is shared too).
pub fn join(lib: &mut Library, folder: &Path, person: &str, now: DateTime<Utc>) -> Result<ShareReport> {
    if let Some(row) = lib.share_row()? {
        return Err(ShareError::AlreadyShared(row.name).into());
    }
    if let Some(text) = folder.to_str().filter(|t| server::is_server(t)) {
        let addr = server::Address::parse(text)?;
        let mut doc = AutoCommit::new();
        server::sync_with(&addr, &mut doc, true)?;
        doc::check(&doc)?;
        doc.set_actor(ActorId::random());
        let name = doc::name(&doc);
        record_share(lib, addr.text(), name, addr.doc_id.clone(), person, &mut doc)?;
        let row = lib.share_row()?.ok_or(ShareError::NotShared)?;
        return sync_inner(lib, &row, now, Some(doc), &mut None);
    }
    let manifest = folder::read_manifest(folder)?;
    let mut doc = AutoCommit::new();
    let mut merged = Vec::new();
    for entry in folder::list(folder)? {
        if let Some(bytes) = folder::read_checked(&entry)? {
            if doc.load_incremental(&bytes).is_ok() {
                merged.push(entry.name);
            }
        }
    }
    doc::check(&doc)?;
    doc.set_actor(ActorId::random());
    record_share(lib, folder_text(folder)?, manifest.name, manifest.id, person, &mut doc)?;
    lib.share_commit_received(None, &heads_text(&doc.get_heads()), &merged, &[], &[], now)?;
    // Everything merged so far goes into the library in this first sync.
    let row = lib.share_row()?.ok_or(ShareError::NotShared)?;
    sync_inner(lib, &row, now, Some(doc), &mut None)
}

/// Stops sharing: the library keeps everything; the folder is left as it is for the others.
pub fn leave(lib: &mut Library) -> Result<()> {
    lib.share_row()?.ok_or(ShareError::NotShared)?;
    lib.delete_share()
}

/// Syncs once (see the module's description of the order). A folder that vanished, a foreign or
/// newer folder stop the sync before anything is written; the reason is kept for `share status`.
pub fn sync(lib: &mut Library, now: DateTime<Utc>) -> Result<ShareReport> {
    sync_keeping(lib, &mut None, now)
}

/// [`sync`] for a caller that syncs again and again: the document this sync loads (or takes from
/// `kept`) is left in `kept` for the next one.
pub fn sync_keeping(lib: &mut Library, kept: &mut Option<KeptDoc>, now: DateTime<Utc>) -> Result<ShareReport> {
    let row = lib.share_row()?.ok_or(ShareError::NotShared)?;
    match sync_inner(lib, &row, now, None, kept) {
        Ok(r) => Ok(r),
        Err(e) => {
            if !matches!(e, Error::Db(_)) {
                lib.record_share_error(&e.to_string())?;
            }
            Err(e)
        }
    }
}

fn sync_inner(
    lib: &mut Library,
    row: &ShareRow,
    now: DateTime<Utc>,
    preloaded: Option<AutoCommit>,
    kept: &mut Option<KeptDoc>,
) -> Result<ShareReport> {
    let (report, dirt, doc) = sync_from(lib, row, now, preloaded, kept)?;
    // A sync that never needed the document leaves the kept one as it was (it is checked against
    // the library's heads before use).
    if let Some(doc) = doc {
        *kept = keep(row, doc);
    }
    // Everything this library had changed as of `dirt` is now agreed: until another write touches
    // what the share carries, a sync need not compare every item again. An idle sync that found
    // the count unchanged has nothing to record.
    if row.checked != Some(dirt) {
        lib.share_mark_checked(dirt)?;
    }
    Ok(report)
}

/// What changed here since both sides last agreed: the agreed hashes, the library's items by
/// kind (in [`Kind::ALL`]'s order) and what differs (`None` for an item gone from here).
type Scan = (
    HashMap<(String, String), i64>,
    Vec<HashMap<String, Item>>,
    Vec<(Kind, String, Option<Item>)>,
);

/// Compares every shared item in the library with what both sides last agreed on.
fn scan(lib: &Library) -> Result<Scan> {
    let synced = lib.share_synced()?;
    // The agreed hashes by kind, looked up by borrowed keys: this runs for every shared item.
    let mut agreed: HashMap<&str, HashMap<&str, i64>> = HashMap::new();
    for ((kind, key), hash) in &synced {
        agreed.entry(kind.as_str()).or_default().insert(key.as_str(), *hash);
    }
    let mut local = Vec::new();
    let mut pending: Vec<(Kind, String, Option<Item>)> = Vec::new();
    for kind in Kind::ALL {
        let items = lib.local_items(kind)?;
        let agreed = agreed.get(kind.as_str());
        for (key, item) in &items {
            if agreed.and_then(|a| a.get(key.as_str())) != Some(&item.hash()) {
                pending.push((kind, key.clone(), Some(item.clone())));
            }
        }
        for key in agreed.into_iter().flat_map(HashMap::keys) {
            // A subscription this library could never share (a local feed, from the folder) is
            // not gone from here: it was never here to share.
            let shareable = (kind != Kind::Subscription || is_web_feed(key)) && !kind.add_only();
            if !items.contains_key(*key) && shareable {
                pending.push((kind, (*key).to_owned(), None));
            }
        }
        local.push(items);
    }
    Ok((synced, local, pending))
}

/// One sync, and the change count it compared the library at.
fn sync_from(
    lib: &mut Library,
    row: &ShareRow,
    now: DateTime<Utc>,
    preloaded: Option<AutoCommit>,
    kept: &mut Option<KeptDoc>,
) -> Result<(ShareReport, i64, Option<AutoCommit>)> {
    let folder = Path::new(&row.folder);
    let server = if server::is_server(&row.folder) {
        Some(server::Address::parse(&row.folder)?)
    } else {
        let manifest = folder::read_manifest(folder)?;
        if manifest.id != row.archive_id {
            return Err(ShareError::Foreign(format!(
                "{} now holds another archive ({:?}); sharing stopped",
                row.folder, manifest.name
            ))
            .into());
        }
        None
    };
    let at = rfc3339(now);
    let mut report = ShareReport::default();

    // Collection members a teammate named that have arrived since (an episode after a refresh)
    // join their collections first; the archive already counts them, so this sends nothing.
    lib.settle_waiting_members()?;
    // Read before the items, so a write made while they are read counts as not compared yet.
    let dirt = lib.share_dirt()?;
    let unseen: Vec<_> = match server {
        // What the server has that is new is known only by asking it.
        Some(_) => Vec::new(),
        None => {
            let seen = lib.files_seen()?;
            folder::list(folder)?
                .into_iter()
                .filter(|e| !seen.contains(&e.name))
                .collect()
        }
    };
    let unpublished = row.heads != row.published;
    let quiet = unseen.is_empty() && !unpublished && row.waiting == 0 && preloaded.is_none();
    // Nothing shared was written here since a sync last compared (and nothing else is to do):
    // the items need not be read, which is most of an idle sync's time in a big archive.
    let clean = quiet && row.checked == Some(dirt);
    let (synced, local, pending) = match clean {
        true => (HashMap::new(), Vec::new(), Vec::new()),
        false => scan(lib)?,
    };
    let idle = quiet && pending.is_empty();
    if idle && server.is_none() {
        lib.record_share_idle(now)?;
        return Ok((report, dirt, None));
    }
    if let (Some(addr), true) = (&server, idle) {
        // Nothing changed here since the server last held all of our document: ask with our
        // heads alone, and load the document only if the server has something else.
        let resume = match server::sync_light(addr, &heads_of(&row.heads))? {
            server::Light::UpToDate => {
                lib.record_share_idle(now)?;
                return Ok((report, dirt, None));
            }
            server::Light::Differs(resume) => resume,
        };
        let mut doc = load_or_kept(lib, row, kept)?;
        let before = doc.get_heads();
        server::resume(*resume, &mut doc)?;
        doc::check(&doc)?;
        let heads = heads_text(&doc.get_heads());
        if doc.get_heads() == before {
            lib.share_commit_received(None, &heads, &[], &[], &[], now)?;
            return Ok((report, dirt, Some(doc)));
        }
        let stored = heads_of(&row.heads);
        // The server had something: the items are compared after all (if they were not).
        let (synced, local, _) = match clean {
            true => scan(lib)?,
            false => (synced, local, pending),
        };
        return read_into_library(lib, &mut doc, &stored, &synced, &local, &[], &[], now, report)
            .map(|r| (r, dirt, Some(doc)));
    }
    let read_back = preloaded.is_some() || row.waiting > 0;
    let mut doc = match preloaded {
        Some(d) => d,
        None => load_or_kept(lib, row, kept)?,
    };

    // 1. What changed here goes into the document as this library's change.
    let mut stored = heads_of(&row.heads);
    let (mut sent, mut known) = (Vec::new(), Vec::new());
    for (kind, key, item) in &pending {
        if let Some(item) = item {
            // Already in the archive word for word (a library joining with the same subscription
            // or blog): agreed as it stands, so it keeps the name of whoever made it.
            if let Some(there) = doc::read_one(&doc, *kind, key) {
                if there.item.as_ref().map(Item::hash) == Some(item.hash()) {
                    known.push((*kind, key.clone(), item.hash(), there.by, there.at));
                    continue;
                }
            }
        }
        doc::write(&mut doc, *kind, key, item.as_ref(), &row.person, &at)?;
        sent.push((*kind, key.clone(), item.as_ref().map(Item::hash)));
        bump(&mut report.sent, *kind);
    }
    if !sent.is_empty() || !known.is_empty() {
        // Saved in the library before it reaches the folder: a crash in between sends it next
        // time, and no change of this library's is ever in the folder without being in its document.
        let save = match sent.is_empty() {
            true => None,
            false => Some(to_store(lib, &mut doc, &stored)?),
        };
        lib.share_commit_sent(
            save.as_ref(),
            &heads_text(&doc.get_heads()),
            &sent,
            &known,
            &row.person,
            &at,
        )?;
        stored = doc.get_heads();
    }
    let mut files = Vec::new();
    if let Some(addr) = &server {
        // 2'. The server and this library bring each other up to date, by the engine's own
        // sync messages.
        let before = doc.get_heads();
        server::sync_with(addr, &mut doc, false)?;
        doc::check(&doc)?;
        let heads = heads_text(&doc.get_heads());
        if doc.get_heads() == before && !read_back {
            lib.share_commit_received(None, &heads, &files, &[], &[], now)?;
            return Ok((report, dirt, Some(doc)));
        }
        return read_into_library(lib, &mut doc, &stored, &synced, &local, &sent, &files, now, report)
            .map(|r| (r, dirt, Some(doc)));
    }
    let outgoing = doc.save_after(&heads_of(&row.published));
    if !outgoing.is_empty() {
        let name = folder::write_content(folder, &outgoing, false)?;
        report.file_written = Some(name.clone());
        files.push(name);
    }

    // 2. Every file not merged yet.
    for entry in unseen {
        if files.contains(&entry.name) {
            continue;
        }
        match folder::read_checked(&entry)? {
            None => report
                .skipped
                .push(format!("{}: not whole yet (still copying?) or not ours", entry.name)),
            Some(bytes) if !bytes.starts_with(&AUTOMERGE_MAGIC) => {
                report
                    .skipped
                    .push(format!("{}: not an archive file (no Automerge header)", entry.name));
            }
            Some(bytes) => match doc.load_incremental(&bytes) {
                Ok(_) => {
                    report.files_merged += 1;
                    files.push(entry.name);
                }
                Err(e) => report
                    .skipped
                    .push(format!("{}: not an archive file ({e})", entry.name)),
            },
        }
    }
    doc::check(&doc)?;
    if !doc.get_missing_deps(&[]).is_empty() {
        // A file arrived before one it builds on: the engine holds its changes back until the
        // earlier one is here, so none of this sync's files count as merged; all are read again.
        report
            .skipped
            .push("some files wait for earlier ones still on their way; merged when those arrive".into());
        files.truncate(usize::from(report.file_written.is_some()));
        report.files_merged = 0;
    }

    // 3. The merged document back into the library (only when something came in).
    let heads = heads_text(&doc.get_heads());
    if report.files_merged == 0 && !read_back {
        lib.share_commit_received(None, &heads, &files, &[], &[], now)?;
        return Ok((report, dirt, Some(doc)));
    }
    read_into_library(lib, &mut doc, &stored, &synced, &local, &sent, &files, now, report).map(|r| (r, dirt, Some(doc)))
}

/// Step 3 of a sync: what the merged document holds that differs from the library goes into it.
#[allow(clippy::too_many_arguments)]
fn read_into_library(
    lib: &mut Library,
    doc: &mut AutoCommit,
    stored: &[ChangeHash],
    synced: &std::collections::HashMap<(String, String), i64>,
    local: &[std::collections::HashMap<String, Item>],
    sent: &[(Kind, String, Option<i64>)],
    files: &[String],
    now: DateTime<Utc>,
    mut report: ShareReport,
) -> Result<ShareReport> {
    let heads = heads_text(&doc.get_heads());
    let mut incoming = Vec::new();
    let mut agreed = Vec::new();
    // Looked up for every item read: a set, not a scan of what was sent (15,000 items each way
    // when a library puts its whole archive on a server).
    let sent: std::collections::HashSet<(Kind, &str)> = sent.iter().map(|(k, s, _)| (*k, s.as_str())).collect();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        for (key, shared) in doc::read_all(doc, kind) {
            let dh = shared.item.as_ref().map(Item::hash);
            let lh = local[i].get(&key).map(Item::hash);
            if dh == lh {
                let known = synced.get(&(kind.as_str().to_owned(), key.clone())).copied();
                if known != dh && !sent.contains(&(kind, key.as_str())) {
                    agreed.push((kind, key, dh));
                }
                continue;
            }
            incoming.push((kind, key, shared.item, shared.by, shared.at));
        }
    }
    let save = to_store(lib, doc, stored)?;
    let (_, waiting, per_kind) = lib.share_commit_received(Some(&save), &heads, files, &incoming, &agreed, now)?;
    report.received = ShareCounts {
        subscriptions: per_kind[0],
        bookmarks: per_kind[1],
        decisions: per_kind[2],
        tags: per_kind[3],
        sources: per_kind[4],
        pages: per_kind[5],
        collections: per_kind[6],
    };
    report.waiting = waiting;
    Ok(report)
}

fn bump(c: &mut ShareCounts, kind: Kind) {
    match kind {
        Kind::Subscription => c.subscriptions += 1,
        Kind::Bookmark => c.bookmarks += 1,
        Kind::Decision => c.decisions += 1,
        Kind::Tag => c.tags += 1,
        Kind::Source => c.sources += 1,
        Kind::Page => c.pages += 1,
        Kind::Collection => c.collections += 1,
    }
}

/// How many files a shared folder may hold before [`tidy`] compacts it: each sync that changed
/// something adds one, and every machine reads every file it has not merged yet.
pub const TIDY_AFTER_FILES: u32 = 200;

/// Compacts the shared folder when it holds more than [`TIDY_AFTER_FILES`] files, as the app does
/// after its syncs so a team's folder never grows without end; returns the files removed (0 when
/// it was small enough, or the archive lives on a server, which stores it its own way).
pub fn tidy(lib: &mut Library, now: DateTime<Utc>) -> Result<u32> {
    let Some(row) = lib.share_row()? else {
        return Ok(0);
    };
    if server::is_server(&row.folder) {
        return Ok(0);
    }
    let files = folder::list(Path::new(&row.folder))?.len();
    if files <= TIDY_AFTER_FILES as usize {
        return Ok(0);
    }
    compact(lib, now)
}

/// Writes a snapshot of the whole archive, then removes the files it covers (every file this
/// library had merged before taking it). Files another machine wrote since stay. Returns the
/// number of files removed.
pub fn compact(lib: &mut Library, now: DateTime<Utc>) -> Result<u32> {
    let row = lib.share_row()?.ok_or(ShareError::NotShared)?;
    if server::is_server(&row.folder) {
        return Err(ShareError::Server(
            "compaction is for shared folders: a sync server stores the archive its own way".into(),
        )
        .into());
    }
    sync(lib, now)?;
    let row = lib.share_row()?.ok_or(ShareError::NotShared)?;
    let folder = Path::new(&row.folder);
    let mut doc = load(lib, &row)?;
    let snapshot = folder::write_content(folder, &doc.save(), true)?;
    let covered: Vec<String> = lib.files_seen()?.into_iter().collect();
    let removed = folder::remove_covered(folder, &covered, &snapshot);
    lib.forget_files(&covered, &snapshot)?;
    Ok(removed)
}

impl Library {
    /// The share's state for `share status` and the window.
    pub fn share_status(&self) -> Result<ShareStatus> {
        let Some(row) = self.share_row()? else {
            return Ok(ShareStatus {
                shared: false,
                name: None,
                folder: None,
                on_server: false,
                person: None,
                last_sync: None,
                last_error: None,
                items: ShareCounts::default(),
                folder_files: 0,
                folder_bytes: 0,
            });
        };
        // From what this library agreed with the archive at the last sync: no need to read the
        // document (megabytes) for a status line the window asks for often.
        let counts = self.share_counts()?;
        let count = |k: Kind| counts.get(k.as_str()).copied().unwrap_or(0);
        let entries = folder::list(Path::new(&row.folder)).unwrap_or_default();
        Ok(ShareStatus {
            shared: true,
            items: ShareCounts {
                subscriptions: count(Kind::Subscription),
                bookmarks: count(Kind::Bookmark),
                decisions: count(Kind::Decision),
                tags: count(Kind::Tag),
                sources: count(Kind::Source),
                pages: count(Kind::Page),
                collections: count(Kind::Collection),
            },
            folder_files: u32::try_from(entries.len()).unwrap_or(u32::MAX),
            folder_bytes: entries.iter().map(|e| e.len).sum(),
            name: Some(row.name),
            on_server: server::is_server(&row.folder),
            folder: Some(row.folder),
            person: Some(row.person),
            last_sync: row.last_sync,
            last_error: row.last_error,
        })
    }

    /// A link decision's history in the shared archive, oldest first: (state, by, at).
    pub fn share_decision_history(&self, feed: &str, guid: &str, url: &str) -> Result<Vec<(String, String, String)>> {
        let Some(row) = self.share_row()? else {
            return Ok(Vec::new());
        };
        let doc = load(self, &row)?;
        Ok(doc::history(&doc, &super::store::decision_key(feed, guid, url)))
    }
}
