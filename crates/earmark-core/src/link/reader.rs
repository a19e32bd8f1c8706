//! One connection's view of the archive during a relink: the statements it runs for every
//! episode, prepared once, and what it has learned so far (word ids and document frequencies,
//! each document's term counts, which documents contain a name), so that a full pass reads and
//! tokenises each document once however many episodes it is a candidate for.
//!
//! The statements are held for the whole pass rather than taken from rusqlite's statement cache:
//! a statement handed back to that cache has its bindings cleared, and SQLite then compiles a
//! statement whose plan depended on a bound value (a `LIMIT ?`, a key that may be 0 or 1) again
//! at its next use. Measured on the link bench, that recompiling was about a tenth of a full pass.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use rusqlite::{params, Connection, OptionalExtension, Statement};

use super::similarity::{self, Vector};
use crate::error::Result;

/// Hard limit on hostile input: text beyond this is not read for similarity.
pub(super) const MAX_TEXT_CHARS: usize = 100_000;

/// Term counts cached per reader, at most (8 bytes each): bounds memory in an archive of long
/// documents. Past it, a document's counts are computed again each time it is a candidate.
const CACHED_TERM_COUNTS: usize = 6_000_000;

/// A document as the title evidence reads it.
pub(super) struct Body {
    /// Its title.
    pub title: String,
    /// Its HTML as stored.
    pub html: String,
    /// Its text.
    pub text: String,
    /// When it was published (unix seconds).
    pub published_ts: Option<i64>,
}

/// A document as the scorer needs it: its date, the length of its TF-IDF vector, and how often
/// each of its words occurs.
pub(super) struct DocTerms {
    pub published_ts: Option<i64>,
    /// Its title, as the blog gave it.
    pub title: String,
    /// Filed under a podcast category or tag.
    pub podcast_category: bool,
    /// Embeds or links one episode on a podcast host.
    pub host_player: bool,
    /// Announces an event (filed under events, or titled like a notice of one): such posts name
    /// the same people as an episode around its date without being about it.
    pub event_notice: bool,
    /// The length of the document's full TF-IDF vector.
    pub norm: f32,
    /// (term id, count), sorted by term id.
    pub counts: Vec<(u32, u32)>,
}

/// Facts about the archive as a whole that every reader shares.
pub(super) struct Archive {
    pub doc_count: u64,
}

/// The statements of a pass, prepared once on one connection.
struct Statements<'c> {
    vocab: Statement<'c>,
    doc: Statement<'c>,
    phrase: Statement<'c>,
    ranked: Statement<'c>,
    refs_to: Statement<'c>,
    refs_self: Statement<'c>,
    episode: Statement<'c>,
    body: Statement<'c>,
    near: Statement<'c>,
    refs_of: Statement<'c>,
}

/// A reader: one connection's statements and caches. Not shared between threads; a parallel
/// pass gives each thread its own.
pub(super) struct Reader<'c> {
    st: Statements<'c>,
    doc_count: u64,
    terms: HashMap<String, u32>,
    term_names: Vec<String>,
    /// Document frequency per term id, looked up in the index's vocabulary when first needed.
    dfs: Vec<Option<u32>>,
    docs: HashMap<i64, Option<Rc<DocTerms>>>,
    cached_counts: usize,
    /// Vector lengths computed by this reader, to store.
    new_norms: Vec<(i64, f32)>,
    /// Every vector length computed in this pass, stored or not yet.
    computed_norms: HashMap<i64, f32>,
    name_docs: HashMap<String, Option<Rc<HashSet<i64>>>>,
    refs_of: HashMap<i64, Rc<Vec<String>>>,
}

