//! Podcast chapters, from the two places they come from: ID3v2 `CHAP`/`CTOC` frames inside an MP3
//! file, and Podcasting 2.0 `podcast:chapters` JSON documents. Both are read from untrusted
//! sources (a downloaded episode, a feed's URL), so every reader here is total: no panics, bounded
//! memory and time, and times, titles and links checked before the UI sees them. The navigation
//! helpers ([`current`], [`next_start`], [`previous_start`]) are kept here so the player and every
//! shell agree on what "next chapter" means.
//!
//! Choices worth knowing:
//! * Only `http://` and `https://` links survive, because the UI opens chapter links in a browser
//!   and fetches chapter images; `file:`, `javascript:` or relative links from a feed must not.
//! * JSON chapters with `"toc": false` are dropped. The spec says they are not shown in the table
//!   of contents nor used as jump points; they only change artwork or a link mid-chapter, which a
//!   [`Chapter`] has no way to mark, and keeping them would make "next chapter" stop where the
//!   publisher said it should not. They also do not end the visible chapter before them.
//! * A chapter without a title keeps an empty title; the UI numbers it.
//! * ID3 chapter images embedded as picture data are not returned (only `APIC` frames whose MIME
//!   type is `-->`, i.e. that carry a link, give an [`Chapter::image_url`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// At most this many chapters are returned; more is a broken or hostile file, and the UI's chapter
/// list must stay usable.
pub const MAX_CHAPTERS: usize = 10_000;

/// Chapter times beyond a week are nonsense (a `u32` of milliseconds reaches 49 days) and dropped.
pub const MAX_CHAPTER_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// How far into a chapter "previous" goes back to that chapter's start rather than to the chapter
/// before, like a CD player.
pub const PREVIOUS_RESTARTS_AFTER_SECS: f64 = 3.0;

/// A chapter that starts within this much after the position counts as already reached, so that a
/// seek landing a few milliseconds short of a chapter start does not make "next" return the same
/// chapter again.
const NAV_TOLERANCE_SECS: f64 = 0.05;

/// The most of a file's ID3 tag [`from_id3`] reads; a bigger tag is read as far as this (its
/// chapters usually come first) rather than loaded whole.
const MAX_TAG_BYTES: u64 = 64 * 1024 * 1024;
/// Chapters JSON files are kilobytes; anything past this is refused before parsing.
const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Longer titles are cut (at a character boundary) so one hostile title cannot swamp the UI.
const MAX_TITLE_CHARS: usize = 500;
/// Longer links are dropped.
const MAX_URL_BYTES: usize = 4096;
/// `APIC` sub-frames bigger than this are embedded images, which are not used, so they are not
/// decoded; an `APIC` that carries a link is far smaller.
const MAX_LINK_PICTURE_BYTES: usize = 4096;
/// At most this many `CTOC` frames are looked at.
const MAX_TOCS: usize = 256;

/// One chapter.
///
/// Times are seconds from the start of the episode, so ID3 (milliseconds) and JSON (seconds) look
/// the same to the player.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    /// Where the chapter starts; finite, `0..=MAX_CHAPTER_SECS`.
    pub start_secs: f64,
    /// Where it ends: as given when sane, else the next chapter's start, else `None` (the last
    /// chapter runs to the end of the episode).
    pub end_secs: Option<f64>,
    /// Trimmed, control characters replaced, at most 500 characters; may be empty.
    pub title: String,
    /// A web page about the chapter (`http`/`https` only).
    pub url: Option<String>,
    /// An image for the chapter (`http`/`https` only).
    pub image_url: Option<String>,
}

/// Why chapters could not be read, as a type the shells can match and explain.
#[derive(Debug, thiserror::Error)]
pub enum ChapterError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file has an ID3v2 tag, but it is damaged or of an unknown version.
    #[error("the ID3 tag is damaged: {0}")]
    Id3(String),
    /// The chapters document is not JSON at all.
    #[error("the chapters file is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The chapters document is JSON, but not a `podcast:chapters` document.
    #[error("the chapters file is not a podcast:chapters document: {0}")]
    NotChapters(String),
    /// The chapters document is far bigger than any real one.
    #[error("the chapters file is too large ({0} bytes)")]
    TooLarge(usize),
}

/// Reads ID3v2 CHAP frames (ordered by CTOC when present, else by start time) from an MP3 file's tag.
///
/// Only the tag at the start of the file is read (at most 64 MiB of it), never the audio. A file
/// with no ID3v2 tag there (an untagged MP3, an M4A) has no chapters: `Ok(vec![])`. A damaged tag
/// is an error; a tag damaged after some chapters keeps those chapters.
pub fn from_id3(path: &Path) -> Result<Vec<Chapter>, ChapterError> {
    let io_err = |source| ChapterError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let mut header = Vec::with_capacity(10);
    (&mut file).take(10).read_to_end(&mut header).map_err(io_err)?;
    if header.len() < 10 || &header[..3] != b"ID3" {
        return Ok(Vec::new());
    }
    // A size that is not synchsafe is reported by `from_id3_bytes`; only the length matters here.
    let declared = u64::from(synchsafe(&header[6..10]).unwrap_or(0));
    let mut bytes = header;
    file.take(declared.min(MAX_TAG_BYTES))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    from_id3_bytes(&bytes)
}

