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

use super::evidence::{self, Evidence, Placement, Signal};
use super::hosts;
use super::model::{LinkKind, LinkState, RelinkReport, RelinkScope};
use super::names;
use super::reader::{self, Archive, Reader, MAX_TEXT_CHARS};
use super::urls::{self, Reference};
use crate::error::{Error, Result};
use crate::library::rfc3339;
use crate::model::Podcast20;

/// The features a suggestion is scored on, in the order of [`Tuning::coef`].
pub const FEATURES: [&str; 14] = [
    "words",
    "rare_names",
    "guest_in_title",
    "title_strong",
    "title_weak",
    "podcast_category",
    "host_player",
    "announces",
    "date",
    "before",
    "episode_number",
    "announcement",
    "elsewhere",
    "event_notice",
];

/// The tuning of the linker. The defaults were fitted on labelled archives made by
/// `tests/fixtures/link-blog/generate.py` with seeds 1, 3, 4 and 5 and by
/// `tests/fixtures/link-archive/generate.py` with seed 11 (the tuning set; the blog's seed-2
/// archive is the test set, seeds 6 to 12 a further check) and checked on
/// `tests/fixtures/link-archive`: the suggestion score is a logistic model of [`FEATURES`], so it
/// reads as the share of such suggestions that were right.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Suggestions whose calibrated score is below this are not stored.
    pub threshold: f64,
    /// At most this many suggestions per episode.
    pub per_episode: usize,
    /// Terms of the episode sent to the full-text index to find candidates.
    pub query_terms: usize,
    /// Candidates taken from the full-text index per episode.
    pub candidates: usize,
    /// The cosine similarity that counts as full marks for wording.
    pub cosine_full: f64,
    /// Days over which the date signal halves.
    pub date_half_life_days: f64,
    /// Days after an episode in which a post is taken as its announcement (unless the next
    /// episode came out first).
    pub announce_days: f64,
    /// A title is distinctive only when at most this many documents name it...
    pub title_max_docs: usize,
    /// ...and when its meaningful words would fall together in fewer documents than this by
    /// chance ([`evidence::chance_docs`]).
    pub title_max_chance: f64,
    /// The logistic model's intercept.
    pub bias: f64,
    /// The logistic model's weight for each of [`FEATURES`].
    pub coef: [f64; 14],
    /// Connections reading in parallel during a pass over many episodes; 0 means one per core
    /// (at most 4). The result does not depend on it.
    pub readers: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            threshold: 0.5,
            per_episode: 5,
            query_terms: 14,
            candidates: 30,
            cosine_full: 0.7,
            date_half_life_days: 30.0,
            announce_days: 14.0,
            title_max_docs: 8,
            title_max_chance: 1.0,
            bias: -11.90,
            coef: [
                9.55, 6.47, -0.73, 1.18, 3.37, 2.17, -0.93, -0.63, 6.76, -4.36, 4.05, 0.72, -0.45, -5.55,
            ],
            readers: 0,
        }
    }
}

/// A document pointing at more episodes than this is a list of episodes, not about one.
const MAX_EPISODES_PER_DOC: usize = 3;

/// Names and terms shown in a reason.
const REASON_ITEMS: usize = 4;

/// What the linker proposes for one (episode, document) pair.
#[derive(Debug, Clone)]
struct Proposal {
    doc: i64,
    kind: LinkKind,
    score: f64,
    reasons: Vec<String>,
    /// Codes of the evidence behind it ([`Evidence::code`], [`Signal::code`]).
    evidence: Vec<&'static str>,
}

/// One candidate as the scorer saw it: for calibrating the model on labelled archives.
#[derive(Debug, Clone)]
pub struct CandidateFeatures {
    /// The episode.
    pub episode_id: i64,
    /// The document.
    pub doc_id: i64,
    /// The values of [`FEATURES`].
    pub values: [f64; 14],
    /// The calibrated score given them.
    pub score: f64,
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
    episode_number: Option<i64>,
    podcast_id: i64,
}

