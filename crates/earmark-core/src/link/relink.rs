//! Relinking: for each episode, find the documents about it (hard evidence first, then
//! suggestions from similar wording, shared names and close dates) and store them, leaving every
//! row a person decided exactly as it was.
//!
//! Nothing here holds the whole archive in memory. Documents are reached through two persisted
//! indexes: the full-text index (`document_fts`, with BM25 and its vocabulary for document
//! frequencies) and the linker's URL index (`link_doc_refs`, brought up to date first for the
//! documents the triggers marked as changed). So relinking one new episode costs a handful of
//! index lookups, and a full pass costs that per episode.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use super::evidence::{self, Evidence};
use super::model::{LinkKind, LinkState, RelinkReport, RelinkScope};
use super::names;
use super::reader::{self, Archive, Reader, MAX_TEXT_CHARS};
use super::urls::{self, Reference};
use crate::error::{Error, Result};
use crate::library::rfc3339;
use crate::model::Podcast20;

/// The tuning of suggestions. The defaults were chosen on the labelled fixture archive
/// (`tests/fixtures/link-archive`), judged by precision and recall as a whole, never per item.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Suggestions below this combined score are not stored.
    pub threshold: f64,
    /// At most this many suggestions per episode.
    pub per_episode: usize,
    /// Terms of the episode sent to the full-text index to find candidates.
    pub query_terms: usize,
    /// Candidates taken from the full-text index per episode.
    pub candidates: usize,
    /// The cosine similarity that counts as full marks for wording.
    pub cosine_full: f64,
    /// Weights of wording, names and date in the combined score (they sum to 1).
    pub weights: [f64; 3],
    /// Days over which the date signal halves.
    pub date_half_life_days: f64,
    /// Connections reading in parallel during a pass over many episodes; 0 means one per core
    /// (at most 4). The result does not depend on it.
    pub readers: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            threshold: 0.62,
            per_episode: 5,
            query_terms: 14,
            candidates: 30,
            cosine_full: 0.7,
            weights: [0.5, 0.35, 0.15],
            date_half_life_days: 30.0,
            readers: 0,
        }
    }
}

/// Names and terms shown in a reason.
const REASON_ITEMS: usize = 4;

/// What the linker proposes for one (episode, document) pair.
#[derive(Debug, Clone)]
struct Proposal {
    doc: i64,
    kind: LinkKind,
    score: f64,
    reasons: Vec<String>,
}

/// One episode as the linker reads it.
struct EpisodeRow {
    id: i64,
    title: String,
    link: Option<String>,
    guid: String,
    enclosure: Option<String>,
    notes_raw: String,
    notes_text: String,
    published_ts: Option<i64>,
    podcast20: Option<String>,
    content_hash: i64,
}

/// Facts about the whole archive that every episode's linking consults, read once per relink and
/// shared by the readers.
struct Facts {
    tuning: Tuning,
    archive: Archive,
    /// Normalised URL → how many episodes use it (a URL shared by episodes proves nothing).
    episode_url_uses: HashMap<String, u32>,
    /// Normalised title → how many episodes carry it.
    title_uses: HashMap<String, u32>,
    /// Podcast titles, normalised: an episode titled like its show is not distinctive.
    podcast_titles: HashSet<String>,
}

/// Episodes handed to a reader at a time in a parallel pass.
const WORK_CHUNK: usize = 16;
/// Episodes whose links are written in one transaction: short enough that a reader (the app)
/// never waits long on the lock.
const WRITE_CHUNK: usize = 200;

/// Proposals computed for some episodes, waiting to be written.
#[derive(Default)]
struct Batch {
    /// (episode, its content hash, proposals).
    episodes: Vec<(i64, i64, Vec<Proposal>)>,
    /// Document vector lengths computed on the way, to store.
    norms: Vec<(i64, f32)>,
}

impl Batch {
    fn append(&mut self, mut other: Batch) {
        self.episodes.append(&mut other.episodes);
        self.norms.append(&mut other.norms);
    }
}

