//! Transcript files to cues: SubRip, WebVTT, Podcasting 2.0 JSON, HTML and plain text. Pure
//! functions over bytes; a file that is not what it claims to be is an error naming the line or
//! segment, never a half-read transcript.

use super::{TranscriptCue, TranscriptError, TranscriptFormat};

/// Reads a transcript file of `format` into cues, in file order.
pub fn parse(format: TranscriptFormat, bytes: &[u8]) -> Result<Vec<TranscriptCue>, TranscriptError> {
    let text = decode(format, bytes)?;
    let cues = match format {
        TranscriptFormat::Srt => srt(&text)?,
        TranscriptFormat::Vtt => vtt(&text)?,
        TranscriptFormat::Json => json(&text)?,
        TranscriptFormat::Html => html(&text),
        TranscriptFormat::Text => plain(&text),
    };
    if cues.is_empty() {
        return Err(corrupt(format, "no text found in it".into()));
    }
    Ok(cues)
}

/// The text of a transcript file: UTF-8 (a BOM is dropped); subtitles made on Windows are often
/// in Windows-1252, which is read as such. JSON must be UTF-8.
pub fn decode(format: TranscriptFormat, bytes: &[u8]) -> Result<String, TranscriptError> {
    if bytes.contains(&0) && !bytes.starts_with(&[0xff, 0xfe]) && !bytes.starts_with(&[0xfe, 0xff]) {
        return Err(corrupt(format, "it is binary data, not text".into()));
    }
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, bad) = enc.decode(bytes);
        if bad {
            return Err(corrupt(format, format!("invalid {} text", enc.name())));
        }
        return Ok(text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) if format == TranscriptFormat::Json => Err(corrupt(format, "it is not UTF-8 text".into())),
        Err(_) => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()),
    }
}

fn corrupt(format: TranscriptFormat, detail: String) -> TranscriptError {
    TranscriptError::Corrupt { format, detail }
}

/// A subtitle timestamp: `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or (WebVTT) `MM:SS.mmm`. Hours may
/// have any number of digits; minutes and seconds are two digits below 60.
pub fn timestamp(s: &str) -> Option<f64> {
    let s = s.trim();
    let (clock, frac) = match s.rsplit_once([',', '.']) {
        Some((c, f)) if !f.is_empty() && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()) => (c, f),
        Some(_) => return None,
        None => (s, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut total = 0.0;
    for (i, p) in parts.iter().enumerate() {
        let first_of_three = parts.len() == 3 && i == 0;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || (!first_of_three && p.len() != 2) {
            return None;
        }
        let v: f64 = p.parse().ok()?;
        if !first_of_three && v >= 60.0 {
            return None;
        }
        total = total * 60.0 + v;
    }
    if !frac.is_empty() {
        let f: f64 = frac.parse().ok()?;
        total += f / 10f64.powi(frac.len() as i32);
    }
    Some(total)
}

/// `start --> end [settings]` to seconds; `None` when the line is not a timing line at all.
fn timing(line: &str, format: TranscriptFormat, line_no: usize) -> Option<Result<(f64, f64), TranscriptError>> {
    let (a, rest) = line.split_once("-->")?;
    let b = rest.split_whitespace().next().unwrap_or("");
    Some(match (timestamp(a), timestamp(b)) {
        (Some(start), Some(end)) if end >= start => Ok((start, end)),
        (Some(_), Some(_)) => Err(corrupt(
            format,
            format!("line {line_no}: the cue ends before it starts"),
        )),
        _ => Err(corrupt(
            format,
            format!("line {line_no}: unreadable timing {:?}", line.trim()),
        )),
    })
}

/// Blocks of lines separated by blank lines, each with the 1-based number of its first line.
fn blocks(text: &str) -> Vec<(usize, Vec<&str>)> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut first = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((first, std::mem::take(&mut cur)));
            }
        } else {
            if cur.is_empty() {
                first = i + 1;
            }
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push((first, cur));
    }
    out
}