/// Same from bytes already in memory (the first part of a file is enough).
///
/// This is for episodes being streamed or downloaded: chapters can be shown as soon as the tag has
/// arrived. A tag cut short by the end of `bytes` gives the chapters that fit.
pub fn from_id3_bytes(bytes: &[u8]) -> Result<Vec<Chapter>, ChapterError> {
    let Some(tag) = sanitize_tag(bytes)? else {
        return Ok(Vec::new());
    };

    let mut chaps: Vec<id3::frame::Chapter> = Vec::new();
    let mut seen_chaps: HashSet<String> = HashSet::new();
    let mut tocs: Vec<id3::frame::TableOfContents> = Vec::new();
    let mut failures = tag.damaged;
    let mut last_failure = String::from("a chapter frame is cut short");
    for frame in tag.frames.iter() {
        match decode_frame(tag.version, frame) {
            Ok(id3::Content::Chapter(chap)) => {
                // Element IDs are unique in a valid tag; the first of a repeated one wins.
                if seen_chaps.insert(chap.element_id.clone()) {
                    chaps.push(chap);
                }
            }
            Ok(id3::Content::TableOfContents(toc)) => tocs.push(toc),
            Ok(_) => {}
            Err(e) => {
                failures += 1;
                last_failure = e;
            }
        }
    }
    if failures > 0 {
        if chaps.is_empty() {
            return Err(ChapterError::Id3(last_failure));
        }
        tracing::warn!(failures, last_failure, "skipped damaged ID3 chapter frames");
    }

    let ordered = order_by_toc(chaps, &tocs);
    let mut chapters: Vec<Chapter> = ordered.iter().filter_map(chapter_from_id3).collect();
    chapters.truncate(MAX_CHAPTERS);
    fill_missing_ends(&mut chapters);
    Ok(chapters)
}

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

/// The chapter playing at `secs` (index), for "current chapter" display and next/previous.
///
/// It is the chapter with the latest start among those that have started and not ended (starts are
/// inclusive, ends exclusive, so on a boundary the later chapter is current). `None` before the
/// first chapter, in a gap between chapters, after the last one's end, or for a NaN position. The
/// slice need not be sorted.
pub fn current(chapters: &[Chapter], secs: f64) -> Option<usize> {
    if secs.is_nan() {
        return None;
    }
    let mut best: Option<usize> = None;
    for (i, c) in chapters.iter().enumerate() {
        let playing = c.start_secs <= secs && c.end_secs.is_none_or(|end| secs < end);
        if playing && best.is_none_or(|b| c.start_secs > chapters[b].start_secs) {
            best = Some(i);
        }
    }
    best
}

/// Where "next chapter" jumps from `secs`, so every shell's next button behaves the same.
///
/// It is the first chapter start after `secs` (a start less than 50 ms ahead counts as reached, so
/// a seek that lands just short does not repeat). `None` when no chapter starts later: the shell
/// may then go to the next episode. The slice need not be sorted.
pub fn next_start(chapters: &[Chapter], secs: f64) -> Option<f64> {
    if secs.is_nan() {
        return None;
    }
    chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start > secs + NAV_TOLERANCE_SECS)
        .min_by(f64::total_cmp)
}

/// Where "previous chapter" jumps from `secs`, like a CD player: the start of the current chapter
/// if more than 3 s into it, else the start of the one before.
///
/// "Current" here is the latest chapter started (even if it has ended, so from a gap "previous"
/// goes back into the chapter before it); in the first chapter, "the one before" is its own start. `None` before the first chapter or for a NaN position: the shell may seek to
/// the beginning of the episode. The slice need not be sorted.
pub fn previous_start(chapters: &[Chapter], secs: f64) -> Option<f64> {
    if secs.is_nan() {
        return None;
    }
    let here = chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start <= secs + NAV_TOLERANCE_SECS)
        .max_by(f64::total_cmp)?;
    if secs - here > PREVIOUS_RESTARTS_AFTER_SECS {
        return Some(here);
    }
    let before = chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start < here)
        .max_by(f64::total_cmp);
    Some(before.unwrap_or(here))
}

// ---------------------------------------------------------------------------------------------
// JSON

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

// ---------------------------------------------------------------------------------------------
// Cleaning, shared

/// A time is usable when finite, not negative and not absurdly large.
fn sane_secs(secs: f64) -> Option<f64> {
    (secs.is_finite() && (0.0..=MAX_CHAPTER_SECS).contains(&secs)).then_some(secs)
}

/// Trims, turns control characters (line breaks, NULs separating ID3 values) into single spaces,
/// and caps the length.
fn clean_title(raw: &str) -> String {
    let spaced: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = title.char_indices().nth(MAX_TITLE_CHARS) {
        title.truncate(cut);
        title.truncate(title.trim_end().len());
    }
    title
}

/// Keeps a link only if it is a plausible absolute `http`/`https` URL.
fn clean_url(raw: &str) -> Option<String> {
    let url = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if url.is_empty() || url.len() > MAX_URL_BYTES || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let web = (lower.starts_with("http://") && url.len() > 7) || (lower.starts_with("https://") && url.len() > 8);
    web.then(|| url.to_owned())
}

/// Gives every chapter without an end the next later start among all chapters (any order).
fn fill_missing_ends(chapters: &mut [Chapter]) {
    let mut starts: Vec<f64> = chapters.iter().map(|c| c.start_secs).collect();
    starts.sort_by(f64::total_cmp);
    for c in chapters.iter_mut().filter(|c| c.end_secs.is_none()) {
        let later = starts.partition_point(|s| *s <= c.start_secs);
        c.end_secs = starts.get(later).copied();
    }
}

// ---------------------------------------------------------------------------------------------
// ID3

