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
use std::rc::Rc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::evidence::{self, Evidence};
use super::model::{LinkKind, LinkState, RelinkReport, RelinkScope};
use super::names;
use super::similarity::{self, Vector};
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
        }
    }
}

/// Hard limits on hostile input: text beyond this is not read for similarity.
const MAX_TEXT_CHARS: usize = 100_000;
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

/// A document's similarity vector and date, cached for the length of one relink.
#[derive(Clone, Copy)]
struct DocInfo {
    /// The length of the document's full TF-IDF vector.
    norm: f32,
    published_ts: Option<i64>,
}

/// Everything one relink reads once and reuses across episodes.
struct Context {
    tuning: Tuning,
    doc_count: u64,
    /// Term → (id, document frequency).
    terms: HashMap<String, (u32, u32)>,
    term_names: Vec<String>,
    docs: HashMap<i64, DocInfo>,
    /// Trust the vector lengths stored by an earlier relink. A stored length is dropped when its
    /// document changes; otherwise it drifts only as much as the archive's word frequencies do.
    stored_norms: bool,
    /// Vector lengths computed in this relink, to store.
    new_norms: Vec<(i64, f32)>,
    /// Name (phrase) → documents containing it, when few enough to be distinctive.
    name_docs: HashMap<String, Option<Rc<HashSet<i64>>>>,
    /// Normalised URL → how many episodes use it (a URL shared by episodes proves nothing).
    episode_url_uses: HashMap<String, u32>,
    /// Normalised title → how many episodes carry it.
    title_uses: HashMap<String, u32>,
    /// Podcast titles, normalised: an episode titled like its show is not distinctive.
    podcast_titles: HashSet<String>,
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
    let mut ctx = Context::load(conn, tuning)?;
    let now_s = rfc3339(now);
    // Proposals are computed outside any write transaction, then written in chunks so a reader
    // (the app) never waits long on the lock.
    for chunk in episode_ids.chunks(200) {
        let mut batch = Vec::with_capacity(chunk.len());
        for &id in chunk {
            let Some(ep) = load_episode(conn, id)? else { continue };
            let proposals = propose(conn, &mut ctx, &ep)?;
            batch.push((ep.id, ep.content_hash, proposals));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut norm = tx.prepare_cached(
                "INSERT INTO link_doc_norms (document_id, norm) VALUES (?1, ?2) \
                 ON CONFLICT (document_id) DO UPDATE SET norm = excluded.norm",
            )?;
            for (doc, n) in ctx.new_norms.drain(..) {
                norm.execute(params![doc, f64::from(n)])?;
            }
        }
        for (eid, hash, proposals) in &batch {
            write_episode(&tx, *eid, proposals, &now_s, &mut report)?;
            tx.execute(
                "INSERT INTO link_episodes_seen (episode_id, content_hash) VALUES (?1, ?2) \
                 ON CONFLICT (episode_id) DO UPDATE SET content_hash = excluded.content_hash",
                params![eid, hash],
            )?;
        }
        tx.commit()?;
    }
    Ok(report)
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

fn load_episode(conn: &Connection, id: i64) -> Result<Option<EpisodeRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, title, link, guid, enclosure_url, notes_raw, notes_text, published_ts, podcast20, content_hash \
             FROM episodes WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(EpisodeRow {
                id: r.get(0)?,
                title: r.get(1)?,
                link: r.get(2)?,
                guid: r.get(3)?,
                enclosure: r.get(4)?,
                notes_raw: r.get(5)?,
                notes_text: r.get(6)?,
                published_ts: r.get(7)?,
                podcast20: r.get(8)?,
                content_hash: r.get(9)?,
            })
        })
        .optional()?)
}