/// Runs a relink over `scope`. See [`crate::Library::relink`].
pub(crate) fn relink(
    conn: &mut Connection,
    scope: &RelinkScope,
    tuning: Tuning,
    now: DateTime<Utc>,
) -> Result<RelinkReport> {
    let mut report = RelinkReport {
        documents_indexed: index_dirty_documents(conn)?,
        ..RelinkReport::default()
    };
    let docs_changed = report.documents_indexed > 0;
    let conn: &Connection = conn;
    let episode_ids: Vec<i64> = match scope {
        RelinkScope::All => all_episode_ids(conn)?,
        RelinkScope::Episodes(ids) => {
            for id in ids {
                let found: Option<i64> = conn
                    .query_row("SELECT id FROM episodes WHERE id = ?1", [id.0], |r| r.get(0))
                    .optional()?;
                if found.is_none() {
                    return Err(Error::NotFound(format!("episode {}", id.0)));
                }
            }
            ids.iter().map(|i| i.0).collect()
        }
        RelinkScope::New if docs_changed => all_episode_ids(conn)?,
        RelinkScope::New => {
            let mut stmt = conn.prepare(
                "SELECT e.id FROM episodes e LEFT JOIN link_episodes_seen s ON s.episode_id = e.id \
                 WHERE s.content_hash IS NULL OR s.content_hash <> e.content_hash ORDER BY e.id",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        }
    };
    report.episodes = episode_ids.len() as u64;
    if episode_ids.is_empty() {
        return Ok(report);
    }
    let facts = Facts::load(conn, tuning)?;
    let now_s = rfc3339(now);
    let readers = match tuning.readers {
        0 => crate::worker_threads(4),
        n => n,
    };
    let path = conn.path().filter(|p| !p.is_empty()).map(PathBuf::from);
    match path {
        Some(path) if readers > 1 && episode_ids.len() > WORK_CHUNK => {
            relink_parallel(conn, &path, readers, &facts, &episode_ids, &now_s, &mut report)?;
        }
        _ => {
            // Proposals are computed outside any write transaction, then written in chunks.
            let mut reader = Reader::new(conn, &facts.archive)?;
            for chunk in episode_ids.chunks(WRITE_CHUNK) {
                let batch = propose_all(&mut reader, &facts, chunk)?;
                write_batch(conn, &batch, &now_s, &mut report)?;
            }
        }
    }
    Ok(report)
}

/// A pass over many episodes: `readers` threads, each with its own read connection (WAL lets
/// them read while this thread writes), compute proposals for chunks of episodes taken in turn;
/// this thread writes them as they arrive.
fn relink_parallel(
    conn: &Connection,
    path: &Path,
    readers: usize,
    facts: &Facts,
    episode_ids: &[i64],
    now: &str,
    report: &mut RelinkReport,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Result<Batch>>(readers * 2);
        for _ in 0..readers {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            s.spawn(move || {
                if let Err(e) = read_chunks(path, facts, episode_ids, next, stop, &tx) {
                    // The receiver is gone only when the writer already failed.
                    let _ = tx.send(Err(e));
                }
            });
        }
        drop(tx);
        let mut pending = Batch::default();
        let outcome = (|| {
            for batch in &rx {
                pending.append(batch?);
                if pending.episodes.len() >= WRITE_CHUNK {
                    write_batch(conn, &std::mem::take(&mut pending), now, report)?;
                }
            }
            write_batch(conn, &pending, now, report)
        })();
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // Dropping the receiver here lets a reader blocked on a full channel finish.
        drop(rx);
        outcome
    });
    result
}

/// One reader's share of a parallel pass.
fn read_chunks(
    path: &Path,
    facts: &Facts,
    episode_ids: &[i64],
    next: &AtomicUsize,
    stop: &AtomicBool,
    tx: &mpsc::SyncSender<Result<Batch>>,
) -> Result<()> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.pragma_update(None, "cache_size", -16_000)?;
    let mut reader = Reader::new(&conn, &facts.archive)?;
    while !stop.load(Ordering::Relaxed) {
        let start = next.fetch_add(WORK_CHUNK, Ordering::Relaxed);
        if start >= episode_ids.len() {
            break;
        }
        let chunk = &episode_ids[start..(start + WORK_CHUNK).min(episode_ids.len())];
        let batch = propose_all(&mut reader, facts, chunk)?;
        if tx.send(Ok(batch)).is_err() {
            break;
        }
    }
    Ok(())
}