/// Facts about the whole archive that every episode's linking consults, read once per relink and
/// shared by the readers.
struct Facts {
    tuning: Tuning,
    archive: Archive,
    /// Normalised URL (or host episode key) → how many episodes use it (a URL shared by
    /// episodes proves nothing) and the first episode that does.
    episode_url_uses: HashMap<String, (u32, i64)>,
    /// Normalised title → how many episodes carry it.
    title_uses: HashMap<String, u32>,
    /// Podcast titles, normalised: an episode titled like its show is not distinctive.
    podcast_titles: HashSet<String>,
    /// Each podcast's episode dates (unix seconds), sorted: when the next episode came out.
    episode_times: HashMap<i64, Vec<i64>>,
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

/// Every candidate of every episode with the features the scorer saw: for fitting and checking the
/// model on a labelled archive. Reads only (documents the triggers marked are indexed first).
pub(crate) fn candidate_features(conn: &mut Connection, tuning: Tuning) -> Result<Vec<CandidateFeatures>> {
    index_dirty_documents(conn)?;
    let conn: &Connection = conn;
    let facts = Facts::load(conn, tuning)?;
    let mut reader = Reader::new(conn, &facts.archive)?;
    let mut out = Vec::new();
    for id in all_episode_ids(conn)? {
        let Some(ep) = load_episode(&mut reader, id)? else {
            continue;
        };
        propose(&mut reader, &facts, &ep, Some(&mut out))?;
    }
    Ok(out)
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
        let proposals = propose(reader, facts, &ep, None)?;
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

/// Reads the documents the triggers marked as changed and records what each points at (URLs, and
/// the podcast hosts' episode keys among them) and what it is (a podcast post, a player, an event
/// notice).
fn index_dirty_documents(conn: &mut Connection) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut count = 0;
    {
        let mut dirty = tx.prepare(
            "SELECT d.id, d.url, d.html_raw, d.categories, d.tags, d.title \
             FROM link_dirty_documents x JOIN documents d ON d.id = x.document_id",
        )?;
        let mut clear = tx.prepare_cached("DELETE FROM link_doc_refs WHERE document_id = ?1")?;
        let mut forget_norm = tx.prepare_cached("DELETE FROM link_doc_norms WHERE document_id = ?1")?;
        let mut insert =
            tx.prepare_cached("INSERT OR IGNORE INTO link_doc_refs (url, how, document_id) VALUES (?1, ?2, ?3)")?;
        let mut facts = tx.prepare_cached(
            "INSERT INTO link_doc_facts (document_id, podcast_category, host_player, event_notice) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (document_id) DO UPDATE SET podcast_category = excluded.podcast_category, \
             host_player = excluded.host_player, event_notice = excluded.event_notice",
        )?;
        let mut rows = dirty.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let url: String = row.get(1)?;
            let html: String = row.get(2)?;
            let categories: String = row.get(3)?;
            let tags: String = row.get(4)?;
            let title: String = row.get(5)?;
            clear.execute([id])?;
            forget_norm.execute([id])?;
            if let Some(own) = urls::normalize(&url) {
                insert.execute(params![own, "self", id])?;
            }
            let mut player = false;
            for (u, how) in urls::references(&html) {
                if let Some(key) = hosts::episode_key(&u) {
                    player = true;
                    insert.execute(params![key, how.as_str(), id])?;
                }
                insert.execute(params![u, how.as_str(), id])?;
            }
            for title in urls::player_titles(&html) {
                for key in evidence::player_title_keys(&title) {
                    insert.execute(params![evidence::player_title_ref(&key), Reference::Embed.as_str(), id])?;
                }
            }
            let podcast = evidence::filed_under(&categories, &tags, "podcast");
            let event = super::evidence::is_event_notice(&title, &categories, &tags);
            facts.execute(params![id, podcast, player, event])?;
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
            episode_number: r.get(9)?,
            podcast_id: r.get(10)?,
        })
    })
}

