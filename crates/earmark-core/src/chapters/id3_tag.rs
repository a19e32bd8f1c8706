//! Chapters from an MP3 file's ID3v2 tag: `CHAP` frames, ordered by `CTOC` when there is one. The
//! tag comes from a downloaded episode or the first bytes of a stream, so it is hostile until
//! checked: every frame is re-encoded plainly here before the `id3` crate sees it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::{clean_title, clean_url, fill_missing_ends, sane_secs, Chapter, ChapterError, MAX_CHAPTERS};

/// The most of a file's ID3 tag [`from_id3`] reads; a bigger tag is read as far as this (its
/// chapters usually come first) rather than loaded whole.
const MAX_TAG_BYTES: u64 = 64 * 1024 * 1024;
/// `APIC` sub-frames bigger than this are embedded images, which are not used, so they are not
/// decoded; an `APIC` that carries a link is far smaller.
const MAX_LINK_PICTURE_BYTES: usize = 4096;
/// At most this many `CTOC` frames are looked at.
const MAX_TOCS: usize = 256;

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
    use earmark_test_support::media::ffmpeg;
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
        assert_eq!(
            crate::chapters::spans(&got),
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
        let made = ffmpeg()
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-b:a", "64k"])
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
}