/// Proposals for some episodes, with the document vector lengths computed on the way.
fn propose_all(reader: &mut Reader<'_>, facts: &Facts, ids: &[i64]) -> Result<Batch> {
    let mut batch = Batch::default();
    for &id in ids {
        let Some(ep) = load_episode(reader, id)? else { continue };
        let proposals = propose(reader, facts, &ep)?;
        batch.episodes.push((ep.id, ep.content_hash, proposals));
    }
    batch.norms = reader.take_new_norms();
    Ok(batch)
}

/// Writes a batch in one transaction.
fn write_batch(conn: &Connection, batch: &Batch, now: &str, report: &mut RelinkReport) -> Result<()> {
    if batch.episodes.is_empty() && batch.norms.is_empty() {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    {
        let mut norm = tx.prepare_cached(
            "INSERT INTO link_doc_norms (document_id, norm) VALUES (?1, ?2) \
             ON CONFLICT (document_id) DO UPDATE SET norm = excluded.norm",
        )?;
        for (doc, n) in &batch.norms {
            norm.execute(params![doc, f64::from(*n)])?;
        }
        let mut seen = tx.prepare_cached(
            "INSERT INTO link_episodes_seen (episode_id, content_hash) VALUES (?1, ?2) \
             ON CONFLICT (episode_id) DO UPDATE SET content_hash = excluded.content_hash",
        )?;
        for (eid, hash, proposals) in &batch.episodes {
            write_episode(&tx, *eid, proposals, now, report)?;
            seen.execute(params![eid, hash])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn all_episode_ids(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT id FROM episodes ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Reads the documents the triggers marked as changed and records what each points at.
fn index_dirty_documents(conn: &mut Connection) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut count = 0;
    {
        let mut dirty = tx.prepare(
            "SELECT d.id, d.url, d.html_raw FROM link_dirty_documents x JOIN documents d ON d.id = x.document_id",
        )?;
        let mut clear = tx.prepare_cached("DELETE FROM link_doc_refs WHERE document_id = ?1")?;
        let mut forget_norm = tx.prepare_cached("DELETE FROM link_doc_norms WHERE document_id = ?1")?;
        let mut insert =
            tx.prepare_cached("INSERT OR IGNORE INTO link_doc_refs (url, how, document_id) VALUES (?1, ?2, ?3)")?;
        let mut rows = dirty.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let url: String = row.get(1)?;
            let html: String = row.get(2)?;
            clear.execute([id])?;
            forget_norm.execute([id])?;
            if let Some(own) = urls::normalize(&url) {
                insert.execute(params![own, "self", id])?;
            }
            for (u, how) in urls::references(&html) {
                insert.execute(params![u, how.as_str(), id])?;
            }
            count += 1;
        }
    }
    tx.execute("DELETE FROM link_dirty_documents", [])?;
    tx.commit()?;
    Ok(count)
}

fn load_episode(reader: &mut Reader<'_>, id: i64) -> Result<Option<EpisodeRow>> {
    reader.episode(id, |r| {
        let notes_raw: String = r.get(5)?;
        Ok(EpisodeRow {
            id: r.get(0)?,
            title: r.get(1)?,
            link: r.get(2)?,
            guid: r.get(3)?,
            enclosure: r.get(4)?,
            // The library keeps only the notes as the feed gave them; the text is made here.
            notes_text: crate::html::to_text(&notes_raw),
            notes_raw,
            published_ts: r.get(6)?,
            podcast20: r.get(7)?,
            content_hash: r.get(8)?,
        })
    })
}

impl Facts {
    fn load(conn: &Connection, tuning: Tuning) -> Result<Self> {
        let doc_count: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
        let doc_count = doc_count.max(0) as u64;
        let mut episode_url_uses: HashMap<String, u32> = HashMap::new();
        let mut title_uses: HashMap<String, u32> = HashMap::new();
        {
            let mut stmt = conn.prepare("SELECT title, link, guid, enclosure_url FROM episodes")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(0)?;
                *title_uses.entry(evidence::title_key(&title)).or_default() += 1;
                let mut seen = HashSet::new();
                for col in 1..=3 {
                    let v: Option<String> = r.get(col)?;
                    if let Some(n) = v.as_deref().and_then(urls::normalize) {
                        if seen.insert(n.clone()) {
                            *episode_url_uses.entry(n).or_default() += 1;
                        }
                    }
                }
            }
        }
        let mut podcast_titles = HashSet::new();
        {
            let mut stmt = conn.prepare("SELECT title FROM podcasts")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for t in rows {
                podcast_titles.insert(evidence::title_key(&t?));
            }
        }
        Ok(Facts {
            tuning,
            archive: Archive { doc_count },
            episode_url_uses,
            title_uses,
            podcast_titles,
        })
    }
}

/// Everything the linker proposes for one episode, explicit evidence first.
fn propose(reader: &mut Reader<'_>, facts: &Facts, ep: &EpisodeRow) -> Result<Vec<Proposal>> {
    let mut explicit: HashMap<i64, Vec<Evidence>> = HashMap::new();
    let add = |doc: i64, e: Evidence, explicit: &mut HashMap<i64, Vec<Evidence>>| {
        let list = explicit.entry(doc).or_default();
        if !list.contains(&e) {
            list.push(e);
        }
    };

    // Documents that point at the episode's page, guid or media.
    let mut targets: Vec<(String, bool)> = Vec::new();
    for (url, is_audio) in [
        (ep.link.as_deref(), false),
        (Some(ep.guid.as_str()), false),
        (ep.enclosure.as_deref(), true),
    ] {
        if let Some(n) = url.and_then(urls::normalize) {
            if facts.episode_url_uses.get(&n).copied().unwrap_or(0) <= 1 && !targets.iter().any(|(u, _)| *u == n) {
                targets.push((n, is_audio));
            }
        }
    }
    {
        for (url, is_audio) in &targets {
            for (doc, how) in reader.refs_to(url)? {
                let e = match (is_audio, how == Reference::Embed.as_str()) {
                    (true, true) => Evidence::EmbedsAudio,
                    (true, false) => Evidence::LinksAudio,
                    (false, _) => Evidence::LinksPage,
                };
                add(doc, e, &mut explicit);
            }
        }
    }

    // Documents the show notes point at.
    {
        let mut notes_urls: Vec<String> = urls::references(&ep.notes_raw).into_iter().map(|(u, _)| u).collect();
        for bare in urls::bare_urls(&ep.notes_text) {
            if let Some(n) = urls::normalize(bare) {
                notes_urls.push(n);
            }
        }
        notes_urls.sort();
        notes_urls.dedup();
        for url in notes_urls.iter().take(200) {
            for doc in reader.docs_at(url)? {
                add(doc, Evidence::NotesLinkHere, &mut explicit);
            }
        }
    }

    // Documents that name the exact title, when the title is distinctive.
    let key = evidence::title_key(&ep.title);
    if facts.title_uses.get(&key).copied().unwrap_or(0) <= 1 && !facts.podcast_titles.contains(&key) {
        if let Some(phrase) = evidence::title_phrase(&ep.title) {
            // A "title" that many documents contain is a common phrase, not a reference.
            for doc in reader.phrase_docs(&phrase)?.unwrap_or_default() {
                add(doc, Evidence::NamesTitle, &mut explicit);
            }
        }
    }

    let mut out: Vec<Proposal> = explicit
        .into_iter()
        .map(|(doc, mut ev)| {
            ev.sort();
            Proposal {
                doc,
                kind: LinkKind::Explicit,
                score: 1.0,
                reasons: ev.iter().map(|e| e.reason().to_owned()).collect(),
            }
        })
        .collect();
    out.sort_by_key(|p| p.doc);
    let mut suggestions = suggest(reader, facts, ep, &out)?;
    out.append(&mut suggestions);
    Ok(out)
}

/// Suggestions for an episode: candidates from the full-text index (its most distinctive words)
/// and from its distinctive names, scored by wording, names and date.
fn suggest(reader: &mut Reader<'_>, facts: &Facts, ep: &EpisodeRow, explicit: &[Proposal]) -> Result<Vec<Proposal>> {
    let tuning = facts.tuning;
    let persons: Vec<String> = ep
        .podcast20
        .as_deref()
        .and_then(|s| serde_json::from_str::<Podcast20>(s).ok())
        .map(|p| p.persons.into_iter().map(|p| p.name).collect())
        .unwrap_or_default();
    let body = format!("{} {}", ep.notes_text, persons.join(". "));
    let vector = reader.vector(&ep.title, &body)?;
    if vector.entries.is_empty() {
        return Ok(Vec::new());
    }

    // The episode's names: people in the notes and its podcast:person entries.
    let mut ep_names: Vec<String> = persons.clone();
    for n in names::names(reader::truncate_chars(
        &format!("{}. {}", ep.title, ep.notes_text),
        MAX_TEXT_CHARS,
    )) {
        if !ep_names.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            ep_names.push(n);
        }
    }
    let mut name_sets: Vec<(String, Rc<HashSet<i64>>)> = Vec::new();
    for n in ep_names.iter().take(24) {
        if let Some(docs) = reader.name_docs(n)? {
            name_sets.push((n.clone(), docs));
        }
    }

    // Candidates.
    let mut candidates: HashSet<i64> = HashSet::new();
    let mut top: Vec<(u32, f32)> = vector.entries.clone();
    top.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
    let query: Vec<String> = top
        .iter()
        .take(tuning.query_terms)
        .map(|(t, _)| format!("\"{}\"", reader.term_name(*t)))
        .collect();
    candidates.extend(reader.ranked(&query.join(" OR "), tuning.candidates)?);
    for (_, docs) in &name_sets {
        candidates.extend(docs.iter().copied());
    }
    let explicit_docs: HashSet<i64> = explicit.iter().map(|p| p.doc).collect();

    let mut scored: Vec<Proposal> = Vec::new();
    let mut candidates: Vec<i64> = candidates.into_iter().filter(|d| !explicit_docs.contains(d)).collect();
    candidates.sort_unstable();
    for doc in candidates {
        let Some(info) = reader.doc(doc)? else {
            continue;
        };
        let doc_vector = reader.restricted(&info, &vector)?;
        let (cos, shared_terms) = vector.cosine(&doc_vector);
        let shared_names: Vec<&str> = name_sets
            .iter()
            .filter(|(_, docs)| docs.contains(&doc))
            .map(|(n, _)| n.as_str())
            .collect();
        let days = match (ep.published_ts, info.published_ts) {
            (Some(a), Some(b)) => Some((a - b).unsigned_abs() as f64 / 86_400.0),
            _ => None,
        };
        let s_words = (f64::from(cos) / tuning.cosine_full).min(1.0);
        let s_names = 1.0 - 0.5f64.powi(shared_names.len().min(8) as i32);
        let s_date = days.map_or(0.25, |d| 0.5f64.powf(d / tuning.date_half_life_days));
        let [ww, wn, wd] = tuning.weights;
        let score = (ww * s_words + wn * s_names + wd * s_date).clamp(0.0, 1.0);
        if score < tuning.threshold {
            continue;
        }
        let mut shares: Vec<String> = shared_names
            .iter()
            .take(REASON_ITEMS)
            .map(|s| (*s).to_owned())
            .collect();
        for (t, _) in shared_terms
            .iter()
            .take(REASON_ITEMS.saturating_sub(shares.len()).max(2))
        {
            let term = reader.term_name(*t);
            if !shares.iter().any(|s| s.to_lowercase().contains(term)) {
                shares.push(term.to_owned());
            }
        }
        let mut first = String::new();
        if !shares.is_empty() {
            first = format!("shares: {}", shares.join(", "));
        }
        if let Some(d) = days {
            let when = days_apart(d);
            first = if first.is_empty() {
                when
            } else {
                format!("{first}; {when}")
            };
        }
        let mut reasons = Vec::new();
        if !first.is_empty() {
            reasons.push(first);
        }
        reasons.push(format!("similar wording (score {cos:.2})"));
        scored.push(Proposal {
            doc,
            kind: LinkKind::Suggested,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
        });
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    scored.truncate(tuning.per_episode);
    Ok(scored)
}

fn days_apart(days: f64) -> String {
    let d = days.round() as i64;
    match d {
        0 => "published the same day".to_owned(),
        1 => "published 1 day apart".to_owned(),
        d if d < 60 => format!("published {d} days apart"),
        d if d < 730 => format!("published {} months apart", d / 30),
        d => format!("published {} years apart", d / 365),
    }
}

/// Stores one episode's proposals: automatic rows are inserted, updated or removed; rows a person
/// decided are never touched.
fn write_episode(
    tx: &rusqlite::Transaction<'_>,
    episode: i64,
    proposals: &[Proposal],
    now: &str,
    report: &mut RelinkReport,
) -> Result<()> {
    let mut existing: HashMap<i64, (bool, String, f64, String)> = HashMap::new();
    {
        let mut stmt =
            tx.prepare_cached("SELECT document_id, decided, kind, score, reasons FROM links WHERE episode_id = ?1")?;
        let rows = stmt.query_map([episode], |r| {
            Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        })?;
        for r in rows {
            let (doc, v) = r?;
            existing.insert(doc, v);
        }
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO links (episode_id, document_id, kind, state, score, reasons, decided, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7) \
         ON CONFLICT (episode_id, document_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, \
         score = excluded.score, reasons = excluded.reasons, updated_at = excluded.updated_at WHERE links.decided = 0",
    )?;
    let mut wanted = HashSet::new();
    for p in proposals {
        wanted.insert(p.doc);
        let reasons = serde_json::to_string(&p.reasons).unwrap_or_else(|_| "[]".into());
        if let Some((decided, kind, score, old_reasons)) = existing.get(&p.doc) {
            if *decided {
                report.kept_decided += 1;
                continue;
            }
            let unchanged = kind == p.kind.as_str() && (*score - p.score).abs() < 1e-9 && *old_reasons == reasons;
            if !unchanged {
                upsert.execute(params![
                    episode,
                    p.doc,
                    p.kind.as_str(),
                    state_of(p.kind).as_str(),
                    p.score,
                    reasons,
                    now
                ])?;
            }
        } else {
            upsert.execute(params![
                episode,
                p.doc,
                p.kind.as_str(),
                state_of(p.kind).as_str(),
                p.score,
                reasons,
                now
            ])?;
        }
        match p.kind {
            LinkKind::Explicit => report.explicit += 1,
            _ => report.suggested += 1,
        }
    }
    let mut delete =
        tx.prepare_cached("DELETE FROM links WHERE episode_id = ?1 AND document_id = ?2 AND decided = 0")?;
    for (doc, (decided, ..)) in &existing {
        if *decided {
            if !wanted.contains(doc) {
                report.kept_decided += 1;
            }
        } else if !wanted.contains(doc) {
            report.removed += delete.execute(params![episode, doc])? as u64;
        }
    }
    Ok(())
}

fn state_of(kind: LinkKind) -> LinkState {
    match kind {
        LinkKind::Explicit | LinkKind::Manual => LinkState::Accepted,
        LinkKind::Suggested => LinkState::Suggested,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_naturally() {
        assert_eq!(days_apart(0.2), "published the same day");
        assert_eq!(days_apart(2.1), "published 2 days apart");
        assert_eq!(days_apart(95.0), "published 3 months apart");
        assert_eq!(days_apart(800.0), "published 2 years apart");
    }

    #[test]
    fn name_limit_grows_with_the_archive() {
        assert_eq!(reader::max_name_docs(10), 6);
        assert_eq!(reader::max_name_docs(20_000), 600);
    }
}