impl Facts {
    fn load(conn: &Connection, tuning: Tuning) -> Result<Self> {
        let doc_count: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
        let doc_count = doc_count.max(0) as u64;
        let mut episode_url_uses: HashMap<String, (u32, i64)> = HashMap::new();
        let mut title_uses: HashMap<String, u32> = HashMap::new();
        let mut episode_times: HashMap<i64, Vec<i64>> = HashMap::new();
        {
            let mut stmt =
                conn.prepare("SELECT title, link, guid, enclosure_url, podcast_id, published_ts, id FROM episodes")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let title: String = r.get(0)?;
                let key = evidence::title_key(&title);
                let id: i64 = r.get(6)?;
                let mut seen = HashSet::new();
                // A player titled with the episode's title points at it as its address does.
                if key.contains(' ') {
                    let titled = evidence::player_title_ref(&key);
                    episode_url_uses.entry(titled.clone()).or_insert((0, id)).0 += 1;
                    seen.insert(titled);
                }
                *title_uses.entry(key).or_default() += 1;
                for col in 1..=3 {
                    let v: Option<String> = r.get(col)?;
                    if let Some(n) = v.as_deref().and_then(urls::normalize) {
                        let key = hosts::episode_key(&n);
                        for u in key.into_iter().chain([n]) {
                            if seen.insert(u.clone()) {
                                episode_url_uses.entry(u).or_insert((0, id)).0 += 1;
                            }
                        }
                    }
                }
                let podcast: i64 = r.get(4)?;
                if let Some(ts) = r.get::<_, Option<i64>>(5)? {
                    episode_times.entry(podcast).or_default().push(ts);
                }
            }
        }
        for times in episode_times.values_mut() {
            times.sort_unstable();
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
            episode_times,
        })
    }

    /// The episodes a document points at (by their own addresses), at most `limit + 1` of them.
    fn episodes_pointed_at(&self, refs: &[String], limit: usize) -> HashSet<i64> {
        let mut out = HashSet::new();
        for u in refs {
            if let Some(&(1, ep)) = self.episode_url_uses.get(u) {
                out.insert(ep);
                if out.len() > limit {
                    break;
                }
            }
        }
        out
    }

    /// When the podcast's next episode after `ts` came out.
    fn next_episode_after(&self, podcast: i64, ts: i64) -> Option<i64> {
        let times = self.episode_times.get(&podcast)?;
        let at = times.partition_point(|&t| t <= ts);
        times.get(at).copied()
    }
}

/// What an episode's own addresses are, for finding documents that point at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Page,
    Audio,
    HostEpisode,
    PlayerTitle,
}

/// A title named by a document that is not hard evidence on its own.
#[derive(Debug, Clone, Copy)]
struct TitleMention {
    placement: Placement,
    /// Documents naming the title.
    docs: usize,
}

