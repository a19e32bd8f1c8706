//! Chapters from a Podcasting 2.0 `podcast:chapters` JSON document, the file a feed's
//! `<podcast:chapters>` points to. Loosely typed on purpose: publishers write numbers as strings and
//! leave fields out, and one bad entry must not lose the rest.

use serde::Deserialize;
use serde_json::Value;

use super::{clean_title, clean_url, fill_missing_ends, sane_secs, Chapter, ChapterError, MAX_CHAPTERS};

/// Chapters JSON files are kilobytes; anything past this is refused before parsing.
const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// Parses a podcast:chapters JSON document (the file a feed's `<podcast:chapters>` points to),
/// sorted by start; entries with `"toc": false` are dropped (see the module docs for why).
///
/// Entries that
/// are not objects, have no usable `startTime` (missing, negative, not finite, beyond a week), or
/// have mistyped fields are skipped rather than failing the whole document; numbers written as
/// strings (`"12.5"`) are accepted since some publishers do that. An `endTime` not after the start
/// is ignored; a missing end becomes the next chapter's start (`None` for the last). Errors:
/// bytes that are not JSON, JSON that has no `chapters` list, or more than 16 MiB.
pub fn from_json(bytes: &[u8]) -> Result<Vec<Chapter>, ChapterError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(ChapterError::TooLarge(bytes.len()));
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(ChapterError::Json)?;
    if !doc.is_object() {
        return Err(ChapterError::NotChapters("the document is not a JSON object".into()));
    }
    let doc: JsonDoc = serde_json::from_value(doc).map_err(|e| ChapterError::NotChapters(e.to_string()))?;

    let mut chapters = Vec::new();
    let mut skipped = 0usize;
    for entry in doc.chapters {
        let Ok(raw) = serde_json::from_value::<JsonChapter>(entry) else {
            skipped += 1;
            continue;
        };
        if matches!(raw.toc, Some(Value::Bool(false))) {
            continue;
        }
        let Some(start_secs) = raw.start_time.as_ref().and_then(json_number).and_then(sane_secs) else {
            skipped += 1;
            continue;
        };
        let end_secs = raw
            .end_time
            .as_ref()
            .and_then(json_number)
            .and_then(sane_secs)
            .filter(|end| *end > start_secs);
        chapters.push(Chapter {
            start_secs,
            end_secs,
            title: raw
                .title
                .as_ref()
                .and_then(Value::as_str)
                .map(clean_title)
                .unwrap_or_default(),
            url: raw.url.as_ref().and_then(Value::as_str).and_then(clean_url),
            image_url: raw.img.as_ref().and_then(Value::as_str).and_then(clean_url),
        });
    }
    if skipped > 0 {
        tracing::debug!(skipped, "skipped unusable entries in a chapters document");
    }
    chapters.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
    chapters.truncate(MAX_CHAPTERS);
    fill_missing_ends(&mut chapters);
    Ok(chapters)
}

/// The top of a `podcast:chapters` document; `version` and anything else are not needed.
#[derive(Deserialize)]
struct JsonDoc {
    chapters: Vec<Value>,
}

/// One entry, with every field loosely typed so a mistyped field drops only what it must.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonChapter {
    start_time: Option<Value>,
    end_time: Option<Value>,
    title: Option<Value>,
    img: Option<Value>,
    url: Option<Value>,
    toc: Option<Value>,
}