/// The chapter frames of a tag, re-encoded plainly: no unsynchronisation, no compression, no
/// extended header, and only the sub-frames chapters use.
///
/// This pass exists because the `id3` crate trusts sizes and nesting in ways a hostile file can
/// abuse: an ID3v2.3 frame size allocates up to 4 GiB before reading, `CHAP` frames nested in
/// `CHAP` frames recurse without limit (a stack overflow aborts the process), and compressed
/// frames inflate up to 256 MiB each. Handing the crate only frames checked here removes all of
/// that, and also skips cover art and every other frame a damaged copy of could fail the tag.
struct SanitizedTag {
    /// 3 or 4.
    version: u8,
    /// Whole frames (header and content), each `CHAP` or `CTOC`.
    frames: Vec<Vec<u8>>,
    /// `CHAP`/`CTOC` frames too malformed to re-encode (e.g. cut before their times).
    damaged: usize,
}

/// `Ok(None)` when `bytes` does not start with an ID3v2 tag that can hold chapters.
fn sanitize_tag(bytes: &[u8]) -> Result<Option<SanitizedTag>, ChapterError> {
    if bytes.len() < 10 || &bytes[..3] != b"ID3" {
        return Ok(None);
    }
    let version = bytes[3];
    match version {
        // ID3v2.2 has three-letter frame IDs, so no CHAP/CTOC frames.
        2 => return Ok(None),
        3 | 4 => {}
        v => return Err(ChapterError::Id3(format!("unsupported ID3 version 2.{v}"))),
    }
    let flags = bytes[5];
    let size = synchsafe(&bytes[6..10]).ok_or_else(|| ChapterError::Id3("the tag size is invalid".into()))?;
    let declared_end = 10usize.saturating_add(size as usize);
    let truncated = declared_end > bytes.len();
    let raw_body = &bytes[10..declared_end.min(bytes.len())];

    let mut body: Cow<[u8]> = Cow::Borrowed(raw_body);
    // ID3v2.3 unsynchronises the whole tag; ID3v2.4 does it per frame (handled per frame).
    if version == 3 && flags & 0x80 != 0 {
        body = Cow::Owned(de_unsynchronise(raw_body));
    }
    let mut pos = 0usize;
    if flags & 0x40 != 0 {
        // Extended header: ID3v2.3 gives its size without the 4 size bytes, ID3v2.4 with them.
        let Some(size_bytes) = body.get(..4) else {
            return Err(ChapterError::Id3("the extended header is cut short".into()));
        };
        pos = if version == 3 {
            be_u32(size_bytes) as usize + 4
        } else {
            synchsafe(size_bytes).ok_or_else(|| ChapterError::Id3("the extended header size is invalid".into()))?
                as usize
        };
        if pos > body.len() {
            if truncated {
                return Ok(Some(SanitizedTag {
                    version,
                    frames: Vec::new(),
                    damaged: 0,
                }));
            }
            return Err(ChapterError::Id3("the extended header is larger than the tag".into()));
        }
    }

    let mut frames = Vec::new();
    let mut chaps = 0usize;
    let mut tocs = 0usize;
    let mut damaged = 0usize;
    for (walked, item) in FrameWalker::new(&body[pos..], version).enumerate() {
        let raw = match item {
            Walk::Frame(raw) => raw,
            Walk::End => break,
            Walk::Overrun => {
                if !truncated {
                    tracing::warn!("an ID3 frame runs past the end of its tag; reading stops there");
                }
                break;
            }
            Walk::Garbage => {
                if walked == 0 {
                    return Err(ChapterError::Id3("the tag holds no valid frames".into()));
                }
                tracing::warn!("garbage inside an ID3 tag; reading stops there");
                break;
            }
        };
        let Some(content) = plain_content(version, raw.flags, raw.content) else {
            continue;
        };
        let rebuilt = match &raw.id {
            b"CHAP" if chaps < MAX_CHAPTERS => {
                chaps += 1;
                Some(rebuild_chap(version, &content))
            }
            b"CTOC" if tocs < MAX_TOCS => {
                tocs += 1;
                Some(rebuild_ctoc(version, &content))
            }
            _ => None,
        };
        match rebuilt {
            Some(Some(frame)) => frames.push(frame),
            Some(None) => damaged += 1,
            None => {}
        }
    }
    Ok(Some(SanitizedTag {
        version,
        frames,
        damaged,
    }))
}

/// One frame found by [`FrameWalker`].
struct RawFrame<'a> {
    id: [u8; 4],
    flags: u16,
    content: &'a [u8],
}

/// What [`FrameWalker`] finds next.
enum Walk<'a> {
    Frame(RawFrame<'a>),
    /// Padding or the end of the data.
    End,
    /// A frame whose size runs past the data.
    Overrun,
    /// Bytes that are not a frame header.
    Garbage,
}

/// Walks ID3v2.3/2.4 frame headers over a byte slice, never trusting a size past the slice.
struct FrameWalker<'a> {
    data: &'a [u8],
    version: u8,
    done: bool,
}

impl<'a> FrameWalker<'a> {
    fn new(data: &'a [u8], version: u8) -> Self {
        Self {
            data,
            version,
            done: false,
        }
    }
}

impl<'a> Iterator for FrameWalker<'a> {
    type Item = Walk<'a>;

    fn next(&mut self) -> Option<Walk<'a>> {
        if self.done {
            return None;
        }
        let step = self.step();
        self.done = !matches!(step, Walk::Frame(_));
        Some(step)
    }
}