/// Everything the linker proposes for one episode, explicit evidence first.
fn propose(
    reader: &mut Reader<'_>,
    facts: &Facts,
    ep: &EpisodeRow,
    record: Option<&mut Vec<CandidateFeatures>>,
) -> Result<Vec<Proposal>> {
    let mut explicit: HashMap<i64, Vec<Evidence>> = HashMap::new();
    let add = |doc: i64, e: Evidence, explicit: &mut HashMap<i64, Vec<Evidence>>| {
        let list = explicit.entry(doc).or_default();
        if !list.contains(&e) {
            list.push(e);
        }
    };

    // Documents that point at the episode's page, guid, media, or its episode on a podcast host.
    let mut targets: Vec<(String, Target)> = Vec::new();
    let push_target = |n: String, t: Target, targets: &mut Vec<(String, Target)>| {
        if facts.episode_url_uses.get(&n).map_or(0, |u| u.0) <= 1 && !targets.iter().any(|(u, _)| *u == n) {
            targets.push((n, t));
        }
    };
    for (url, target) in [
        (ep.link.as_deref(), Target::Page),
        (Some(ep.guid.as_str()), Target::Page),
        (ep.enclosure.as_deref(), Target::Audio),
    ] {
        if let Some(n) = url.and_then(urls::normalize) {
            if let Some(k) = hosts::episode_key(&n) {
                push_target(k, Target::HostEpisode, &mut targets);
            }
            push_target(n, target, &mut targets);
        }
    }
    // Players titled with the episode's title (only a title no other episode has counts).
    let titled = evidence::title_key(&ep.title);
    if titled.contains(' ') {
        push_target(evidence::player_title_ref(&titled), Target::PlayerTitle, &mut targets);
    }
    // The notes' own links to this episode elsewhere (a video episode's YouTube page).
    let mut notes_urls: Vec<String> = urls::references(&ep.notes_raw).into_iter().map(|(u, _)| u).collect();
    for bare in urls::bare_urls(&ep.notes_text) {
        if let Some(n) = urls::normalize(bare) {
            notes_urls.push(n);
        }
    }
    notes_urls.sort();
    notes_urls.dedup();
    for u in notes_urls.iter().take(200) {
        if let Some(k) = hosts::episode_key(u) {
            push_target(k, Target::HostEpisode, &mut targets);
        }
    }
    for (url, target) in &targets {
        for (doc, how) in reader.refs_to(url)? {
            let embed = how == Reference::Embed.as_str();
            let e = match (target, embed) {
                (Target::Audio, true) => Evidence::EmbedsAudio,
                (Target::Audio, false) => Evidence::LinksAudio,
                (Target::HostEpisode, true) => Evidence::EmbedsPlayer,
                (Target::HostEpisode, false) => Evidence::LinksHostPage,
                (Target::Page, _) => Evidence::LinksPage,
                (Target::PlayerTitle, _) => Evidence::PlayerTitle,
            };
            add(doc, e, &mut explicit);
        }
    }

    // Documents the show notes point at.
    for url in notes_urls.iter().take(200) {
        for doc in reader.docs_at(url)? {
            add(doc, Evidence::NotesLinkHere, &mut explicit);
        }
    }

    // Documents that name the title: hard evidence only when the title is distinctive in this
    // archive and stands where a writer names an episode; otherwise a signal for a suggestion.
    let tuning = facts.tuning;
    let mut mentions: HashMap<i64, TitleMention> = HashMap::new();
    let key = evidence::title_key(&ep.title);
    if facts.title_uses.get(&key).copied().unwrap_or(0) <= 1 && !facts.podcast_titles.contains(&key) {
        if let Some(phrase) = evidence::title_phrase(&ep.title) {
            let docs = reader.phrase_up_to(&phrase, 4 * tuning.title_max_docs + 1)?;
            let mut dfs = Vec::new();
            for w in super::similarity::content_words(&ep.title) {
                dfs.push(reader.word_df(&w)?);
            }
            let chance = evidence::chance_docs(&dfs, facts.archive.doc_count);
            let distinctive = docs.len() <= tuning.title_max_docs && chance < tuning.title_max_chance;
            if docs.len() <= 4 * tuning.title_max_docs {
                for doc in &docs {
                    let Some(body) = reader.body(*doc)? else {
                        continue;
                    };
                    let Some(placement) = evidence::placement(&phrase, &body.title, &body.html, &body.text) else {
                        continue;
                    };
                    // A post whose player or links are another episode's, and not this one's,
                    // is about that one: naming this title there (a recurring guest's other
                    // episode, a copied heading) is left for a person to confirm.
                    let names = distinctive && placement.names_episode();
                    let about_another = names && {
                        let pointed = facts.episodes_pointed_at(&reader.refs_of(*doc)?, MAX_EPISODES_PER_DOC);
                        !pointed.is_empty() && !pointed.contains(&ep.id)
                    };
                    // A post announcing a new episode long after this one came out announces
                    // another (a recurring guest's next episode, worded like an earlier title).
                    let stale_news = names
                        && evidence::announces_new_episode(&body.title)
                        && matches!((ep.published_ts, body.published_ts),
                            (Some(a), Some(b)) if (b - a) as f64 > tuning.announce_days * 86_400.0);
                    if names && !about_another && !stale_news {
                        add(*doc, Evidence::NamesTitle, &mut explicit);
                    } else {
                        mentions.insert(
                            *doc,
                            TitleMention {
                                placement,
                                docs: docs.len(),
                            },
                        );
                    }
                }
            }
        }
    }

    // A page pointing at many episodes (the podcast's archive page, a "best of" list) is about
    // none of them in particular.
    let mut index_pages = HashSet::new();
    for doc in explicit.keys() {
        let refs = reader.refs_of(*doc)?;
        if facts.episodes_pointed_at(&refs, MAX_EPISODES_PER_DOC).len() > MAX_EPISODES_PER_DOC {
            index_pages.insert(*doc);
        }
    }
    explicit.retain(|doc, _| !index_pages.contains(doc));
    mentions.retain(|doc, _| !index_pages.contains(doc));

    let mut out: Vec<Proposal> = explicit
        .into_iter()
        .map(|(doc, mut ev)| {
            ev.sort();
            Proposal {
                doc,
                kind: LinkKind::Explicit,
                score: 1.0,
                reasons: ev.iter().map(|e| e.reason().to_owned()).collect(),
                evidence: ev.iter().map(|e| e.code()).collect(),
            }
        })
        .collect();
    out.sort_by_key(|p| p.doc);
    let mut suggestions = suggest(reader, facts, ep, &out, &mentions, &index_pages, record)?;
    out.append(&mut suggestions);
    Ok(out)
}

