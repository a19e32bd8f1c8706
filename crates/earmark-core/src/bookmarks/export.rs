//! Bookmarks out of and back into the library. Markdown is for reading (grouped by episode,
//! with the posts and pages linked to each episode), CSV for spreadsheets, JSON for moving
//! bookmarks between libraries: a versioned document that [`import_json`] reads back.
//!
//! Episodes are named by (feed URL, guid) in the JSON, never by row id, so a file made on one
//! computer imports on another. Bookmarks keep their uid: importing twice adds nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::model::{BookmarkBody, BookmarkFilter, BookmarkOrder, BookmarkRow, ImportReport, MissingEpisode};
use super::store::{normalise_time, set_tags};
use super::times::format_hms;
use super::{validate_times, BookmarkError};
use crate::error::Result;
use crate::library::{rfc3339, Library};

/// The version of the JSON document this build writes and the newest it reads.
pub const JSON_VERSION: u32 = 1;

/// The JSON export: `{version, exported, bookmarks}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDocument {
    /// [`JSON_VERSION`] when written by this build.
    pub version: u32,
    /// When the file was made (RFC 3339).
    pub exported: String,
    /// Every bookmark.
    pub bookmarks: Vec<ExportedBookmark>,
}

/// One bookmark in the JSON export: what it says, under an id and an episode that another
/// library can match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedBookmark {
    /// The stable id that makes a second import a no-op.
    pub uid: String,
    /// The episode, named so another library can find it.
    pub episode: ExportedEpisode,
    /// Its times, words, tags and dates; the fields sit beside `uid` in the JSON.
    #[serde(flatten)]
    pub body: BookmarkBody,
}

/// How an exported bookmark names its episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEpisode {
    /// The podcast's feed URL.
    pub podcast_feed_url: String,
    /// The episode's identity within that feed.
    pub guid: String,
    /// Its title, for people reading the file and for reports of missing episodes.
    pub title: String,
}

/// A post or page linked to an episode, as the Markdown export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkedDoc {
    kind: String,
    title: String,
    url: String,
}

/// Episode row id → (feed URL, guid): how an export names an episode.
type Identities = HashMap<i64, (String, String)>;

/// Every bookmark, grouped by episode, with each episode's feed URL and guid.
fn rows_with_identity(lib: &Library) -> Result<(Vec<BookmarkRow>, Identities)> {
    let rows = lib.bookmarks(&BookmarkFilter {
        order: BookmarkOrder::Episode,
        ..BookmarkFilter::default()
    })?;
    let mut ids = HashMap::new();
    let mut stmt = lib.conn().prepare_cached(
        "SELECT e.id, p.feed_url, e.guid FROM episodes e JOIN podcasts p ON p.id = e.podcast_id \
         WHERE e.id IN (SELECT episode_id FROM bookmarks)",
    )?;
    let found = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?))))?;
    for f in found {
        let (id, ident) = f?;
        ids.insert(id, ident);
    }
    Ok((rows, ids))
}

