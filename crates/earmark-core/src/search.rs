//! Full-text search over episodes and podcasts (SQLite FTS5, kept in step by triggers).

use crate::error::Result;
use crate::library::Library;
use crate::model::{SearchHit, SearchKind};

/// Turns what a user typed into an FTS5 query that cannot be a syntax error: every word is quoted
/// and matched as a prefix, and all words must match.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Searches the library, best matches first (titles weigh more than notes).
pub fn search(lib: &Library, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let Some(q) = fts_query(input) else {
        return Ok(Vec::new());
    };
    let limit = limit.clamp(1, 1000) as i64;
    let conn = lib.conn();
    let mut scored: Vec<(f64, SearchHit)> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT f.rowid, e.title, snippet(episode_fts, 1, '[', ']', '…', 16), bm25(episode_fts, 8.0, 1.0) AS score \
             FROM episode_fts f JOIN episodes e ON e.id = f.rowid WHERE episode_fts MATCH ?1 ORDER BY score LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![q, limit], |r| {
            Ok((
                r.get::<_, f64>(3)?,
                SearchHit {
                    kind: SearchKind::Episode,
                    id: r.get(0)?,
                    title: r.get(1)?,
                    snippet: r.get(2)?,
                },
            ))
        })?;
        for row in rows {
            scored.push(row?);
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT f.rowid, p.title, snippet(podcast_fts, 1, '[', ']', '…', 16), bm25(podcast_fts, 8.0, 1.0) AS score \
             FROM podcast_fts f JOIN podcasts p ON p.id = f.rowid WHERE podcast_fts MATCH ?1 ORDER BY score LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![q, limit], |r| {
            Ok((
                r.get::<_, f64>(3)?,
                SearchHit {
                    kind: SearchKind::Podcast,
                    id: r.get(0)?,
                    title: r.get(1)?,
                    snippet: r.get(2)?,
                },
            ))
        })?;
        for row in rows {
            scored.push(row?);
        }
    }
    // bm25() is lower for better matches.
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(scored
        .into_iter()
        .take(limit as usize)
        .map(|(_, h)| h)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn queries_are_quoted() {
        assert_eq!(
            fts_query("family court").as_deref(),
            Some("\"family\"* \"court\"*")
        );
        assert_eq!(
            fts_query("\"AND OR NOT (*").as_deref(),
            Some("\"AND\"* \"OR\"* \"NOT\"*")
        );
        assert_eq!(fts_query("  ?! "), None);
        assert_eq!(
            fts_query("dad's shoes").as_deref(),
            Some("\"dad's\"* \"shoes\"*")
        );
    }
}