fn push_text(cues: &mut Vec<TranscriptCue>, start: f64, end: Option<f64>, speaker: Option<String>, text: String) {
    let text = collapse(&text);
    if !text.is_empty() {
        cues.push(TranscriptCue {
            start_secs: start,
            end_secs: end,
            speaker,
            text,
        });
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SubRip: numbered blocks of a timing line and text. A block with no timing line continues
/// the cue before it (a blank line inside a subtitle); before any cue it is damage.
fn srt(text: &str) -> Result<Vec<TranscriptCue>, TranscriptError> {
    let f = TranscriptFormat::Srt;
    let mut cues: Vec<TranscriptCue> = Vec::new();
    for (first, lines) in blocks(text) {
        let at = lines.iter().position(|l| l.contains("-->"));
        match at {
            Some(i) if i <= 1 => {
                if i == 1 && !lines[0].trim().bytes().all(|b| b.is_ascii_digit()) {
                    return Err(corrupt(
                        f,
                        format!("line {first}: expected a cue number, found {:?}", lines[0]),
                    ));
                }
                let (start, end) = timing(lines[i], f, first + i).unwrap_or_else(|| unreachable_timing(f))?;
                push_text(&mut cues, start, Some(end), None, strip_tags(&lines[i + 1..].join(" ")));
            }
            Some(i) => {
                return Err(corrupt(
                    f,
                    format!("line {}: a timing line in the middle of a cue", first + i),
                ));
            }
            None => match cues.last_mut() {
                Some(last) => {
                    let more = collapse(&strip_tags(&lines.join(" ")));
                    last.text = format!("{} {more}", last.text);
                }
                None => return Err(corrupt(f, format!("line {first}: no cue timing found"))),
            },
        }
    }
    Ok(cues)
}

fn unreachable_timing(f: TranscriptFormat) -> Result<(f64, f64), TranscriptError> {
    Err(corrupt(f, "unreadable timing".into()))
}

/// WebVTT: a `WEBVTT` header, then cues (an optional id line, a timing line, the payload);
/// NOTE, STYLE and REGION blocks are skipped. Speakers come from `<v Name>`.
fn vtt(text: &str) -> Result<Vec<TranscriptCue>, TranscriptError> {
    let f = TranscriptFormat::Vtt;
    let text = text.trim_start_matches('\u{feff}');
    let header_ok = text
        .strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']));
    if !header_ok {
        return Err(corrupt(f, "it does not start with WEBVTT".into()));
    }
    let mut cues = Vec::new();
    for (n, (first, lines)) in blocks(text).into_iter().enumerate() {
        if n == 0 || ["NOTE", "STYLE", "REGION"].iter().any(|k| lines[0].starts_with(k)) {
            continue;
        }
        let Some(i) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        if i > 1 {
            return Err(corrupt(
                f,
                format!("line {}: a timing line in the middle of a cue", first + i),
            ));
        }
        let (start, end) = timing(lines[i], f, first + i).unwrap_or_else(|| unreachable_timing(f))?;
        let payload = lines[i + 1..].join("\n");
        let speaker = voice(&payload);
        push_text(&mut cues, start, Some(end), speaker, strip_tags(&payload));
    }
    Ok(cues)
}

/// The name in a cue's first `<v Name>` (or `<v.loud Name>`) tag.
fn voice(payload: &str) -> Option<String> {
    let start = payload.find("<v")?;
    let rest = &payload[start + 2..];
    if !rest.starts_with([' ', '.', '\t']) {
        return None;
    }
    let tag = &rest[..rest.find('>')?];
    let name = tag.split_once([' ', '\t']).map_or("", |(_, n)| n);
    let name = decode_entities(name.trim());
    (!name.is_empty()).then_some(name)
}

/// Drops `<…>` tags (styling, voices, karaoke timestamps) and decodes the entities cues use.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match (c, in_tag) {
            ('<', false) => in_tag = true,
            ('>', true) => in_tag = false,
            (c, false) => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&")
}

#[derive(serde::Deserialize)]
struct JsonTranscript {
    segments: Vec<serde_json::Value>,
}

/// A run of one-word segments from one speaker is joined into a cue until a sentence ends or
/// the cue grows this long, so word-level files read (and search) as lines.
const WORD_RUN_MAX_SECS: f64 = 15.0;

/// Podcasting 2.0 JSON: `{"version": …, "segments": [{"startTime", "endTime", "speaker", "body"}]}`.
fn json(text: &str) -> Result<Vec<TranscriptCue>, TranscriptError> {
    let f = TranscriptFormat::Json;
    let doc: JsonTranscript =
        serde_json::from_str(text).map_err(|e| corrupt(f, format!("not a JSON transcript ({e})")))?;
    let mut cues: Vec<TranscriptCue> = Vec::new();
    // Whether the last cue is still a run of single words that may grow.
    let mut open_run = false;
    for (i, seg) in doc.segments.iter().enumerate() {
        let n = i + 1;
        let num = |k: &str| seg.get(k).and_then(serde_json::Value::as_f64).filter(|v| v.is_finite());
        let start = num("startTime").ok_or_else(|| corrupt(f, format!("segment {n} has no startTime")))?;
        let end = num("endTime");
        if start < 0.0 || end.is_some_and(|e| e < start) {
            return Err(corrupt(f, format!("segment {n} has impossible times")));
        }
        let body = seg
            .get("body")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| corrupt(f, format!("segment {n} has no body")))?;
        let body = collapse(body);
        if body.is_empty() {
            continue;
        }
        let speaker = seg
            .get("speaker")
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let one_word = !body.contains(' ');
        if let Some(last) = cues.last_mut() {
            if open_run
                && one_word
                && last.speaker == speaker
                && end.unwrap_or(start) - last.start_secs <= WORD_RUN_MAX_SECS
            {
                last.text.push(' ');
                last.text.push_str(&body);
                last.end_secs = end.or(last.end_secs);
                open_run = !body.ends_with(['.', '?', '!']);
                continue;
            }
        }
        open_run = one_word && !body.ends_with(['.', '?', '!']);
        cues.push(TranscriptCue {
            start_secs: start,
            end_secs: end,
            speaker,
            text: body,
        });
    }
    Ok(cues)
}