/// Suggestions for an episode: candidates from the full-text index (its most distinctive words),
/// its rare names, the documents naming its title, and the podcast posts of its days; each scored
/// by the calibrated model of [`FEATURES`].
fn suggest(
    reader: &mut Reader<'_>,
    facts: &Facts,
    ep: &EpisodeRow,
    explicit: &[Proposal],
    mentions: &HashMap<i64, TitleMention>,
    index_pages: &HashSet<i64>,
    mut record: Option<&mut Vec<CandidateFeatures>>,
) -> Result<Vec<Proposal>> {
    let tuning = facts.tuning;
    let people: Vec<crate::model::Person> = ep
        .podcast20
        .as_deref()
        .and_then(|s| serde_json::from_str::<Podcast20>(s).ok())
        .map(|p| p.persons)
        .unwrap_or_default();
    let persons: Vec<String> = people.iter().map(|p| p.name.clone()).collect();
    // Guests: named as such, or anyone the feed does not call a host.
    let guests: Vec<Vec<String>> = people
        .iter()
        .filter(|p| !p.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("host")))
        .map(|p| super::similarity::words(&p.name))
        .filter(|w| w.len() >= 2)
        .collect();
    let body = format!("{} {}", ep.notes_text, persons.join(". "));
    let vector = reader.vector(&ep.title, &body)?;

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
    // "Episode 12" for this episode's number.
    let numbered: HashSet<i64> = match ep.episode_number {
        Some(n) if n > 0 => reader
            .phrase_up_to(&["episode".to_owned(), n.to_string()], 50)?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };

    // Candidates.
    let mut candidates: HashSet<i64> = HashSet::new();
    if !vector.entries.is_empty() {
        let mut top: Vec<(u32, f32)> = vector.entries.clone();
        top.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        let query: Vec<String> = top
            .iter()
            .take(tuning.query_terms)
            .map(|(t, _)| format!("\"{}\"", reader.term_name(*t)))
            .collect();
        candidates.extend(reader.ranked(&query.join(" OR "), tuning.candidates)?);
    }
    for (_, docs) in &name_sets {
        candidates.extend(docs.iter().copied());
    }
    candidates.extend(mentions.keys().copied());
    let next_episode = ep
        .published_ts
        .and_then(|ts| facts.next_episode_after(ep.podcast_id, ts));
    if let Some(ts) = ep.published_ts {
        let until = ts + (tuning.announce_days * 86_400.0) as i64;
        candidates.extend(reader.podcast_posts_between(ts - 86_400, until)?);
    }
    let explicit_docs: HashSet<i64> = explicit.iter().map(|p| p.doc).collect();

    let mut scored: Vec<Proposal> = Vec::new();
    let mut candidates: Vec<i64> = candidates
        .into_iter()
        .filter(|d| !explicit_docs.contains(d) && !index_pages.contains(d))
        .collect();
    candidates.sort_unstable();
    // A sign worded as support is given only while the model counts it as support: one the fitted
    // weights hold against (a guest in the title adds nothing to shared rare names) would tell a
    // person the opposite of what moved the score.
    let supports = |feature: &str| {
        FEATURES
            .iter()
            .position(|f| *f == feature)
            .is_some_and(|i| tuning.coef[i] > 0.0)
    };
    let (guest_counts, number_counts, category_counts, player_counts) = (
        supports("guest_in_title"),
        supports("episode_number"),
        supports("podcast_category"),
        supports("host_player"),
    );
    for doc in candidates {
        let Some(info) = reader.doc(doc)? else {
            continue;
        };
        // A post that points at other episodes and not this one is about them.
        let pointed = facts.episodes_pointed_at(&reader.refs_of(doc)?, MAX_EPISODES_PER_DOC);
        if pointed.len() > MAX_EPISODES_PER_DOC {
            continue;
        }
        let elsewhere = !pointed.is_empty() && !pointed.contains(&ep.id);
        let (cos, shared_terms) = if vector.entries.is_empty() {
            (0.0, Vec::new())
        } else {
            let doc_vector = reader.restricted(&info, &vector)?;
            vector.cosine(&doc_vector)
        };
        let shared_names: Vec<&str> = name_sets
            .iter()
            .filter(|(_, docs)| docs.contains(&doc))
            .map(|(n, _)| n.as_str())
            .collect();
        let doc_title_words = super::similarity::words(&info.title);
        let guest_in_title = guests
            .iter()
            .find(|g| doc_title_words.windows(g.len()).any(|w| w == g.as_slice()));
        let days = match (ep.published_ts, info.published_ts) {
            (Some(a), Some(b)) => Some((b - a) as f64 / 86_400.0),
            _ => None,
        };
        let announces = match (ep.published_ts, info.published_ts) {
            (Some(a), Some(b)) => {
                let window_end = a + (tuning.announce_days * 86_400.0) as i64;
                let end = next_episode.map_or(window_end, |n| n.min(window_end));
                b >= a - 86_400 && b < end.max(a + 86_400)
            }
            _ => false,
        };
        let mention = mentions.get(&doc);
        let f = |b: bool| if b { 1.0 } else { 0.0 };
        let values: [f64; 14] = [
            (f64::from(cos) / tuning.cosine_full).min(1.0),
            (shared_names.len().min(3) as f64) / 3.0,
            f(guest_in_title.is_some()),
            f(mention.is_some_and(|m| m.placement <= Placement::Heading)),
            mention.map_or(0.0, |m| match m.placement {
                Placement::Quoted | Placement::Cued => 1.0,
                Placement::Passing => 0.5,
                _ => 0.0,
            }),
            f(info.podcast_category),
            f(info.host_player),
            f(announces),
            days.map_or(0.0, |d| 0.5f64.powf(d.abs() / tuning.date_half_life_days)),
            f(days.is_some_and(|d| d < -1.0)),
            f(numbered.contains(&doc)),
            f(announces && (info.podcast_category || info.host_player)),
            f(elsewhere),
            f(info.event_notice),
        ];
        let z = tuning.bias + values.iter().zip(tuning.coef).map(|(x, w)| x * w).sum::<f64>();
        let score = 1.0 / (1.0 + (-z).exp());
        if let Some(rec) = record.as_deref_mut() {
            rec.push(CandidateFeatures {
                episode_id: ep.id,
                doc_id: doc,
                values,
                score,
            });
        }
        if score < tuning.threshold {
            continue;
        }

        // One line a person can read: how sure, then the strongest signs.
        let mut signs: Vec<String> = Vec::new();
        let mut codes: Vec<&'static str> = Vec::new();
        if let Some(m) = mention {
            let common = if m.docs > tuning.title_max_docs {
                format!(", a common phrase here ({} documents)", m.docs)
            } else {
                String::new()
            };
            signs.push(format!("names the title {}{common}", m.placement.wording()));
            codes.push(Signal::TitleMention.code());
        }
        if let Some(g) = guest_in_title.filter(|_| guest_counts) {
            signs.push(format!("guest {} in its title", title_case(g)));
            codes.push(Signal::GuestInTitle.code());
        }
        if numbered.contains(&doc) && number_counts {
            signs.push(format!("says \"episode {}\"", ep.episode_number.unwrap_or_default()));
            codes.push(Signal::EpisodeNumber.code());
        }
        if info.podcast_category && category_counts {
            signs.push("filed under podcast".to_owned());
            codes.push(Signal::PodcastCategory.code());
        }
        if info.host_player && player_counts {
            signs.push("has a podcast player".to_owned());
            codes.push(Signal::HostPlayer.code());
        }
        if info.event_notice {
            signs.push("an event notice".to_owned());
        }
        if let Some(d) = days {
            signs.push(when_published(d));
            if announces {
                codes.push(Signal::Announces.code());
            }
        }
        let mut shares: Vec<String> = shared_names
            .iter()
            .take(REASON_ITEMS)
            .map(|s| (*s).to_owned())
            .collect();
        if !shares.is_empty() {
            codes.push(Signal::RareNames.code());
        }
        for (t, _) in shared_terms
            .iter()
            .take(REASON_ITEMS.saturating_sub(shares.len()).max(2))
        {
            let term = reader.term_name(*t);
            if !shares.iter().any(|s| s.to_lowercase().contains(term)) {
                shares.push(term.to_owned());
            }
        }
        if !shares.is_empty() {
            signs.push(format!("shares: {}", shares.join(", ")));
        }
        if cos > 0.0 {
            codes.push(Signal::Wording.code());
        }
        let mut reasons = vec![format!("{}: {}", confidence(score), signs.join("; "))];
        reasons.push(format!("similar wording (score {cos:.2})"));
        scored.push(Proposal {
            doc,
            kind: LinkKind::Suggested,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
            evidence: codes,
        });
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    scored.truncate(tuning.per_episode);
    Ok(scored)
}