impl Context {
    fn load(conn: &Connection, tuning: Tuning) -> Result<Self> {
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.link_vocab USING fts5vocab(main, 'document_fts', 'row');",
        )?;
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
        Ok(Context {
            tuning,
            doc_count,
            terms: HashMap::new(),
            term_names: Vec::new(),
            docs: HashMap::new(),
            stored_norms: true,
            new_norms: Vec::new(),
            name_docs: HashMap::new(),
            episode_url_uses,
            title_uses,
            podcast_titles,
        })
    }

    /// The id and document frequency of a term (looked up in the index's vocabulary once).
    fn term(&mut self, conn: &Connection, word: &str) -> Result<(u32, u32)> {
        if let Some(&t) = self.terms.get(word) {
            return Ok(t);
        }
        let df: u32 = conn
            .prepare_cached("SELECT doc FROM temp.link_vocab WHERE term = ?1")?
            .query_row([word], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let id = self.term_names.len() as u32;
        self.term_names.push(word.to_owned());
        self.terms.insert(word.to_owned(), (id, df));
        Ok((id, df))
    }

    /// A TF-IDF vector of a text, with only terms some document contains.
    fn vector(&mut self, conn: &Connection, title: &str, body: &str) -> Result<Vector> {
        let body = truncate_chars(body, MAX_TEXT_CHARS);
        let counts = similarity::term_counts(title, body, 2);
        let mut entries = Vec::with_capacity(counts.len());
        for (w, c) in counts {
            let (id, df) = self.term(conn, &w)?;
            if df == 0 {
                continue;
            }
            let weight = similarity::tf(c) * similarity::idf(u64::from(df), self.doc_count) as f32;
            entries.push((id, weight));
        }
        Ok(Vector::from_weights(entries))
    }

    /// A document's similarity vector restricted to the episode's terms (`episode_terms`, by id),
    /// scaled by the length of its full vector so the cosine is exact. The full length is
    /// computed once per document and stored, so later relinks look up no other word.
    fn doc(&mut self, conn: &Connection, id: i64, episode_terms: &HashSet<u32>) -> Result<Option<(Vector, DocInfo)>> {
        let row: Option<(String, String, Option<i64>, Option<f64>)> = conn
            .prepare_cached(
                "SELECT d.title, d.text, d.published_ts, n.norm FROM documents d \
                 LEFT JOIN link_doc_norms n ON n.document_id = d.id WHERE d.id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((title, text, published_ts, stored)) = row else {
            return Ok(None);
        };
        let counts = similarity::term_counts(&title, truncate_chars(&text, MAX_TEXT_CHARS), 2);
        let info = match self.docs.get(&id) {
            Some(info) => *info,
            None => {
                let norm = match stored.filter(|n| self.stored_norms && n.is_finite() && *n > 0.0) {
                    Some(n) => n as f32,
                    None => {
                        let mut sum = 0.0f32;
                        for (w, c) in &counts {
                            let (_, df) = self.term(conn, w)?;
                            if df > 0 {
                                let weight = similarity::tf(*c) * similarity::idf(u64::from(df), self.doc_count) as f32;
                                sum += weight * weight;
                            }
                        }
                        let norm = sum.sqrt();
                        self.new_norms.push((id, norm));
                        norm
                    }
                };
                let info = DocInfo { norm, published_ts };
                self.docs.insert(id, info);
                info
            }
        };
        let mut entries = Vec::new();
        if info.norm > 0.0 {
            for (w, c) in &counts {
                if let Some(&(tid, df)) = self.terms.get(w.as_str()) {
                    if df > 0 && episode_terms.contains(&tid) {
                        let weight = similarity::tf(*c) * similarity::idf(u64::from(df), self.doc_count) as f32;
                        entries.push((tid, weight / info.norm));
                    }
                }
            }
        }
        entries.sort_unstable_by_key(|(t, _)| *t);
        Ok(Some((Vector { entries }, info)))
    }

    /// The documents containing a name, or `None` when so many do that it says nothing.
    fn name_docs(&mut self, conn: &Connection, name: &str) -> Result<Option<Rc<HashSet<i64>>>> {
        if let Some(v) = self.name_docs.get(name) {
            return Ok(v.clone());
        }
        let phrase = similarity::words(name).join(" ");
        let limit = max_name_docs(self.doc_count);
        let mut docs = HashSet::new();
        if !phrase.is_empty() {
            let mut stmt =
                conn.prepare_cached("SELECT rowid FROM document_fts WHERE document_fts MATCH ?1 LIMIT ?2")?;
            let rows = stmt.query_map(params![format!("\"{phrase}\""), (limit + 1) as i64], |r| {
                r.get::<_, i64>(0)
            })?;
            for r in rows {
                docs.insert(r?);
            }
        }
        let out = (!docs.is_empty() && docs.len() <= limit).then(|| Rc::new(docs));
        self.name_docs.insert(name.to_owned(), out.clone());
        Ok(out)
    }
}

