//! Full-text search over episodes, podcasts, posts and pages, bookmarks and transcripts (SQLite
//! FTS5). Episodes are indexed by `Library::index_pending` once stored; the rest by triggers.

use rusqlite::OptionalExtension;

use crate::error::Result;
use crate::library::Library;
use crate::model::{SearchHit, SearchKind};

/// Turns what a user typed into an FTS5 query that cannot be a syntax error: every word is quoted
/// and matched as a prefix, and all words must match.
pub fn fts_query(input: &str) -> Option<String> {
    quoted(split_words(input), "*")
}

/// The words of a query: runs of letters and digits, apostrophes inside them kept.
fn split_words(input: &str) -> impl Iterator<Item = &str> {
    input
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
}

/// Each word quoted for FTS5 (and followed by `suffix`), all of them required.
fn quoted<'a>(words: impl Iterator<Item = &'a str>, suffix: &str) -> Option<String> {
    let words: Vec<String> = words.map(|w| format!("\"{}\"{suffix}", w.replace('"', ""))).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The lower-cased words of a query, as `fts_query` splits them.
fn query_terms(input: &str) -> Vec<String> {
    split_words(input).map(str::to_lowercase).collect()
}

/// About this many words of context around the first hit.
const SNIPPET_WORDS: usize = 16;

/// A short excerpt of `text` around the first word that starts with a query term, with every
/// such word marked `[like this]`; `None` when no word matches.
pub fn snippet(text: &str, terms: &[String]) -> Option<String> {
    let words: Vec<(usize, usize)> = word_spans(text);
    let is_hit = |&(a, b): &(usize, usize)| starts_with_term(&text[a..b], terms);
    let first = words.iter().position(is_hit)?;
    let start = first.saturating_sub(SNIPPET_WORDS / 3);
    let end = (start + SNIPPET_WORDS).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for (i, span) in words[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let word = &text[span.0..span.1];
        if is_hit(span) {
            out.push('[');
            out.push_str(word);
            out.push(']');
        } else {
            out.push_str(word);
        }
    }
    if end < words.len() {
        out.push('…');
    }
    Some(out)
}

/// Byte spans of whitespace-separated words, with surrounding punctuation left on the word.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Broad queries rank at most this many candidates: the most recently added matches.
/// Scoring every row that contains a common word costs time in proportion to the archive;
/// capping it keeps search instant at 100,000 episodes, and in a podcast archive the recent
/// matches are the ones people look for first.
pub const CANDIDATE_CAP: i64 = 1000;

/// Searches the library, best matches first (titles weigh more than notes). Episodes are ranked as
/// [`episode_candidates`] says; podcasts by BM25 among all of their matches.
pub fn search(lib: &Library, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let Some(q) = fts_query(input) else {
        return Ok(Vec::new());
    };
    let limit = limit.clamp(1, 1000) as i64;
    let conn = lib.conn();
    let mut scored: Vec<(f64, SearchKind, i64)> = Vec::new();

    let terms = query_terms(input);
    scored.extend(episode_candidates(conn, &terms, &q, limit)?);
    scored.extend(ranked_by_bm25(conn, "podcast_fts", SearchKind::Podcast, &q, limit)?);
    scored.extend(document_candidates(conn, &q, limit)?);
    scored.extend(ranked_by_bm25(conn, "bookmark_fts", SearchKind::Bookmark, &q, limit)?);
    scored.extend(transcript_candidates(conn, &q, limit)?);
    // bm25() is lower for better matches.
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.truncate(limit as usize);

    // Titles and snippets for the rows kept, from the tables themselves: asking FTS5 for
    // snippet() would run the whole (prefix) query again for every row.
    let mut episode = conn.prepare_cached("SELECT title, notes_raw FROM episodes WHERE id = ?1")?;
    let mut podcast = conn.prepare_cached("SELECT title, description FROM podcasts WHERE id = ?1")?;
    let mut document = conn.prepare_cached("SELECT title, text FROM documents WHERE id = ?1")?;
    let mut hits = Vec::with_capacity(scored.len());
    for (_, kind, id) in scored {
        let stmt = match kind {
            SearchKind::Episode => &mut episode,
            SearchKind::Podcast => &mut podcast,
            SearchKind::Post | SearchKind::Page => &mut document,
            SearchKind::Bookmark | SearchKind::Transcript => {
                hits.extend(timed_hit(conn, kind, id, &terms)?);
                continue;
            }
        };
        let found = stmt
            .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        if let Some((title, body)) = found {
            let body = if matches!(kind, SearchKind::Podcast | SearchKind::Episode) {
                crate::html::to_text(&body)
            } else {
                body
            };
            let snippet = snippet(&body, &terms)
                .or_else(|| snippet(&title, &terms))
                .unwrap_or_default();
            hits.push(SearchHit {
                kind,
                id,
                title,
                snippet,
                at_secs: None,
                episode_id: None,
            });
        }
    }
    Ok(hits)
}

/// The same words as [`fts_query`], each matched as a whole word rather than a prefix.
fn exact_query(terms: &[String]) -> Option<String> {
    quoted(terms.iter().map(String::as_str), "")
}

/// Title weight against show notes, as in the `bm25()` calls.
const TITLE_WEIGHT: f64 = 8.0;

/// Episodes for a query, best first, as (score, kind, id) with lower scores better.
///
/// Episode rowids grow with time (older items of a feed are inserted first), so the newest
/// matches are the highest rowids, and FTS5 walks them lazily in that order. Ranking differs
/// with how many episodes match:
/// - A narrow query (fewer than [`CANDIDATE_CAP`] matches) is ranked by BM25 over all its
///   matches, titles weighing more.
/// - A broad one is ranked among its [`CANDIDATE_CAP`] newest matches: title matches first,
///   then notes, newest first within each. BM25 is not used there because `bm25()` first counts
///   every matching row in the archive for its IDF, which at 100,000 episodes costs more than
///   the rest of the search; among a thousand matches of a common word that statistic changes
///   little.
/// - Words are first matched whole, which FTS5 can walk lazily. Only if that finds too few does
///   each word count as a prefix (a prefix term makes FTS5 merge the lists of every word it
///   covers before returning a row). So in a broad query "court" ranks episodes saying "court",
///   not ones that only say "courts".
fn episode_candidates(
    conn: &rusqlite::Connection,
    terms: &[String],
    prefix_query: &str,
    limit: i64,
) -> Result<Vec<(f64, SearchKind, i64)>> {
    let newest = |q: &str| -> Result<Vec<i64>> {
        let mut stmt = conn
            .prepare_cached("SELECT rowid FROM episode_fts WHERE episode_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2")?;
        let ids = stmt.query_map(rusqlite::params![q, CANDIDATE_CAP], |r| r.get::<_, i64>(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    };
    if let Some(exact) = exact_query(terms) {
        let ids = newest(&exact)?;
        if ids.len() as i64 >= CANDIDATE_CAP {
            return rank_broad(conn, &ids, terms, limit);
        }
    }
    let ids = newest(prefix_query)?;
    if ids.len() as i64 >= CANDIDATE_CAP {
        return rank_broad(conn, &ids, terms, limit);
    }
    ranked_by_bm25(conn, "episode_fts", SearchKind::Episode, prefix_query, limit)
}

/// The best `limit` matches of `q` in a two-column FTS5 table (title, then body), by BM25 with
/// the title weighing [`TITLE_WEIGHT`] times the body.
fn ranked_by_bm25(
    conn: &rusqlite::Connection,
    table: &str,
    kind: SearchKind,
    q: &str,
    limit: i64,
) -> Result<Vec<(f64, SearchKind, i64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid, bm25({table}, {TITLE_WEIGHT:.1}, 1.0) AS score FROM {table} WHERE {table} MATCH ?1 \
         ORDER BY score LIMIT ?2"
    ))?;
    let rows = stmt.query_map(rusqlite::params![q, limit], |r| {
        Ok((r.get::<_, f64>(1)?, kind, r.get(0)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Ranks the newest matches of a broad query (`ids`, newest first): episodes whose title has a
/// query word first, then the rest, newest first within each. The scores sit on the scale of the
/// other kinds' BM25 (lower is better): a title match counts [`TITLE_WEIGHT`] times a notes match.
fn rank_broad(
    conn: &rusqlite::Connection,
    ids: &[i64],
    terms: &[String],
    limit: i64,
) -> Result<Vec<(f64, SearchKind, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, title FROM episodes WHERE id IN (SELECT value FROM json_each(?1))")?;
    let json = serde_json::to_string(ids).unwrap_or_default();
    let titled: std::collections::HashSet<i64> = stmt
        .query_map([json], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .filter_map(|row| match row {
            Ok((id, title)) => has_term(&title, terms).then_some(Ok(id)),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<_>>()?;
    let n = ids.len() as f64;
    let mut scored: Vec<(f64, SearchKind, i64)> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let weight = if titled.contains(&id) { TITLE_WEIGHT } else { 1.0 };
            // Newer (smaller i) scores a hair lower, never enough to pass a title match.
            (-weight - (n - i as f64) * 1e-9, SearchKind::Episode, id)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(scored)
}

/// Whether `word`, lower-cased, starts with one of the (lower-case) query terms.
fn starts_with_term(word: &str, terms: &[String]) -> bool {
    let word = word.to_lowercase();
    terms.iter().any(|t| word.starts_with(t.as_str()))
}

/// Whether some word of `text` (leading punctuation aside) starts with one of the query terms.
fn has_term(text: &str, terms: &[String]) -> bool {
    word_spans(text)
        .into_iter()
        .any(|(a, b)| starts_with_term(text[a..b].trim_start_matches(|c: char| !c.is_alphanumeric()), terms))
}

/// Posts and pages matching an FTS query, ranked by BM25 (titles weigh more) among at most
/// [`CANDIDATE_CAP`] of the most recently stored matches.
fn document_candidates(conn: &rusqlite::Connection, q: &str, limit: i64) -> Result<Vec<(f64, SearchKind, i64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.rowid, c.score, d.kind FROM (SELECT rowid, score FROM (SELECT rowid, \
         bm25(document_fts, {TITLE_WEIGHT:.1}, 1.0) AS score FROM document_fts WHERE document_fts MATCH ?1 \
         ORDER BY rowid DESC LIMIT ?2) ORDER BY score LIMIT ?3) c JOIN documents d ON d.id = c.rowid",
    ))?;
    let rows = stmt.query_map(rusqlite::params![q, CANDIDATE_CAP, limit], |r| {
        let kind = if r.get::<_, String>(2)? == "post" {
            SearchKind::Post
        } else {
            SearchKind::Page
        };
        Ok((r.get::<_, f64>(1)?, kind, r.get(0)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Transcripts have many lines per episode: more of the newest matching lines are ranked than
/// for episodes, and each episode keeps only its best line.
pub const TRANSCRIPT_CANDIDATE_CAP: i64 = 5000;

/// The best matching transcript line of each episode (ids are cue ids).
fn transcript_candidates(conn: &rusqlite::Connection, q: &str, limit: i64) -> Result<Vec<(f64, SearchKind, i64)>> {
    // SQLite returns the bare `cue` column from the row that holds MIN(score).
    let mut stmt = conn.prepare_cached(
        "SELECT cue, MIN(score) AS best FROM (SELECT f.rowid AS cue, f.score AS score, c.episode_id AS ep FROM \
         (SELECT rowid, bm25(transcript_fts) AS score FROM transcript_fts WHERE transcript_fts MATCH ?1 \
          ORDER BY rowid DESC LIMIT ?2) f JOIN transcript_cues c ON c.id = f.rowid) \
         GROUP BY ep ORDER BY best LIMIT ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![q, TRANSCRIPT_CANDIDATE_CAP, limit], |r| {
        Ok((r.get::<_, f64>(1)?, SearchKind::Transcript, r.get(0)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The hit for a bookmark (by bookmark id) or a transcript line (by cue id), with its time.
fn timed_hit(conn: &rusqlite::Connection, kind: SearchKind, id: i64, terms: &[String]) -> Result<Option<SearchHit>> {
    let sql = if kind == SearchKind::Bookmark {
        "SELECT b.id, b.episode_id, b.start_secs, b.title, b.note, e.title FROM bookmarks b \
         JOIN episodes e ON e.id = b.episode_id WHERE b.id = ?1"
    } else {
        "SELECT c.episode_id, c.episode_id, c.start_secs, e.title, \
         COALESCE(c.speaker || ': ', '') || c.text, e.title FROM transcript_cues c \
         JOIN episodes e ON e.id = c.episode_id WHERE c.id = ?1"
    };
    let row = conn
        .prepare_cached(sql)?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()?;
    Ok(row.map(|(hit_id, episode, at, title, body, episode_title)| {
        let title = if title.trim().is_empty() { episode_title } else { title };
        SearchHit {
            kind,
            id: hit_id,
            snippet: snippet(&body, terms)
                .or_else(|| snippet(&title, terms))
                .unwrap_or_default(),
            title,
            at_secs: Some(at),
            episode_id: Some(crate::model::EpisodeId(episode)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn snippets_mark_words_starting_with_a_term() {
        let terms = vec!["adopt".to_string(), "court".to_string()];
        let text = "one two three four five six seven eight Adoption in the family court, and more words after that go on and on";
        let s = super::snippet(text, &terms).expect("a hit");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("[Adoption]") && s.contains("[court,]"), "{s}");
        assert_eq!(super::snippet("nothing here", &terms), None);
    }

    #[test]
    fn queries_are_quoted() {
        assert_eq!(fts_query("family court").as_deref(), Some("\"family\"* \"court\"*"));
        assert_eq!(
            fts_query("\"AND OR NOT (*").as_deref(),
            Some("\"AND\"* \"OR\"* \"NOT\"*")
        );
        assert_eq!(fts_query("  ?! "), None);
        assert_eq!(fts_query("dad's shoes").as_deref(), Some("\"dad's\"* \"shoes\"*"));
    }
}

#[cfg(test)]
mod ranking_tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};
    use crate::library::FetchMeta;

    fn library_with(items: Vec<ParsedItem>) -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let (id, _) = lib
            .add_podcast("https://a.example/feed", "Show about archives", now)
            .expect("add");
        let feed = ParsedFeed {
            title: "Show about archives".into(),
            description: "Archive talk".into(),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, now).expect("store");
        (dir, lib)
    }

    fn item(i: usize, title: &str, notes: &str) -> ParsedItem {
        ParsedItem {
            guid: format!("g{i}"),
            title: title.into(),
            notes_raw: notes.into(),
            ..ParsedItem::default()
        }
    }

    #[test]
    fn titles_outrank_notes_and_snippets_mark_hits() {
        let (_d, lib) = library_with(vec![
            item(0, "Weekly news", "we discuss adoption at length"),
            item(1, "Adoption and the courts", "a talk"),
        ]);
        let hits = search(&lib, "adoption", 10).expect("search");
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].title, "Adoption and the courts");
        assert!(hits[1].snippet.contains("[adoption]"), "{:?}", hits[1]);
        let podcasts = search(&lib, "archive", 10).expect("search");
        assert_eq!(podcasts.iter().filter(|h| h.kind == SearchKind::Podcast).count(), 1);
    }

    #[test]
    fn the_index_follows_changed_and_unchanged_episodes_on_refresh() {
        let (_d, mut lib) = library_with(vec![
            item(0, "Kept as it was", "tortoise"),
            item(1, "Rewritten notes", "albatross"),
        ]);
        let now = chrono::DateTime::from_timestamp(1_700_000_100, 0).unwrap_or_default();
        let feed = ParsedFeed {
            title: "Show about archives".into(),
            items: vec![
                item(2, "A new one", "pelican"),
                item(0, "Kept as it was", "tortoise"),
                ParsedItem {
                    notes_raw: "<p>cormorant</p>".into(),
                    ..item(1, "Rewritten notes", "cormorant")
                },
            ],
            ..ParsedFeed::default()
        };
        let out = lib.store_feed(crate::model::PodcastId(1), &feed, now).expect("refresh");
        assert_eq!((out.new, out.updated), (1, 1));
        let titles = |q: &str| -> Vec<String> {
            search(&lib, q, 10)
                .expect("search")
                .into_iter()
                .filter(|h| h.kind == SearchKind::Episode)
                .map(|h| h.title)
                .collect()
        };
        assert_eq!(titles("tortoise"), ["Kept as it was"]);
        assert_eq!(titles("cormorant"), ["Rewritten notes"]);
        assert!(titles("albatross").is_empty(), "the old notes left the index");
        assert_eq!(titles("pelican"), ["A new one"]);
        // FTS5's own check of the index's structure, and one row in it per episode.
        lib.conn()
            .execute(
                "INSERT INTO episode_fts (episode_fts, rank) VALUES ('integrity-check', 1)",
                [],
            )
            .expect("index consistent");
        let ids = |sql: &str| -> Vec<i64> {
            let mut stmt = lib.conn().prepare(sql).expect("prepare");
            let rows = stmt.query_map([], |r| r.get(0)).expect("query");
            rows.collect::<Result<_, _>>().expect("rows")
        };
        assert_eq!(
            ids("SELECT rowid FROM episode_fts ORDER BY rowid"),
            ids("SELECT id FROM episodes ORDER BY id")
        );
    }

    #[test]
    fn episodes_stored_but_not_indexed_are_indexed_when_the_library_next_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let feed = |notes: &str| ParsedFeed {
            title: "Show".into(),
            items: vec![item(0, "Kept", "heron"), item(1, "Changing", notes)],
            ..ParsedFeed::default()
        };
        // Episodes found by any of the words either version of the notes uses.
        let episodes = |lib: &Library| -> usize {
            let mut found = std::collections::BTreeSet::new();
            for word in ["heron", "egret", "bittern"] {
                for hit in search(lib, word, 10).expect("search") {
                    if hit.kind == SearchKind::Episode {
                        found.insert(hit.id);
                    }
                }
            }
            found.len()
        };
        {
            let mut lib = Library::open(dir.path()).expect("open");
            let (id, _) = lib.add_podcast("https://a.example/feed", "", now).expect("add");
            lib.store_feed(id, &feed("egret"), now).expect("store");
            assert_eq!(episodes(&lib), 2);
            // A new media URL changes the episode but not its words: the index is left alone.
            let mut moved = feed("egret");
            moved.items[0].enclosure_url = Some("https://cdn.example/heron-v2.mp3".into());
            let out = lib
                .store_feed_unindexed(id, &moved, &FetchMeta::default(), now)
                .expect("store");
            assert_eq!(out.updated, 1);
            let pending: i64 = lib
                .conn()
                .query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))
                .expect("count");
            assert_eq!(pending, 0, "nothing to index again");
            assert_eq!(episodes(&lib), 2);
            // A changed episode stored, and the process gone before its index was written: it is
            // listed, and search does not find its old words.
            let out = lib
                .store_feed_unindexed(id, &feed("bittern"), &FetchMeta::default(), now)
                .expect("store");
            assert_eq!(out.updated, 2, "the notes of one, the media URL (back) of the other");
            let pending: i64 = lib
                .conn()
                .query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))
                .expect("count");
            assert_eq!(pending, 1, "only the one whose words changed");
            assert_eq!(lib.episodes(None).expect("episodes").len(), 2);
            assert_eq!(episodes(&lib), 1, "the old notes left the index at once");
            // Changed again before any index pass: still pending once, not twice.
            lib.store_feed_unindexed(id, &feed("egret bittern"), &FetchMeta::default(), now)
                .expect("store");
        }
        let lib = Library::open(dir.path()).expect("reopen");
        let titles: Vec<String> = search(&lib, "bittern", 10)
            .expect("search")
            .into_iter()
            .map(|h| h.title)
            .collect();
        assert_eq!(titles, ["Changing"]);
        assert_eq!(episodes(&lib), 2);
        let count = |sql: &str| -> i64 { lib.conn().query_row(sql, [], |r| r.get(0)).expect("count") };
        assert_eq!(count("SELECT COUNT(*) FROM search_pending"), 0);
        assert_eq!(
            count("SELECT COUNT(*) FROM episode_fts"),
            2,
            "one index row per episode"
        );
    }

    #[test]
    fn broad_queries_rank_the_newest_candidates() {
        // Feed order is newest first: item 0 is the newest.
        let n = CANDIDATE_CAP as usize + 100;
        let mut items: Vec<ParsedItem> = (0..n)
            .map(|i| item(i, &format!("Episode {i}"), "common words here"))
            .collect();
        items[5].title = "Common ground".into();
        items[n - 1].title = "Common knowledge".into(); // the oldest: beyond the cap
        let (_d, lib) = library_with(items);
        let hits = search(&lib, "common", 20).expect("search");
        assert_eq!(hits.len(), 20);
        assert_eq!(
            hits[0].title, "Common ground",
            "the best of the newest matches comes first"
        );
        assert!(
            hits.iter().all(|h| h.title != "Common knowledge"),
            "older than the newest {CANDIDATE_CAP} matches"
        );
        // A narrow query still finds the oldest episode.
        let hits = search(&lib, "knowledge", 5).expect("search");
        assert_eq!(hits[0].title, "Common knowledge");
        // A partial word is broad too (as a prefix): the same order, notes matches newest first.
        let hits = search(&lib, "comm", 3).expect("search");
        let titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["Common ground", "Episode 0", "Episode 1"]);
        assert!(hits[1].snippet.contains("[common]"), "{:?}", hits[1]);
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;
    use crate::docs::{DocKind, NewDocument};

    fn doc(kind: DocKind, url: &str, title: &str, text: &str) -> NewDocument {
        NewDocument {
            kind,
            url: url.into(),
            remote_id: None,
            title: title.into(),
            published: None,
            modified: None,
            author: None,
            categories: vec![],
            tags: vec![],
            html_raw: format!("<p>{text}</p>"),
            html_clean: format!("<p>{text}</p>"),
            text: text.into(),
        }
    }

    #[test]
    fn posts_and_pages_are_found_with_their_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        lib.store_documents(
            None,
            &[
                doc(
                    DocKind::Post,
                    "https://b.example/p",
                    "Fathers and courts",
                    "a post about custody",
                ),
                doc(
                    DocKind::Page,
                    "https://b.example/o",
                    "An Overview",
                    "In Dad's Shoes: fathers walk",
                ),
                doc(DocKind::Post, "https://b.example/x", "Unrelated", "gardening"),
            ],
            None,
            now,
        )
        .expect("store");
        let hits = search(&lib, "fathers", 10).expect("search");
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(hits[0].kind, SearchKind::Post, "title match first");
        assert_eq!(hits[1].kind, SearchKind::Page);
        assert!(hits[1].snippet.contains("[fathers]"), "{:?}", hits[1]);
        // Updating a document's text keeps the index in step (triggers).
        lib.store_documents(
            None,
            &[doc(DocKind::Post, "https://b.example/x", "Unrelated", "fathers now")],
            None,
            now,
        )
        .expect("store");
        assert_eq!(search(&lib, "fathers", 10).expect("search").len(), 3);
        assert!(search(&lib, "gardening", 10).expect("search").is_empty());
    }
}