/// A JSON number, or a string holding one.
fn json_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::chapters::MAX_TITLE_CHARS;

    #[test]
    fn json_normal_document() {
        let doc = br#"{"version":"1.2.0","chapters":[
            {"startTime":0,"endTime":30,"title":"Intro","img":"https://example.com/a.jpg"},
            {"startTime":30.5,"title":"Interview","url":"https://example.com/guest","toc":true,
             "location":{"name":"Austin","geo":"geo:30.2672,97.7431"}},
            {"startTime":1800,"endTime":1900.25,"title":"Outro"}]}"#;
        let got = from_json(doc).unwrap();
        assert_eq!(
            got,
            vec![
                Chapter {
                    start_secs: 0.0,
                    end_secs: Some(30.0),
                    title: "Intro".into(),
                    url: None,
                    image_url: Some("https://example.com/a.jpg".into()),
                },
                Chapter {
                    start_secs: 30.5,
                    end_secs: Some(1800.0),
                    title: "Interview".into(),
                    url: Some("https://example.com/guest".into()),
                    image_url: None,
                },
                Chapter {
                    start_secs: 1800.0,
                    end_secs: Some(1900.25),
                    title: "Outro".into(),
                    url: None,
                    image_url: None,
                },
            ]
        );
    }

    #[test]
    fn json_missing_end_times_and_unsorted_entries() {
        let doc = br#"{"chapters":[
            {"startTime":120,"title":"Third"},
            {"startTime":0,"title":"First"},
            {"startTime":60,"title":"Second"}]}"#;
        let got = from_json(doc).unwrap();
        assert_eq!(
            crate::chapters::spans(&got),
            [
                (0.0, Some(60.0), "First"),
                (60.0, Some(120.0), "Second"),
                (120.0, None, "Third")
            ]
        );
    }

    #[test]
    fn json_toc_false_entries_are_dropped_and_do_not_end_a_chapter() {
        let doc = br#"{"version":"1.2.0","chapters":[
            {"startTime":0,"title":"Visible"},
            {"startTime":10,"title":"Artwork change","img":"https://example.com/b.jpg","toc":false},
            {"startTime":20,"title":"Also visible","toc":true}]}"#;
        let got = from_json(doc).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].title.as_str(), got[0].end_secs), ("Visible", Some(20.0)));
        assert_eq!(got[1].title, "Also visible");
    }

    #[test]
    fn json_garbage_is_a_clear_error() {
        assert!(matches!(from_json(b""), Err(ChapterError::Json(_))));
        assert!(matches!(from_json(b"<html>404</html>"), Err(ChapterError::Json(_))));
        assert!(matches!(
            from_json(b"{\"chapters\":[{\"startTime\":1}"),
            Err(ChapterError::Json(_))
        ));
        assert!(matches!(from_json(b"[1,2,3]"), Err(ChapterError::NotChapters(_))));
        assert!(matches!(
            from_json(b"{\"version\":\"1.2.0\"}"),
            Err(ChapterError::NotChapters(_))
        ));
        assert!(matches!(
            from_json(b"{\"chapters\":\"none\"}"),
            Err(ChapterError::NotChapters(_))
        ));
        let deep = "[".repeat(100_000);
        assert!(matches!(from_json(deep.as_bytes()), Err(ChapterError::Json(_))));
        let huge = vec![b' '; MAX_JSON_BYTES + 1];
        assert!(matches!(from_json(&huge), Err(ChapterError::TooLarge(_))));
        assert_eq!(from_json(b"{\"chapters\":[]}").unwrap(), vec![]);
        let err = from_json(b"{\"version\":\"1.2.0\"}").unwrap_err().to_string();
        assert!(err.contains("chapters"), "{err}");
    }

    #[test]
    fn json_absurd_values_are_skipped_or_cleaned() {
        let long_title = "x".repeat(2_000);
        let doc = format!(
            r#"{{"chapters":[
            {{"startTime":-5,"title":"Negative"}},
            {{"startTime":1e300,"title":"Far future"}},
            {{"startTime":"NaN","title":"NaN string"}},
            {{"startTime":"inf","title":"Inf string"}},
            {{"title":"No start"}},
            {{"startTime":null,"title":"Null start"}},
            {{"startTime":true,"title":"Bool start"}},
            "just a string",
            42,
            {{"startTime":"12.5","endTime":3,"title":"  String time,\n backwards end\t "}},
            {{"startTime":20,"endTime":1e308,"title":{{"nested":"object"}},"url":"javascript:alert(1)",
              "img":"file:///etc/passwd"}},
            {{"startTime":30,"endTime":-1,"title":"{long_title}","url":"HTTPS://Example.com/x",
              "img":"/relative.jpg"}},
            {{"startTime":604801,"title":"Over a week"}}
            ]}}"#
        );
        let got = from_json(doc.as_bytes()).unwrap();
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(
            got[0],
            Chapter {
                start_secs: 12.5,
                end_secs: Some(20.0),
                title: "String time, backwards end".into(),
                url: None,
                image_url: None,
            }
        );
        assert_eq!(
            (
                got[1].title.as_str(),
                got[1].url.as_deref(),
                got[1].image_url.as_deref()
            ),
            ("", None, None)
        );
        assert_eq!(
            got[1].end_secs,
            Some(30.0),
            "an absurd end is replaced by the next start"
        );
        assert_eq!(got[2].title.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(got[2].url.as_deref(), Some("HTTPS://Example.com/x"));
        assert_eq!((got[2].end_secs, got[2].image_url.as_deref()), (None, None));
    }

    #[test]
    fn json_chapter_count_is_capped() {
        let entries: Vec<String> = (0..MAX_CHAPTERS + 500)
            .map(|i| format!(r#"{{"startTime":{i}}}"#))
            .collect();
        let doc = format!(r#"{{"chapters":[{}]}}"#, entries.join(","));
        let got = from_json(doc.as_bytes()).unwrap();
        assert_eq!(got.len(), MAX_CHAPTERS);
        assert_eq!(got[MAX_CHAPTERS - 1].start_secs, (MAX_CHAPTERS - 1) as f64);
        // The last kept chapter ends where the first dropped one would have started.
        assert_eq!(got[MAX_CHAPTERS - 1].end_secs, None);
    }
}