impl<'a> FrameWalker<'a> {
    fn step(&mut self) -> Walk<'a> {
        let data = self.data;
        if data.len() < 10 || data[0] == 0 {
            return Walk::End;
        }
        let mut id = [0u8; 4];
        id.copy_from_slice(&data[..4]);
        if !id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return Walk::Garbage;
        }
        let size = if self.version == 4 {
            // Some old writers put plain sizes in ID3v2.4 tags; a set high bit gives them away.
            synchsafe(&data[4..8]).unwrap_or_else(|| be_u32(&data[4..8]))
        } else {
            be_u32(&data[4..8])
        } as usize;
        let flags = u16::from_be_bytes([data[8], data[9]]);
        let rest = &data[10..];
        if size > rest.len() {
            return Walk::Overrun;
        }
        self.data = &rest[size..];
        Walk::Frame(RawFrame {
            id,
            flags,
            content: &rest[..size],
        })
    }
}

/// A frame's content as plain bytes: `None` if compressed, encrypted or grouped (never used for
/// chapters, and compression is how a tiny file inflates to gigabytes).
fn plain_content(version: u8, flags: u16, content: &[u8]) -> Option<Cow<'_, [u8]>> {
    if version == 3 {
        // Compression 0x0080, encryption 0x0040, grouping 0x0020.
        return (flags & 0x00E0 == 0).then_some(Cow::Borrowed(content));
    }
    // ID3v2.4: grouping 0x0040, compression 0x0008, encryption 0x0004.
    if flags & 0x004C != 0 {
        return None;
    }
    let mut content = content;
    if flags & 0x0001 != 0 {
        // Data length indicator.
        content = content.get(4..)?;
    }
    if flags & 0x0002 != 0 {
        Some(Cow::Owned(de_unsynchronise(content)))
    } else {
        Some(Cow::Borrowed(content))
    }
}

/// Re-encodes a `CHAP` frame keeping only title, link and link-picture sub-frames.
fn rebuild_chap(version: u8, content: &[u8]) -> Option<Vec<u8>> {
    let id_end = content.iter().position(|b| *b == 0)? + 1;
    let fixed_end = id_end.checked_add(16)?;
    let head = content.get(..fixed_end)?;
    let subs = content.get(fixed_end..)?;
    let mut out = head.to_vec();
    append_sub_frames(&mut out, version, subs, |id, len| {
        matches!(id, b"TIT2" | b"TIT3") || id[0] == b'W' || (id == b"APIC" && len <= MAX_LINK_PICTURE_BYTES)
    });
    encode_frame(version, b"CHAP", &out)
}

/// Re-encodes a `CTOC` frame keeping only title sub-frames.
fn rebuild_ctoc(version: u8, content: &[u8]) -> Option<Vec<u8>> {
    let mut pos = content.iter().position(|b| *b == 0)? + 1;
    let count = *content.get(pos + 1)?;
    pos += 2;
    for _ in 0..count {
        pos += content.get(pos..)?.iter().position(|b| *b == 0)? + 1;
    }
    let mut out = content.get(..pos)?.to_vec();
    append_sub_frames(&mut out, version, content.get(pos..)?, |id, _| {
        matches!(id, b"TIT2" | b"TIT3")
    });
    encode_frame(version, b"CTOC", &out)
}

/// Appends the wanted sub-frames of `subs`, re-encoded plainly; stops at anything malformed.
fn append_sub_frames(out: &mut Vec<u8>, version: u8, subs: &[u8], keep: impl Fn(&[u8; 4], usize) -> bool) {
    for item in FrameWalker::new(subs, version) {
        let Walk::Frame(raw) = item else { break };
        if !keep(&raw.id, raw.content.len()) {
            continue;
        }
        if let Some(frame) =
            plain_content(version, raw.flags, raw.content).and_then(|content| encode_frame(version, &raw.id, &content))
        {
            out.extend_from_slice(&frame);
        }
    }
}

/// A frame header with no flags, then `content`; `None` if too big for a (synchsafe) size.
fn encode_frame(version: u8, id: &[u8; 4], content: &[u8]) -> Option<Vec<u8>> {
    let len = u32::try_from(content.len()).ok().filter(|len| *len < 1 << 28)?;
    let size = if version == 4 {
        to_synchsafe(len)
    } else {
        len.to_be_bytes()
    };
    let mut frame = Vec::with_capacity(10 + content.len());
    frame.extend_from_slice(id);
    frame.extend_from_slice(&size);
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(content);
    Some(frame)
}

/// Decodes one sanitized frame with the `id3` crate, by wrapping it in a tag of its own (one frame
/// per tag keeps the crate's duplicate check linear and isolates a damaged frame).
fn decode_frame(version: u8, frame: &[u8]) -> Result<id3::Content, String> {
    let len = u32::try_from(frame.len())
        .ok()
        .filter(|len| *len < 1 << 28)
        .ok_or("a chapter frame is too large")?;
    let mut tag = Vec::with_capacity(10 + frame.len());
    tag.extend_from_slice(&[b'I', b'D', b'3', version, 0, 0]);
    tag.extend_from_slice(&to_synchsafe(len));
    tag.extend_from_slice(frame);
    // The crate is not expected to panic on these checked frames; if it does anyway, the frame
    // is reported as damaged rather than taking the player down.
    let read = catch_unwind(AssertUnwindSafe(|| id3::Tag::read_from2(Cursor::new(&tag))));
    match read {
        Ok(Ok(tag)) => tag
            .frames()
            .next()
            .map(|f| f.content().clone())
            .ok_or_else(|| "an empty chapter frame".to_owned()),
        Ok(Err(e)) => Err(e.description),
        Err(_) => Err("the ID3 reader failed on a chapter frame".to_owned()),
    }
}