/// HTML transcripts: `<cite>` names the speaker, `<time>` the moment, `<p>` the words. Without
/// `<time>`, cues start at 0. With no `<p>` at all, each text block of the body is a cue.
fn html(text: &str) -> Vec<TranscriptCue> {
    let doc = crate::html::parse_document(text);
    let Ok(sel) = scraper::Selector::parse("cite, time, p") else {
        return Vec::new();
    };
    let mut cues = Vec::new();
    let mut speaker: Option<String> = None;
    let mut at = 0.0;
    for el in doc.select(&sel) {
        let content = collapse(&el.text().collect::<String>());
        match el.value().name() {
            "cite" => {
                let name = content.trim_end_matches(':').trim();
                speaker = (!name.is_empty()).then(|| name.to_owned());
            }
            "time" => {
                let raw = el.value().attr("datetime").map_or(content.as_str(), str::trim);
                if let Some(t) = timestamp(raw).or_else(|| crate::bookmarks::times::parse(raw).ok()) {
                    at = t;
                }
            }
            _ => push_text(&mut cues, at, None, speaker.clone(), content),
        }
    }
    if cues.is_empty() {
        return plain(&crate::html::to_text(text));
    }
    cues
}

/// Plain text: each paragraph is a cue at 0 (there are no times to be had).
fn plain(text: &str) -> Vec<TranscriptCue> {
    let mut cues = Vec::new();
    for (_, lines) in blocks(text) {
        push_text(&mut cues, 0.0, None, None, lines.join(" "));
    }
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_corrupt(r: Result<Vec<TranscriptCue>, TranscriptError>, needle: &str) {
        match r {
            Err(TranscriptError::Corrupt { detail, .. }) => assert!(detail.contains(needle), "{detail}"),
            other => panic!("expected corrupt ({needle}), got {other:?}"),
        }
    }

    /// Each damaged input in `format` is refused as corrupt, with a detail that holds its words.
    fn refused(format: TranscriptFormat, cases: &[(&[u8], &str)]) {
        for (input, needle) in cases {
            is_corrupt(parse(format, input), needle);
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("00:00:01,500"), Some(1.5));
        assert_eq!(timestamp("01:02:03.250"), Some(3723.25));
        assert_eq!(timestamp("02:03.250"), Some(123.25));
        assert_eq!(timestamp("100:00:00.000"), Some(360_000.0));
        for bad in [
            "",
            "1.5",
            "00:61.000",
            "00:00:1x,000",
            "00:00:01,5000",
            "0:1:2.000",
            "a:b",
        ] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }

    const SRT: &str = "1\r\n00:00:01,000 --> 00:00:04,200\r\nHello and <i>welcome</i>\r\nto the show.\r\n\r\n2\r\n00:00:04,200 --> 00:00:09,000\r\nToday: adoption &amp; the courts.\r\n\r\n\r\n3\r\n00:01:00,000 --> 00:01:02,000\r\nFirst line\r\n\r\nafter a blank line\r\n";

    #[test]
    fn srt_cues() {
        let cues = parse(TranscriptFormat::Srt, SRT.as_bytes()).expect("srt");
        assert_eq!(cues.len(), 3);
        assert_eq!(cues[0].start_secs, 1.0);
        assert_eq!(cues[0].end_secs, Some(4.2));
        assert_eq!(cues[0].text, "Hello and welcome to the show.");
        assert_eq!(cues[1].text, "Today: adoption & the courts.");
        assert_eq!(cues[2].text, "First line after a blank line");
        assert_eq!(cues[2].speaker, None);
    }

    #[test]
    fn srt_damage_is_refused() {
        refused(
            TranscriptFormat::Srt,
            &[
                (b"1\n00:00:01,000 --> 00:0x:04,000\nhi\n", "line 2"),
                (b"1\n00:00:05,000 --> 00:00:04,000\nhi\n", "ends before it starts"),
                (b"just some words\n", "no cue timing"),
                (b"", "no text"),
                (b"\x00\x01\x02PK\x03\x04", "binary"),
                (b"one\n00:00:01,000 --> 00:00:02,000\nhi\n", "cue number"),
            ],
        );
    }

    #[test]
    fn srt_in_windows_1252_is_read() {
        let bytes = b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9 talk\n";
        let cues = parse(TranscriptFormat::Srt, bytes).expect("srt");
        assert_eq!(cues[0].text, "Caf\u{e9} talk");
    }

    #[test]
    fn vtt_cues_with_voices_notes_and_ids() {
        let text = "\u{feff}WEBVTT - a show\n\nNOTE this is a note\nwith two lines\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:04.000 align:start\n<v Ann Smith>Hello <b>there</b>\n\n00:00:04.000 --> 00:00:06.500\n<v.loud Bob>Hi Ann &amp; all\n\n00:06.500 --> 00:08.000\n<c.x>no speaker</c> <00:07.000>here\n";
        let cues = parse(TranscriptFormat::Vtt, text.as_bytes()).expect("vtt");
        assert_eq!(cues.len(), 3, "{cues:?}");
        assert_eq!(cues[0].speaker.as_deref(), Some("Ann Smith"));
        assert_eq!(cues[0].text, "Hello there");
        assert_eq!((cues[0].start_secs, cues[0].end_secs), (1.0, Some(4.0)));
        assert_eq!(cues[1].speaker.as_deref(), Some("Bob"));
        assert_eq!(cues[1].text, "Hi Ann & all");
        assert_eq!(cues[2].speaker, None);
        assert_eq!(cues[2].text, "no speaker here");
    }

    #[test]
    fn vtt_damage_is_refused() {
        refused(
            TranscriptFormat::Vtt,
            &[
                (b"1\n00:00:01,000 --> 00:00:02,000\nhi\n", "WEBVTT"),
                (b"WEBVTTX\n", "WEBVTT"),
                (b"WEBVTT\n\n00:01.000 --> later\nhi\n", "line 3"),
                (b"WEBVTT\n\nNOTE only\n", "no text"),
            ],
        );
    }

    #[test]
    fn json_segments_and_word_runs() {
        let text = r#"{"version":"1.0.0","segments":[
            {"speaker":"Ann","startTime":0.5,"endTime":3.0,"body":"Welcome to the show."},
            {"speaker":"Bob","startTime":3.0,"endTime":3.4,"body":"Thanks"},
            {"speaker":"Bob","startTime":3.4,"endTime":3.8,"body":"for"},
            {"speaker":"Bob","startTime":3.8,"endTime":4.1,"body":"having"},
            {"speaker":"Bob","startTime":4.1,"endTime":4.5,"body":"me."},
            {"speaker":"Bob","startTime":4.6,"endTime":5.0,"body":"Really."},
            {"startTime":6,"body":"  "},
            {"startTime":7,"body":"Unattributed words"}
        ]}"#;
        let cues = parse(TranscriptFormat::Json, text.as_bytes()).expect("json");
        let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Welcome to the show.",
                "Thanks for having me.",
                "Really.",
                "Unattributed words"
            ]
        );
        assert_eq!(cues[1].speaker.as_deref(), Some("Bob"));
        assert_eq!((cues[1].start_secs, cues[1].end_secs), (3.0, Some(4.5)));
        assert_eq!(cues[3].speaker, None);
        assert_eq!(cues[3].end_secs, None);
    }

    #[test]
    fn json_damage_is_refused() {
        refused(
            TranscriptFormat::Json,
            &[
                (b"{\"segments\": [ {\"startTime\": 1,", "not a JSON"),
                (b"{\"version\": \"1\"}", "not a JSON"),
                (br#"{"segments":[{"body":"hi"}]}"#, "segment 1 has no startTime"),
                (
                    br#"{"segments":[{"startTime":5,"endTime":2,"body":"hi"}]}"#,
                    "impossible",
                ),
                (br#"{"segments":[{"startTime":1,"body":7}]}"#, "no body"),
                (br#"{"segments":[]}"#, "no text"),
                (b"{\"segments\":[]}\xff", "UTF-8"),
            ],
        );
    }

    #[test]
    fn html_with_cite_time_and_p() {
        let text = "<html><body><cite>Ann:</cite><time>0:00:05</time><p>Hello <b>all</b>.</p>\
                    <cite>Bob:</cite><time>01:10</time><p>Hi.</p><p>More from Bob.</p></body></html>";
        let cues = parse(TranscriptFormat::Html, text.as_bytes()).expect("html");
        assert_eq!(cues.len(), 3);
        assert_eq!((cues[0].start_secs, cues[0].speaker.as_deref()), (5.0, Some("Ann")));
        assert_eq!(cues[0].text, "Hello all.");
        assert_eq!((cues[1].start_secs, cues[1].speaker.as_deref()), (70.0, Some("Bob")));
        assert_eq!(cues[2].start_secs, 70.0);
        // No paragraphs: the body's text blocks, at 0.
        let cues = parse(TranscriptFormat::Html, b"<div>Just words</div>").expect("html");
        assert_eq!(cues[0].text, "Just words");
        is_corrupt(parse(TranscriptFormat::Html, b"<html><body></body></html>"), "no text");
    }

    #[test]
    fn plain_text_paragraphs() {
        let cues = parse(TranscriptFormat::Text, b"One para\ngoes on.\n\nTwo.\n").expect("text");
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].text, "One para goes on.");
    }

    #[test]
    fn formats_from_mime_and_url() {
        assert_eq!(
            TranscriptFormat::from_mime("application/json"),
            Some(TranscriptFormat::Json)
        );
        assert_eq!(
            TranscriptFormat::from_mime("text/vtt; charset=utf-8"),
            Some(TranscriptFormat::Vtt)
        );
        assert_eq!(
            TranscriptFormat::from_mime("application/x-subrip"),
            Some(TranscriptFormat::Srt)
        );
        assert_eq!(
            TranscriptFormat::from_mime("application/srt"),
            Some(TranscriptFormat::Srt)
        );
        assert_eq!(TranscriptFormat::from_mime("text/html"), Some(TranscriptFormat::Html));
        assert_eq!(TranscriptFormat::from_mime("audio/mpeg"), None);
        assert_eq!(
            TranscriptFormat::from_url("https://a/x.SRT?x=1"),
            Some(TranscriptFormat::Srt)
        );
        assert_eq!(TranscriptFormat::from_url("https://a/x"), None);
        assert!(TranscriptFormat::Json < TranscriptFormat::Vtt && TranscriptFormat::Srt < TranscriptFormat::Html);
    }
}