/// The accepted links of an episode to posts and pages, newest document first.
fn linked_docs(lib: &Library, episode: i64) -> Result<Vec<LinkedDoc>> {
    let mut stmt = lib.conn().prepare_cached(
        "SELECT d.kind, d.title, d.url FROM links l JOIN documents d ON d.id = l.document_id \
         WHERE l.episode_id = ?1 AND l.state = 'accepted' ORDER BY d.published_ts IS NULL, d.published_ts DESC, d.id",
    )?;
    let rows = stmt.query_map([episode], |r| {
        Ok(LinkedDoc {
            kind: r.get(0)?,
            title: r.get(1)?,
            url: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The JSON export (pretty-printed), stamped `now`.
pub fn to_json(lib: &Library, now: DateTime<Utc>) -> Result<String> {
    let (rows, ids) = rows_with_identity(lib)?;
    let bookmarks = rows
        .into_iter()
        .map(|r| {
            let (feed_url, guid) = ids.get(&r.bookmark.episode_id.0).cloned().unwrap_or_default();
            ExportedBookmark {
                uid: r.uid,
                episode: ExportedEpisode {
                    podcast_feed_url: feed_url,
                    guid,
                    title: r.episode_title,
                },
                body: r.bookmark.body,
            }
        })
        .collect();
    let doc = ExportDocument {
        version: JSON_VERSION,
        exported: rfc3339(now),
        bookmarks,
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| crate::Error::Invalid(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// The columns of the CSV export, in order.
pub const CSV_HEADER: [&str; 14] = [
    "uid",
    "podcast",
    "episode",
    "feed_url",
    "guid",
    "start",
    "end",
    "start_secs",
    "end_secs",
    "title",
    "note",
    "tags",
    "created",
    "updated",
];

/// One CSV field, quoted when it holds a comma, a quote, a line break or edge spaces (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The CSV export: a header row, then one row per bookmark (grouped by episode), CRLF line
/// ends. Tags are joined with `; `.
pub fn to_csv(lib: &Library) -> Result<String> {
    let (rows, ids) = rows_with_identity(lib)?;
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for r in rows {
        let (feed_url, guid) = ids.get(&r.bookmark.episode_id.0).cloned().unwrap_or_default();
        let b = &r.bookmark.body;
        let fields = [
            r.uid.clone(),
            r.podcast_title.clone(),
            r.episode_title.clone(),
            feed_url,
            guid,
            format_hms(b.start_secs),
            b.end_secs.map(format_hms).unwrap_or_default(),
            b.start_secs.to_string(),
            b.end_secs.map(|e| e.to_string()).unwrap_or_default(),
            b.title.clone(),
            b.note.clone(),
            b.tags.join("; "),
            b.created.clone(),
            b.updated.clone(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Escapes the characters Markdown would read as formatting, so titles and notes print as typed.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.trim_end();
        if line.starts_with(['-', '+', '>']) || line.trim_start().starts_with('#') {
            out.push('\\');
        }
        for c in line.chars() {
            if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A URL made safe inside Markdown's `(…)`.
fn md_url(url: &str) -> String {
    url.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
}

/// The Markdown export: a section per episode (podcast and episode title), each bookmark with
/// its times (`H:MM:SS`), title, note and tags, then the posts and pages linked to the episode.
pub fn to_markdown(lib: &Library, now: DateTime<Utc>) -> Result<String> {
    let (rows, _) = rows_with_identity(lib)?;
    let mut out = format!("# Bookmarks\n\nExported from Earmark on {}.\n", rfc3339(now));
    // Rows come grouped by episode; keep that order.
    let mut groups: Vec<(i64, Vec<&BookmarkRow>)> = Vec::new();
    for r in &rows {
        match groups.last_mut() {
            Some((ep, list)) if *ep == r.bookmark.episode_id.0 => list.push(r),
            _ => groups.push((r.bookmark.episode_id.0, vec![r])),
        }
    }
    for (episode, list) in groups {
        let first = list[0];
        out.push_str(&format!(
            "\n## {}: {}\n",
            md_escape(&first.podcast_title),
            md_escape(&first.episode_title)
        ));
        for r in list {
            let b = &r.bookmark.body;
            let times = match b.end_secs {
                Some(end) => format!("{}–{}", format_hms(b.start_secs), format_hms(end)),
                None => format_hms(b.start_secs),
            };
            let title = if b.title.trim().is_empty() {
                "(untitled)".to_owned()
            } else {
                md_escape(&b.title)
            };
            out.push_str(&format!("\n### {times} {title}\n"));
            if !b.note.trim().is_empty() {
                out.push_str(&format!("\n{}\n", md_escape(b.note.trim())));
            }
            if !b.tags.is_empty() {
                let tags: Vec<String> = b.tags.iter().map(|t| md_escape(t)).collect();
                out.push_str(&format!("\nTags: {}\n", tags.join(", ")));
            }
        }
        let docs = linked_docs(lib, episode)?;
        if !docs.is_empty() {
            out.push_str("\nPosts and pages about this episode:\n\n");
            for d in docs {
                out.push_str(&format!(
                    "- [{}]({}) ({})\n",
                    md_escape(&d.title),
                    md_url(&d.url),
                    d.kind
                ));
            }
        }
    }
    Ok(out)
}

fn bad(detail: impl Into<String>) -> BookmarkError {
    BookmarkError::BadImport(detail.into())
}

/// Reads a JSON export back in one transaction: new uids are added (their episodes found by
/// feed URL and guid), known uids are replaced only by a newer `updated`, bookmarks of episodes
/// this library does not have are reported. Any damage in the file refuses the whole import.
pub fn import_json(lib: &mut Library, text: &str) -> Result<ImportReport> {
    let doc: ExportDocument =
        serde_json::from_str(text).map_err(|e| bad(format!("not an Earmark bookmarks file ({e})")))?;
    if doc.version == 0 || doc.version > JSON_VERSION {
        return Err(bad(format!(
            "version {} is not one this Earmark reads (up to {JSON_VERSION}); upgrade Earmark",
            doc.version
        ))
        .into());
    }
    // Check everything before touching the library.
    let mut checked = Vec::with_capacity(doc.bookmarks.len());
    for (i, b) in doc.bookmarks.iter().enumerate() {
        let n = i + 1;
        if b.uid.trim().is_empty() {
            return Err(bad(format!("bookmark {n} has no uid")).into());
        }
        validate_times(b.body.start_secs, b.body.end_secs, None)
            .map_err(|e| bad(format!("bookmark {n} ({}): {e}", b.uid)))?;
        let created = normalise_time("created", &b.body.created).map_err(|e| bad(format!("bookmark {n}: {e}")))?;
        let updated = normalise_time("updated", &b.body.updated).map_err(|e| bad(format!("bookmark {n}: {e}")))?;
        checked.push((b, created, updated));
    }

    let mut report = ImportReport::default();
    let mut missing: BTreeMap<(String, String), MissingEpisode> = BTreeMap::new();
    let tx = lib
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (b, created, updated) in checked {
        let body = &b.body;
        // Both statements take the row's key and episode as ?1 and ?2, the bookmark's own fields as
        // ?3 to ?8.
        let write = |sql: &str, key: &dyn rusqlite::ToSql, episode: Option<i64>| {
            let (start, end) = (body.start_secs, body.end_secs);
            tx.execute(
                sql,
                params![key, episode, start, end, body.title, body.note, created, updated],
            )
        };
        let episode: Option<i64> = tx
            .prepare_cached(
                "SELECT e.id FROM episodes e JOIN podcasts p ON p.id = e.podcast_id WHERE p.feed_url = ?1 AND e.guid = ?2",
            )?
            .query_row(params![b.episode.podcast_feed_url, b.episode.guid], |r| r.get(0))
            .optional()?;
        let existing: Option<(i64, String)> = tx
            .prepare_cached("SELECT id, updated FROM bookmarks WHERE uid = ?1")?
            .query_row([b.uid.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match (existing, episode) {
            (Some((id, ours)), _) => {
                let newer = match (
                    DateTime::parse_from_rfc3339(&updated),
                    DateTime::parse_from_rfc3339(&ours),
                ) {
                    (Ok(theirs), Ok(ours)) => theirs > ours,
                    (Ok(_), Err(_)) => true,
                    _ => false,
                };
                if newer {
                    write(
                        "UPDATE bookmarks SET episode_id = COALESCE(?2, episode_id), start_secs = ?3, end_secs = ?4, \
                         title = ?5, note = ?6, created = ?7, updated = ?8 WHERE id = ?1",
                        &id,
                        episode,
                    )?;
                    set_tags(&tx, id, &body.tags)?;
                    report.updated += 1;
                } else {
                    report.skipped += 1;
                }
            }
            (None, Some(ep)) => {
                write(
                    "INSERT INTO bookmarks (uid, episode_id, start_secs, end_secs, title, note, created, updated) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    &b.uid.trim(),
                    Some(ep),
                )?;
                let id = tx.last_insert_rowid();
                set_tags(&tx, id, &body.tags)?;
                report.added += 1;
            }
            (None, None) => {
                let key = (b.episode.podcast_feed_url.clone(), b.episode.guid.clone());
                missing
                    .entry(key)
                    .or_insert_with(|| MissingEpisode {
                        podcast_feed_url: b.episode.podcast_feed_url.clone(),
                        guid: b.episode.guid.clone(),
                        title: b.episode.title.clone(),
                        bookmarks: 0,
                    })
                    .bookmarks += 1;
            }
        }
    }
    tx.commit()?;
    report.missing_episodes = missing.into_values().collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(" edge"), "\" edge\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn markdown_escapes_formatting() {
        assert_eq!(md_escape("a *b* [c](d) _e_"), "a \\*b\\* \\[c\\](d) \\_e\\_");
        assert_eq!(
            md_escape("- not a list\n# not a heading"),
            "\\- not a list\n\\# not a heading"
        );
        assert_eq!(md_url("https://x/a b(c)"), "https://x/a%20b%28c%29");
    }
}