/// Puts chapters in table-of-contents order: the top-level `CTOC` (else the first) when it says
/// its entries are ordered, following nested tables; chapters it does not list follow, by start.
/// Without an ordered table, all are sorted by start.
fn order_by_toc(chaps: Vec<id3::frame::Chapter>, tocs: &[id3::frame::TableOfContents]) -> Vec<id3::frame::Chapter> {
    let mut by_start = chaps;
    by_start.sort_by_key(|c| c.start_time);
    let Some(root) = tocs.iter().find(|t| t.top_level).or_else(|| tocs.first()) else {
        return by_start;
    };
    if !root.ordered {
        return by_start;
    }

    let mut toc_by_id: HashMap<&str, &id3::frame::TableOfContents> = HashMap::new();
    for t in tocs {
        toc_by_id.entry(t.element_id.as_str()).or_insert(t);
    }
    let mut listed: Vec<&str> = Vec::new();
    let mut visited: HashSet<&str> = HashSet::new();
    // Depth-first over the table, with an explicit stack so a cyclic or deep table cannot
    // overflow anything; each table is visited once.
    visited.insert(root.element_id.as_str());
    let mut pending: Vec<std::slice::Iter<'_, String>> = vec![root.elements.iter()];
    while let Some(iter) = pending.last_mut() {
        let Some(element) = iter.next() else {
            pending.pop();
            continue;
        };
        match toc_by_id.get(element.as_str()) {
            Some(child) => {
                if visited.insert(child.element_id.as_str()) {
                    pending.push(child.elements.iter());
                }
            }
            None => listed.push(element.as_str()),
        }
    }

    let index: HashMap<String, usize> = by_start
        .iter()
        .enumerate()
        .map(|(i, c)| (c.element_id.clone(), i))
        .collect();
    let mut slots: Vec<Option<id3::frame::Chapter>> = by_start.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for id in listed {
        if let Some(chap) = index.get(id).and_then(|i| slots.get_mut(*i)).and_then(Option::take) {
            ordered.push(chap);
        }
    }
    ordered.extend(slots.into_iter().flatten());
    ordered
}

/// Turns a decoded `CHAP` into a [`Chapter`], or `None` if its start is absurd.
fn chapter_from_id3(chap: &id3::frame::Chapter) -> Option<Chapter> {
    let start_secs = sane_secs(f64::from(chap.start_time) / 1000.0)?;
    let end_secs = Some(chap.end_time)
        .filter(|end| *end != u32::MAX && *end > chap.start_time)
        .and_then(|end| sane_secs(f64::from(end) / 1000.0));
    let text = |id: &str| {
        chap.frames
            .iter()
            .find(|f| f.id() == id)
            .and_then(|f| f.content().text())
            .map(clean_title)
            .filter(|t| !t.is_empty())
    };
    let title = text("TIT2").or_else(|| text("TIT3")).unwrap_or_default();
    let url = chap
        .frames
        .iter()
        .filter_map(|f| match f.content() {
            id3::Content::ExtendedLink(link) => Some(link.link.as_str()),
            id3::Content::Link(link) => Some(link.as_str()),
            _ => None,
        })
        .find_map(clean_url);
    let image_url = chap
        .frames
        .iter()
        .filter_map(|f| match f.content() {
            id3::Content::Picture(p) if p.mime_type == "-->" => Some(String::from_utf8_lossy(&p.data)),
            _ => None,
        })
        .find_map(|link| clean_url(&link));
    Some(Chapter {
        start_secs,
        end_secs,
        title,
        url,
        image_url,
    })
}

/// Removes ID3 unsynchronisation (a `0x00` inserted after each `0xFF`).
fn de_unsynchronise(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut after_ff = false;
    for &b in data {
        if !(after_ff && b == 0) {
            out.push(b);
        }
        after_ff = b == 0xFF;
    }
    out
}

/// A 28-bit synchsafe integer, or `None` if a high bit is set.
fn synchsafe(b: &[u8]) -> Option<u32> {
    if b.len() != 4 || b.iter().any(|x| x & 0x80 != 0) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, x| (acc << 7) | u32::from(*x)))
}

/// Encodes a value below 2^28 as a synchsafe integer.
fn to_synchsafe(v: u32) -> [u8; 4] {
    [
        ((v >> 21) & 0x7F) as u8,
        ((v >> 14) & 0x7F) as u8,
        ((v >> 7) & 0x7F) as u8,
        (v & 0x7F) as u8,
    ]
}