impl<'c> Reader<'c> {
    /// Prepares the statements on `conn`, making the full-text index's vocabulary (document
    /// frequencies) readable there first: a temporary table that lives as long as the connection.
    pub fn new(conn: &'c Connection, archive: &Archive) -> Result<Self> {
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.link_vocab USING fts5vocab(main, 'document_fts', 'row');",
        )?;
        let st = Statements {
            vocab: conn.prepare("SELECT doc FROM temp.link_vocab WHERE term = ?1")?,
            doc: conn.prepare(
                "SELECT d.title, d.text, d.published_ts, n.norm, f.podcast_category, f.host_player, f.event_notice \
                 FROM documents d \
                 LEFT JOIN link_doc_norms n ON n.document_id = d.id \
                 LEFT JOIN link_doc_facts f ON f.document_id = d.id WHERE d.id = ?1",
            )?,
            phrase: conn.prepare("SELECT rowid FROM document_fts WHERE document_fts MATCH ?1 LIMIT ?2")?,
            ranked: conn.prepare(
                "SELECT rowid FROM document_fts WHERE document_fts MATCH ?1 \
                 ORDER BY bm25(document_fts, 2.0, 1.0) LIMIT ?2",
            )?,
            refs_to: conn.prepare("SELECT document_id, how FROM link_doc_refs WHERE url = ?1 AND how <> 'self'")?,
            refs_self: conn.prepare("SELECT document_id FROM link_doc_refs WHERE url = ?1 AND how = 'self'")?,
            episode: conn.prepare(
                "SELECT id, title, link, guid, enclosure_url, notes_raw, published_ts, podcast20, \
                 content_hash, episode_number, podcast_id FROM episodes WHERE id = ?1",
            )?,
            body: conn.prepare("SELECT title, html_raw, text, published_ts FROM documents WHERE id = ?1")?,
            refs_of: conn.prepare("SELECT url FROM link_doc_refs WHERE document_id = ?1 AND how <> 'self'")?,
            near: conn.prepare(
                "SELECT d.id FROM documents d JOIN link_doc_facts f ON f.document_id = d.id \
                 WHERE d.published_ts BETWEEN ?1 AND ?2 AND (f.podcast_category OR f.host_player) LIMIT 200",
            )?,
        };
        Ok(Reader {
            st,
            doc_count: archive.doc_count,
            terms: HashMap::new(),
            term_names: Vec::new(),
            dfs: Vec::new(),
            docs: HashMap::new(),
            cached_counts: 0,
            new_norms: Vec::new(),
            computed_norms: HashMap::new(),
            name_docs: HashMap::new(),
            refs_of: HashMap::new(),
        })
    }

    /// The vector lengths computed since the last call, to store.
    pub fn take_new_norms(&mut self) -> Vec<(i64, f32)> {
        std::mem::take(&mut self.new_norms)
    }

    /// The word a term id stands for.
    pub fn term_name(&self, id: u32) -> &str {
        &self.term_names[id as usize]
    }

    fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.terms.get(word) {
            return id;
        }
        let id = self.term_names.len() as u32;
        self.term_names.push(word.to_owned());
        self.terms.insert(word.to_owned(), id);
        self.dfs.push(None);
        id
    }

    /// How many documents contain a term (looked up in the index's vocabulary once).
    fn df(&mut self, id: u32) -> Result<u32> {
        if let Some(df) = self.dfs[id as usize] {
            return Ok(df);
        }
        let df: u32 = self
            .st
            .vocab
            .query_row([&self.term_names[id as usize]], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        self.dfs[id as usize] = Some(df);
        Ok(df)
    }

    /// The TF-IDF weight of a term occurring `count` times, or `None` when no document has it.
    fn term_weight(&mut self, id: u32, count: u32) -> Result<Option<f32>> {
        let df = self.df(id)?;
        Ok((df > 0).then(|| similarity::tf(count) * similarity::idf(u64::from(df), self.doc_count) as f32))
    }

    /// Term counts of a text (its first [`MAX_TEXT_CHARS`] characters), the title counting
    /// twice, sorted by term id.
    fn counts(&mut self, title: &str, body: &str) -> Vec<(u32, u32)> {
        let body = truncate_chars(body, MAX_TEXT_CHARS);
        let mut seen: Vec<(u32, u32)> = Vec::new();
        similarity::for_each_content_word(title, |w| {
            let id = self.intern(w);
            seen.push((id, 2));
        });
        similarity::for_each_content_word(body, |w| {
            let id = self.intern(w);
            seen.push((id, 1));
        });
        seen.sort_unstable_by_key(|(id, _)| *id);
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(seen.len() / 2);
        for (id, n) in seen {
            match out.last_mut() {
                Some((last, total)) if *last == id => *total += n,
                _ => out.push((id, n)),
            }
        }
        out.shrink_to_fit();
        out
    }

    /// A unit TF-IDF vector of a text, with only terms some document contains.
    pub fn vector(&mut self, title: &str, body: &str) -> Result<Vector> {
        let counts = self.counts(title, body);
        let mut entries = Vec::with_capacity(counts.len());
        for (id, c) in counts {
            if let Some(w) = self.term_weight(id, c)? {
                entries.push((id, w));
            }
        }
        Ok(Vector::from_weights(entries))
    }

    /// A document's date, vector length and term counts, read and tokenised once per pass (while
    /// the cache has room). The vector length is computed once per document and stored by the
    /// caller, so later relinks look up no word outside the episode's.
    pub fn doc(&mut self, id: i64) -> Result<Option<Rc<DocTerms>>> {
        if let Some(d) = self.docs.get(&id) {
            return Ok(d.clone());
        }
        type Row = (
            String,
            String,
            Option<i64>,
            Option<f64>,
            Option<bool>,
            Option<bool>,
            Option<bool>,
        );
        let row: Option<Row> = self
            .st
            .doc
            .query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .optional()?;
        let Some((title, text, published_ts, stored, podcast_category, host_player, event_notice)) = row else {
            self.docs.insert(id, None);
            return Ok(None);
        };
        let counts = self.counts(&title, &text);
        // A stored length is dropped when its document changes; otherwise it drifts only as much
        // as the archive's word frequencies do. One computed here is kept for the pass, so a
        // document read again (past the cache's room) is not computed and stored twice.
        let stored = stored
            .filter(|n| n.is_finite() && *n > 0.0)
            .map(|n| n as f32)
            .or_else(|| self.computed_norms.get(&id).copied());
        let norm = match stored {
            Some(n) => n,
            None => {
                let mut sum = 0.0f32;
                for &(t, c) in &counts {
                    if let Some(w) = self.term_weight(t, c)? {
                        sum += w * w;
                    }
                }
                let norm = sum.sqrt();
                self.computed_norms.insert(id, norm);
                self.new_norms.push((id, norm));
                norm
            }
        };
        let doc = Rc::new(DocTerms {
            published_ts,
            event_notice: event_notice.unwrap_or(false),
            title,
            podcast_category: podcast_category.unwrap_or(false),
            host_player: host_player.unwrap_or(false),
            norm,
            counts,
        });
        if self.cached_counts + doc.counts.len() <= CACHED_TERM_COUNTS {
            self.cached_counts += doc.counts.len();
            self.docs.insert(id, Some(doc.clone()));
        }
        Ok(Some(doc))
    }

    /// A document's vector restricted to the episode's terms, scaled by the length of its full
    /// vector so the cosine with the episode's unit vector is exact.
    pub fn restricted(&mut self, doc: &DocTerms, episode: &Vector) -> Result<Vector> {
        let mut entries = Vec::new();
        if doc.norm > 0.0 {
            let (a, b) = (&episode.entries, &doc.counts);
            let (mut i, mut j) = (0, 0);
            while i < a.len() && j < b.len() {
                match a[i].0.cmp(&b[j].0) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        let (t, c) = b[j];
                        if let Some(w) = self.term_weight(t, c)? {
                            entries.push((t, w / doc.norm));
                        }
                        i += 1;
                        j += 1;
                    }
                }
            }
        }
        Ok(Vector { entries })
    }

    /// How many documents contain a word (as the full-text index folds it).
    pub fn word_df(&mut self, word: &str) -> Result<u32> {
        let id = self.intern(word);
        self.df(id)
    }

    /// Up to `limit` documents matching a phrase, however common it is.
    pub fn phrase_up_to(&mut self, words: &[String], limit: usize) -> Result<Vec<i64>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .st
            .phrase
            .query_map(params![format!("\"{}\"", words.join(" ")), limit as i64], |r| {
                r.get::<_, i64>(0)
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A document's title, HTML, text and date, for the few documents whose placement of a title
    /// matters.
    pub(super) fn body(&mut self, id: i64) -> Result<Option<Body>> {
        Ok(self
            .st
            .body
            .query_row([id], |r| {
                Ok(Body {
                    title: r.get(0)?,
                    html: r.get(1)?,
                    text: r.get(2)?,
                    published_ts: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// Documents published between two times (unix seconds) that are filed as podcast posts or
    /// carry a podcast host's player: the announcements an episode may have.
    pub fn podcast_posts_between(&mut self, from: i64, to: i64) -> Result<Vec<i64>> {
        let rows = self.st.near.query_map([from, to], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Documents matching a phrase (the words of a name or a title), or `None` when more do
    /// than [`max_name_docs`] allows (the phrase then says nothing about a subject).
    pub fn phrase_docs(&mut self, words: &[String]) -> Result<Option<Vec<i64>>> {
        let limit = max_name_docs(self.doc_count);
        let found = self.phrase_up_to(words, limit + 1)?;
        Ok((found.len() <= limit).then_some(found))
    }

    /// The documents containing a name, or `None` when none or so many do that it says nothing.
    pub fn name_docs(&mut self, name: &str) -> Result<Option<Rc<HashSet<i64>>>> {
        if let Some(v) = self.name_docs.get(name) {
            return Ok(v.clone());
        }
        let phrase = similarity::words(name);
        let out = if phrase.is_empty() {
            None
        } else {
            self.phrase_docs(&phrase)?
                .filter(|d| !d.is_empty())
                .map(|d| Rc::new(d.into_iter().collect::<HashSet<i64>>()))
        };
        self.name_docs.insert(name.to_owned(), out.clone());
        Ok(out)
    }

    /// The best `limit` documents for a full-text query, by BM25 (titles weigh double).
    pub fn ranked(&mut self, query: &str, limit: usize) -> Result<Vec<i64>> {
        let rows = self
            .st
            .ranked
            .query_map(params![query, limit as i64], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Documents pointing at a URL (links and embeds), with how.
    pub fn refs_to(&mut self, url: &str) -> Result<Vec<(i64, String)>> {
        let rows = self
            .st
            .refs_to
            .query_map([url], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every URL (and podcast host's episode key) a document points at, read once per pass.
    pub fn refs_of(&mut self, doc: i64) -> Result<Rc<Vec<String>>> {
        if let Some(r) = self.refs_of.get(&doc) {
            return Ok(r.clone());
        }
        let rows = self.st.refs_of.query_map([doc], |r| r.get::<_, String>(0))?;
        let urls: Rc<Vec<String>> = Rc::new(rows.collect::<rusqlite::Result<_>>()?);
        if self.refs_of.len() < 100_000 {
            self.refs_of.insert(doc, urls.clone());
        }
        Ok(urls)
    }

    /// Documents whose own address is a URL.
    pub fn docs_at(&mut self, url: &str) -> Result<Vec<i64>> {
        let rows = self.st.refs_self.query_map([url], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One episode row, through the held statement.
    pub fn episode<T>(
        &mut self,
        id: i64,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.st.episode.query_row([id], f).optional()?)
    }
}

/// A name found in more documents than this is part of the furniture (the blog's author, the
/// court everyone writes about), not a sign that two texts share a subject.
pub(super) fn max_name_docs(doc_count: u64) -> usize {
    ((doc_count as f64 * 0.03) as usize).max(6)
}

/// The first `max` characters of `s`.
pub(super) fn truncate_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