/// A name found in more documents than this is part of the furniture (the blog's author, the
/// court everyone writes about), not a sign that two texts share a subject.
fn max_name_docs(doc_count: u64) -> usize {
    ((doc_count as f64 * 0.03) as usize).max(6)
}

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Everything the linker proposes for one episode, explicit evidence first.
fn propose(conn: &Connection, ctx: &mut Context, ep: &EpisodeRow) -> Result<Vec<Proposal>> {
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
            if ctx.episode_url_uses.get(&n).copied().unwrap_or(0) <= 1 && !targets.iter().any(|(u, _)| *u == n) {
                targets.push((n, is_audio));
            }
        }
    }
    {
        let mut stmt =
            conn.prepare_cached("SELECT document_id, how FROM link_doc_refs WHERE url = ?1 AND how <> 'self'")?;
        for (url, is_audio) in &targets {
            let rows = stmt.query_map([url], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (doc, how) = row?;
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
        let mut stmt = conn.prepare_cached("SELECT document_id FROM link_doc_refs WHERE url = ?1 AND how = 'self'")?;
        for url in notes_urls.iter().take(200) {
            let rows = stmt.query_map([url], |r| r.get::<_, i64>(0))?;
            for doc in rows {
                add(doc?, Evidence::NotesLinkHere, &mut explicit);
            }
        }
    }

    // Documents that name the exact title, when the title is distinctive.
    let key = evidence::title_key(&ep.title);
    if ctx.title_uses.get(&key).copied().unwrap_or(0) <= 1 && !ctx.podcast_titles.contains(&key) {
        if let Some(phrase) = evidence::title_phrase(&ep.title) {
            let limit = max_name_docs(ctx.doc_count);
            let mut stmt =
                conn.prepare_cached("SELECT rowid FROM document_fts WHERE document_fts MATCH ?1 LIMIT ?2")?;
            let rows = stmt.query_map(params![format!("\"{}\"", phrase.join(" ")), (limit + 1) as i64], |r| {
                r.get::<_, i64>(0)
            })?;
            let found: Vec<i64> = rows.collect::<rusqlite::Result<_>>()?;
            // A "title" that many documents contain is a common phrase, not a reference.
            if found.len() <= limit {
                for doc in found {
                    add(doc, Evidence::NamesTitle, &mut explicit);
                }
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
    let mut suggestions = suggest(conn, ctx, ep, &out)?;
    out.append(&mut suggestions);
    Ok(out)
}

/// Suggestions for an episode: candidates from the full-text index (its most distinctive words)
/// and from its distinctive names, scored by wording, names and date.
fn suggest(conn: &Connection, ctx: &mut Context, ep: &EpisodeRow, explicit: &[Proposal]) -> Result<Vec<Proposal>> {
    let tuning = ctx.tuning;
    let persons: Vec<String> = ep
        .podcast20
        .as_deref()
        .and_then(|s| serde_json::from_str::<Podcast20>(s).ok())
        .map(|p| p.persons.into_iter().map(|p| p.name).collect())
        .unwrap_or_default();
    let body = format!("{} {}", ep.notes_text, persons.join(". "));
    let vector = ctx.vector(conn, &ep.title, &body)?;
    if vector.entries.is_empty() {
        return Ok(Vec::new());
    }

    // The episode's names: people in the notes and its podcast:person entries.
    let mut ep_names: Vec<String> = persons.clone();
    for n in names::names(truncate_chars(
        &format!("{}. {}", ep.title, ep.notes_text),
        MAX_TEXT_CHARS,
    )) {
        if !ep_names.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            ep_names.push(n);
        }
    }
    let mut name_sets: Vec<(String, Rc<HashSet<i64>>)> = Vec::new();
    for n in ep_names.iter().take(24) {
        if let Some(docs) = ctx.name_docs(conn, n)? {
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
        .map(|(t, _)| format!("\"{}\"", ctx.term_names[*t as usize]))
        .collect();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT rowid FROM document_fts WHERE document_fts MATCH ?1 ORDER BY bm25(document_fts, 2.0, 1.0) LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![query.join(" OR "), tuning.candidates as i64], |r| {
            r.get::<_, i64>(0)
        })?;
        for r in rows {
            candidates.insert(r?);
        }
    }
    for (_, docs) in &name_sets {
        candidates.extend(docs.iter().copied());
    }
    let explicit_docs: HashSet<i64> = explicit.iter().map(|p| p.doc).collect();
    let episode_terms: HashSet<u32> = vector.entries.iter().map(|(t, _)| *t).collect();

    let mut scored: Vec<Proposal> = Vec::new();
    let mut candidates: Vec<i64> = candidates.into_iter().filter(|d| !explicit_docs.contains(d)).collect();
    candidates.sort_unstable();
    for doc in candidates {
        let Some((doc_vector, info)) = ctx.doc(conn, doc, &episode_terms)? else {
            continue;
        };
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
            let term = &ctx.term_names[*t as usize];
            if !shares.iter().any(|s| s.to_lowercase().contains(term.as_str())) {
                shares.push(term.clone());
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
        assert_eq!(max_name_docs(10), 6);
        assert_eq!(max_name_docs(20_000), 600);
    }
}