/// A big-endian `u32` from the first four bytes (zero-padded if fewer).
fn be_u32(b: &[u8]) -> u32 {
    let mut four = [0u8; 4];
    for (dst, src) in four.iter_mut().zip(b) {
        *dst = *src;
    }
    u32::from_be_bytes(four)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use id3::frame::{Chapter as Id3Chapter, ExtendedLink, Picture, PictureType, TableOfContents};
    use id3::{Frame, Tag, TagLike, Version};

    fn id3_chap(id: &str, start_ms: u32, end_ms: u32, title: Option<&str>) -> Id3Chapter {
        let mut frames = Vec::new();
        if let Some(t) = title {
            frames.push(Frame::text("TIT2", t));
        }
        Id3Chapter {
            element_id: id.to_owned(),
            start_time: start_ms,
            end_time: end_ms,
            start_offset: u32::MAX,
            end_offset: u32::MAX,
            frames,
        }
    }

    fn toc(id: &str, top_level: bool, ordered: bool, elements: &[&str]) -> TableOfContents {
        TableOfContents {
            element_id: id.to_owned(),
            top_level,
            ordered,
            elements: elements.iter().map(|e| (*e).to_owned()).collect(),
            frames: vec![Frame::text("TIT2", "Contents")],
        }
    }

    fn tag_bytes(tag: &Tag, version: Version) -> Vec<u8> {
        let mut buf = Vec::new();
        tag.write_to(&mut buf, version).unwrap();
        buf
    }

    /// A tag like a podcast tool writes: CTOC listing three chapters out of time order, a link,
    /// a linked picture, an embedded picture and cover art beside them.
    fn sample_tag() -> Tag {
        let mut tag = Tag::new();
        tag.set_title("Episode 1");
        tag.add_frame(Picture {
            mime_type: "image/jpeg".into(),
            picture_type: PictureType::CoverFront,
            description: String::new(),
            data: vec![0xAB; 20_000],
        });
        let mut intro = id3_chap("ch0", 0, 60_000, Some("  Intro \n"));
        intro.frames.push(Frame::with_content(
            "WXXX",
            id3::Content::ExtendedLink(ExtendedLink {
                description: String::new(),
                link: "https://example.com/intro".into(),
            }),
        ));
        intro.frames.push(Frame::with_content(
            "APIC",
            id3::Content::Picture(Picture {
                mime_type: "-->".into(),
                picture_type: PictureType::Other,
                description: String::new(),
                data: b"https://example.com/intro.jpg".to_vec(),
            }),
        ));
        let mut main = id3_chap("ch1", 60_000, 120_500, Some("Main topic"));
        main.frames.push(Frame::with_content(
            "APIC",
            id3::Content::Picture(Picture {
                mime_type: "image/png".into(),
                picture_type: PictureType::Other,
                description: String::new(),
                data: vec![0x89; 10_000],
            }),
        ));
        // Added out of order, and the CTOC lists ch2 before ch1 on purpose.
        tag.add_frame(id3_chap("ch2", 120_500, 180_000, Some("Outro")));
        tag.add_frame(main);
        tag.add_frame(intro);
        tag.add_frame(toc("toc", true, true, &["ch0", "ch2", "ch1"]));
        tag
    }

    #[test]
    fn id3_v24_round_trip_follows_ctoc_order() {
        let got = from_id3_bytes(&tag_bytes(&sample_tag(), Version::Id3v24)).unwrap();
        let titles: Vec<&str> = got.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Intro", "Outro", "Main topic"]);
        assert_eq!(
            got[0],
            Chapter {
                start_secs: 0.0,
                end_secs: Some(60.0),
                title: "Intro".into(),
                url: Some("https://example.com/intro".into()),
                image_url: Some("https://example.com/intro.jpg".into()),
            }
        );
        assert_eq!(got[2].start_secs, 60.0);
        assert_eq!(got[2].end_secs, Some(120.5));
        assert_eq!(got[2].image_url, None, "embedded pictures are not links");
    }

    #[test]
    fn id3_v23_without_ctoc_sorts_by_start_and_fills_missing_ends() {
        let mut tag = Tag::new();
        tag.add_frame(id3_chap("b", 30_000, u32::MAX, Some("Second")));
        tag.add_frame(id3_chap("a", 0, 0, Some("First")));
        tag.add_frame(id3_chap("c", 90_000, u32::MAX, None));
        let got = from_id3_bytes(&tag_bytes(&tag, Version::Id3v23)).unwrap();
        let summary: Vec<(f64, Option<f64>, &str)> = got
            .iter()
            .map(|c| (c.start_secs, c.end_secs, c.title.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (0.0, Some(30.0), "First"),
                (30.0, Some(90.0), "Second"),
                (90.0, None, "")
            ]
        );
    }

    #[test]
    fn id3_unordered_ctoc_falls_back_to_start_order() {
        let mut tag = Tag::new();
        tag.add_frame(id3_chap("x", 5_000, 9_000, Some("Later")));
        tag.add_frame(id3_chap("y", 1_000, 5_000, Some("Earlier")));
        tag.add_frame(toc("toc", true, false, &["x", "y"]));
        let got = from_id3_bytes(&tag_bytes(&tag, Version::Id3v24)).unwrap();
        assert_eq!(got[0].title, "Earlier");
        assert_eq!(got[1].title, "Later");
    }

    #[test]
    fn id3_nested_and_cyclic_tocs_and_unlisted_chapters() {
        let mut tag = Tag::new();
        tag.add_frame(id3_chap("c1", 0, 10_000, Some("One")));
        tag.add_frame(id3_chap("c2", 10_000, 20_000, Some("Two")));
        tag.add_frame(id3_chap("c3", 20_000, 30_000, Some("Three")));
        tag.add_frame(id3_chap("c4", 30_000, 40_000, Some("Unlisted")));
        tag.add_frame(toc("root", true, true, &["c3", "sub", "missing"]));
        tag.add_frame(toc("sub", false, true, &["c1", "root", "c2"]));
        let got = from_id3_bytes(&tag_bytes(&tag, Version::Id3v24)).unwrap();
        let titles: Vec<&str> = got.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Three", "One", "Two", "Unlisted"]);
    }

    #[test]
    fn id3_from_file_and_from_a_truncated_prefix() {
        let mut tag = Tag::new();
        for i in 0..20u32 {
            tag.add_frame(id3_chap(
                &format!("c{i}"),
                i * 10_000,
                (i + 1) * 10_000,
                Some(&format!("Part {i}")),
            ));
        }
        let mut bytes = tag_bytes(&tag, Version::Id3v24);
        let tag_len = bytes.len();
        // Something that looks like MPEG audio after the tag; only the tag is read.
        bytes.extend(std::iter::repeat_n([0xFF, 0xFB, 0x90, 0x64], 500).flatten());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("episode.mp3");
        std::fs::write(&path, &bytes).unwrap();
        let got = from_id3(&path).unwrap();
        assert_eq!(got.len(), 20);
        assert_eq!(got[19].title, "Part 19");

        // Half the tag: the chapters that arrived are there, none invented.
        let partial = from_id3_bytes(&bytes[..tag_len / 2]).unwrap();
        assert!(!partial.is_empty() && partial.len() < 20, "{}", partial.len());
        assert!(partial.iter().enumerate().all(|(i, c)| c.title == format!("Part {i}")));
    }

    #[test]
    fn id3_real_mp3_from_ffmpeg() {
        // Skipped quietly where ffmpeg is not installed; the in-memory tests cover the parsing.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.mp3");
        let made = std::process::Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=1",
                "-b:a",
                "64k",
            ])
            .arg(&path)
            .status();
        if !matches!(made, Ok(s) if s.success()) {
            return;
        }
        assert_eq!(from_id3(&path).unwrap().len(), 0, "ffmpeg's own tag has no chapters");
        sample_tag().write_to_path(&path, Version::Id3v24).unwrap();
        assert_eq!(from_id3(&path).unwrap().len(), 3);
    }

    #[test]
    fn id3_no_tag_is_empty_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let untagged = dir.path().join("untagged.mp3");
        std::fs::write(&untagged, [0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(from_id3(&untagged).unwrap(), vec![]);
        let empty = dir.path().join("empty.mp3");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(from_id3(&empty).unwrap(), vec![]);
        assert!(matches!(
            from_id3(&dir.path().join("missing.mp3")),
            Err(ChapterError::Io { .. })
        ));

        assert_eq!(from_id3_bytes(b"").unwrap(), vec![]);
        assert_eq!(from_id3_bytes(b"not an mp3 at all, just text").unwrap(), vec![]);
        // ID3v2.2 cannot hold chapters.
        assert_eq!(from_id3_bytes(b"ID3\x02\x00\x00\x00\x00\x00\x00").unwrap(), vec![]);

        let mut garbage = b"ID3\x04\x00\x00\x00\x00\x01\x00".to_vec();
        garbage.extend((0..128u8).map(|i| i.wrapping_mul(37) | 0x80));
        assert!(matches!(from_id3_bytes(&garbage), Err(ChapterError::Id3(_))));
        assert!(matches!(
            from_id3_bytes(b"ID3\x09\x00\x00\x00\x00\x00\x10"),
            Err(ChapterError::Id3(_))
        ));
        assert!(matches!(
            from_id3_bytes(b"ID3\x04\x00\x00\xFF\xFF\xFF\xFF"),
            Err(ChapterError::Id3(_))
        ));
        // A CHAP frame whose content is cut before its times.
        let mut short_chap = frame_v4(b"CHAP", b"c1\0\0\0");
        short_chap.splice(0..0, header_v4(short_chap.len()));
        assert!(matches!(from_id3_bytes(&short_chap), Err(ChapterError::Id3(_))));
    }

    fn header_v4(body_len: usize) -> Vec<u8> {
        let mut h = b"ID3\x04\x00\x00".to_vec();
        h.extend(to_synchsafe(u32::try_from(body_len).unwrap()));
        h
    }

    fn frame_v4(id: &[u8; 4], content: &[u8]) -> Vec<u8> {
        encode_frame(4, id, content).unwrap()
    }

    fn chap_content(id: &str, start_ms: u32, end_ms: u32, subs: &[u8]) -> Vec<u8> {
        let mut c = id.as_bytes().to_vec();
        c.push(0);
        c.extend(start_ms.to_be_bytes());
        c.extend(end_ms.to_be_bytes());
        c.extend([0xFF; 8]);
        c.extend_from_slice(subs);
        c
    }

    #[test]
    fn id3_hostile_sizes_nesting_and_compression_are_contained() {
        // ID3v2.3 sub-frame claiming 4 GiB: must not be allocated, the chapter survives untitled.
        let mut sub = b"TIT2\xFF\xFF\xFF\xFF\x00\x00".to_vec();
        sub.extend(b"\x03Title");
        let content = chap_content("c1", 1_000, 2_000, &sub);
        let mut frame = b"CHAP".to_vec();
        frame.extend(u32::try_from(content.len()).unwrap().to_be_bytes());
        frame.extend([0, 0]);
        frame.extend(&content);
        let mut tag = b"ID3\x03\x00\x00".to_vec();
        tag.extend(to_synchsafe(u32::try_from(frame.len()).unwrap()));
        tag.extend(&frame);
        let got = from_id3_bytes(&tag).unwrap();
        assert_eq!((got.len(), got[0].title.as_str(), got[0].start_secs), (1, "", 1.0));

        // CHAP nested in CHAP thousands deep: no recursion, the outer chapter is read.
        let mut inner = Vec::new();
        for depth in 0..5_000u32 {
            inner = frame_v4(b"CHAP", &chap_content(&format!("n{depth}"), depth, depth + 1, &inner));
        }
        let mut tag = header_v4(inner.len());
        tag.extend(&inner);
        let got = from_id3_bytes(&tag).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].start_secs, 4.999);

        // A compressed (zlib-flagged) title sub-frame is dropped, not inflated.
        let mut sub = b"TIT2\x00\x00\x00\x0A\x00\x09".to_vec();
        sub.extend(b"\x00\x00\x10\x00\x78\x9C\x03\x00\x00\x00");
        let chap = frame_v4(b"CHAP", &chap_content("z", 0, 1_000, &sub));
        let mut tag = header_v4(chap.len());
        tag.extend(&chap);
        let got = from_id3_bytes(&tag).unwrap();
        assert_eq!((got.len(), got[0].title.as_str()), (1, ""));
    }

    #[test]
    fn id3_absurd_times_are_dropped_and_count_is_capped() {
        let mut body = Vec::new();
        body.extend(frame_v4(b"CHAP", &chap_content("bad", u32::MAX - 1, u32::MAX, b"")));
        for i in 0..(MAX_CHAPTERS as u32 + 50) {
            body.extend(frame_v4(
                b"CHAP",
                &chap_content(&format!("c{i}"), i * 100, i * 100 + 100, b""),
            ));
        }
        let mut tag = header_v4(body.len());
        tag.extend(&body);
        let got = from_id3_bytes(&tag).unwrap();
        // The absurd one used a slot of the frame cap and was then dropped.
        assert_eq!(got.len(), MAX_CHAPTERS - 1);
        assert!(got.iter().all(|c| c.start_secs < 1_000.0 * 100.0));
    }

    #[test]
    fn id3_unsynchronised_v23_tag_and_extended_header() {
        let mut tag = Tag::new();
        // 0xFF bytes in the times force unsynchronisation to insert zero bytes.
        tag.add_frame(id3_chap("c", 0x00FF_00FF, 0x00FF_FFFF, Some("Ünsynced")));
        let plain = tag_bytes(&tag, Version::Id3v23);
        let body = &plain[10..];
        let mut unsync = Vec::new();
        for (i, b) in body.iter().enumerate() {
            unsync.push(*b);
            if *b == 0xFF && body.get(i + 1).is_none_or(|n| *n == 0 || *n & 0xE0 == 0xE0) {
                unsync.push(0);
            }
        }
        // Extended header (ID3v2.3: size without itself = 6, then 6 bytes).
        let mut with_ext = vec![0, 0, 0, 6, 0, 0, 0, 0, 0, 0];
        with_ext.extend(&unsync);
        let mut bytes = b"ID3\x03\x00\xC0".to_vec();
        bytes.extend(to_synchsafe(u32::try_from(with_ext.len()).unwrap()));
        bytes.extend(&with_ext);
        let got = from_id3_bytes(&bytes).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].title, "Ünsynced");
        assert_eq!(got[0].start_secs, f64::from(0x00FF_00FFu32) / 1000.0);
    }

    // ----- JSON

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
        let summary: Vec<(f64, Option<f64>, &str)> = got
            .iter()
            .map(|c| (c.start_secs, c.end_secs, c.title.as_str()))
            .collect();
        assert_eq!(
            summary,
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

    // ----- navigation

    fn chapters(spans: &[(f64, Option<f64>)]) -> Vec<Chapter> {
        spans
            .iter()
            .map(|(start, end)| Chapter {
                start_secs: *start,
                end_secs: *end,
                title: format!("at {start}"),
                url: None,
                image_url: None,
            })
            .collect()
    }

    #[test]
    fn navigation_on_an_empty_list() {
        assert_eq!(current(&[], 10.0), None);
        assert_eq!(next_start(&[], 10.0), None);
        assert_eq!(previous_start(&[], 10.0), None);
    }

    #[test]
    fn current_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(current(&ch, 0.0), None, "before the first chapter");
        assert_eq!(current(&ch, 5.0), Some(0), "exactly on the first start");
        assert_eq!(current(&ch, 19.999), Some(0));
        assert_eq!(current(&ch, 20.0), Some(1), "a boundary belongs to the later chapter");
        assert_eq!(current(&ch, 42.0), None, "in a gap");
        assert_eq!(current(&ch, 59.0), Some(2));
        assert_eq!(current(&ch, 60.0), None, "past the last chapter's end");
        assert_eq!(current(&ch, f64::NAN), None);
        assert_eq!(current(&ch, -1.0), None);

        let open_ended = chapters(&[(0.0, Some(10.0)), (10.0, None)]);
        assert_eq!(
            current(&open_ended, 1e6),
            Some(1),
            "the last chapter without an end never ends"
        );

        let unsorted = chapters(&[(20.0, Some(40.0)), (5.0, Some(20.0))]);
        assert_eq!(current(&unsorted, 10.0), Some(1));
        assert_eq!(current(&unsorted, 25.0), Some(0));
    }

    #[test]
    fn next_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(next_start(&ch, 0.0), Some(5.0), "before the first chapter");
        assert_eq!(next_start(&ch, 5.0), Some(20.0), "on a start goes to the following one");
        assert_eq!(
            next_start(&ch, 19.98),
            Some(45.0),
            "a start a few ms ahead counts as reached"
        );
        assert_eq!(next_start(&ch, 19.9), Some(20.0));
        assert_eq!(next_start(&ch, 42.0), Some(45.0), "from a gap");
        assert_eq!(next_start(&ch, 45.0), None, "in the last chapter");
        assert_eq!(next_start(&ch, 100.0), None, "past the end");
        assert_eq!(next_start(&ch, f64::NAN), None);
    }

    #[test]
    fn previous_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(previous_start(&ch, 0.0), None, "before the first chapter");
        assert_eq!(
            previous_start(&ch, 6.0),
            Some(5.0),
            "early in the first chapter restarts it"
        );
        assert_eq!(previous_start(&ch, 15.0), Some(5.0));
        assert_eq!(previous_start(&ch, 20.0), Some(5.0), "on a boundary: the one before");
        assert_eq!(
            previous_start(&ch, 19.98),
            Some(5.0),
            "just short of a start counts as on it"
        );
        assert_eq!(
            previous_start(&ch, 23.0),
            Some(5.0),
            "exactly 3 s in is not more than 3 s"
        );
        assert_eq!(
            previous_start(&ch, 23.5),
            Some(20.0),
            "more than 3 s in restarts the chapter"
        );
        assert_eq!(previous_start(&ch, 42.0), Some(20.0), "from a gap");
        assert_eq!(previous_start(&ch, 100.0), Some(45.0), "past the end");
        assert_eq!(previous_start(&ch, f64::NAN), None);
    }
}