/// How sure a calibrated score is, in words: the share of suggestions this strong that were
/// right on the labelled archives (`tests/link_quality.rs` prints it per band).
pub fn confidence(score: f64) -> &'static str {
    match score {
        s if s >= 0.9 => "very likely (9 in 10 this strong were right)",
        s if s >= 0.7 => "likely (7 in 10 this strong were right)",
        s if s >= 0.5 => "possible (half this strong were right)",
        _ => "a long shot",
    }
}

fn title_case(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// When a document came out relative to the episode (`days` after it; negative before).
fn when_published(days: f64) -> String {
    let d = days.round() as i64;
    let span = |n: i64| match n {
        1 => "1 day".to_owned(),
        n if n < 60 => format!("{n} days"),
        n if n < 730 => format!("{} months", n / 30),
        n => format!("{} years", n / 365),
    };
    match d {
        0 => "published the same day".to_owned(),
        d if d > 0 => format!("published {} after", span(d)),
        d => format!("published {} before", span(-d)),
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
    let mut existing: HashMap<i64, (bool, String, f64, String, String)> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT document_id, decided, kind, score, reasons, evidence FROM links WHERE episode_id = ?1",
        )?;
        let rows = stmt.query_map([episode], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })?;
        for r in rows {
            let (doc, v) = r?;
            existing.insert(doc, v);
        }
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO links (episode_id, document_id, kind, state, score, reasons, evidence, decided, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, 0, ?7, ?7) \
         ON CONFLICT (episode_id, document_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, \
         score = excluded.score, reasons = excluded.reasons, evidence = excluded.evidence, \
         updated_at = excluded.updated_at WHERE links.decided = 0",
    )?;
    let mut wanted = HashSet::new();
    for p in proposals {
        wanted.insert(p.doc);
        let reasons = serde_json::to_string(&p.reasons).unwrap_or_else(|_| "[]".into());
        let evidence = serde_json::to_string(&p.evidence).unwrap_or_else(|_| "[]".into());
        // A person's decision stands; a proposal that says what the row already says is not
        // written again.
        let unchanged = match existing.get(&p.doc) {
            Some((true, ..)) => {
                report.kept_decided += 1;
                continue;
            }
            Some((false, kind, score, old_reasons, old_evidence)) => {
                kind == p.kind.as_str()
                    && (*score - p.score).abs() < 1e-9
                    && *old_reasons == reasons
                    && *old_evidence == evidence
            }
            None => false,
        };
        if !unchanged {
            upsert.execute(params![
                episode,
                p.doc,
                p.kind.as_str(),
                state_of(p.kind).as_str(),
                p.score,
                reasons,
                now,
                evidence
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
        assert_eq!(when_published(0.2), "published the same day");
        assert_eq!(when_published(2.1), "published 2 days after");
        assert_eq!(when_published(-1.0), "published 1 day before");
        assert_eq!(when_published(95.0), "published 3 months after");
        assert_eq!(when_published(-800.0), "published 2 years before");
    }

    #[test]
    fn confidence_reads_as_words() {
        assert!(confidence(0.95).starts_with("very likely"));
        assert!(confidence(0.75).starts_with("likely"));
        assert_eq!(confidence(0.1), "a long shot");
    }

    #[test]
    fn signs_worded_as_support_name_real_features() {
        for name in ["guest_in_title", "episode_number", "podcast_category", "host_player"] {
            assert!(FEATURES.contains(&name), "{name}");
        }
    }

    #[test]
    fn name_limit_grows_with_the_archive() {
        assert_eq!(reader::max_name_docs(10), 6);
        assert_eq!(reader::max_name_docs(20_000), 600);
    }
}
