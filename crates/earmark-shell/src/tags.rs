//! A media file's own tags (ID3, MP4, Vorbis comments, RIFF INFO): title, artist, album, date and
//! cover art, and its length, so files imported as a local podcast are named as their makers
//! named them. Read with the player's own probe (the formats it plays); nothing is decoded.
//! They are read straight into the core's [`LocalTags`], what the local import takes.

use std::path::Path;

use symphonia::core::meta::{MetadataRevision, StandardTagKey, StandardVisualKey, Value};

use earmark_core::local_import::LocalTags;
use earmark_player::PlayError;

/// The largest cover kept: a cover bigger than this is more likely damage than art.
const MAX_COVER_BYTES: usize = 8 * 1024 * 1024;

/// The longest tag value kept.
const MAX_TAG_CHARS: usize = 500;

fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Binary(_) | Value::Flag => return None,
        other => other.to_string(),
    };
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TAG_CHARS)
        .collect::<String>()
        .trim()
        .to_owned();
    (!clean.is_empty()).then_some(clean)
}

/// Takes what a revision of metadata says into `tags`, keeping what an earlier one already gave.
fn absorb(tags: &mut LocalTags, rev: &MetadataRevision) {
    for tag in rev.tags() {
        let slot = match tag.std_key {
            Some(StandardTagKey::TrackTitle) => &mut tags.title,
            Some(StandardTagKey::Artist) => &mut tags.artist,
            Some(StandardTagKey::AlbumArtist) if tags.artist.is_none() => &mut tags.artist,
            Some(StandardTagKey::Album) => &mut tags.album,
            Some(StandardTagKey::Date | StandardTagKey::ReleaseDate | StandardTagKey::OriginalDate) => &mut tags.date,
            Some(StandardTagKey::Comment | StandardTagKey::Description) => &mut tags.comment,
            _ => continue,
        };
        if slot.is_none() {
            *slot = text(&tag.value);
        }
    }
    let front = rev
        .visuals()
        .iter()
        .find(|v| v.usage == Some(StandardVisualKey::FrontCover))
        .or_else(|| rev.visuals().first());
    if tags.cover.is_none() {
        if let Some(v) = front.filter(|v| !v.data.is_empty() && v.data.len() <= MAX_COVER_BYTES) {
            tags.cover = Some((v.media_type.clone(), v.data.to_vec()));
        }
    }
}

/// An ID3v2.3 `TDAT` frame's day and month (`DDMM`), as two-digit strings.
fn id3v23_day(rev: &MetadataRevision) -> Option<(String, String)> {
    let tdat = rev.tags().iter().find(|t| t.key.eq_ignore_ascii_case("TDAT"))?;
    let v = text(&tdat.value)?;
    (v.len() == 4 && v.chars().all(|c| c.is_ascii_digit())).then(|| (v[..2].to_owned(), v[2..].to_owned()))
}

/// Reads a file's tags and length. A file with no tags gives empty tags; one that is not media
/// at all is an error.
pub fn read(path: &Path) -> Result<LocalTags, PlayError> {
    let mut probed = earmark_player::probe_file(path)?;
    let mut tags = LocalTags::default();
    let mut day_month = None;
    if let Some(mut m) = probed.metadata.get() {
        if let Some(rev) = m.skip_to_latest() {
            absorb(&mut tags, rev);
            day_month = id3v23_day(rev);
        }
    }
    if let Some(rev) = probed.format.metadata().skip_to_latest() {
        absorb(&mut tags, rev);
    }
    // ID3v2.3 keeps the year (TYER) and the day (TDAT, DDMM) apart.
    if let (Some(year), Some((d, m))) = (tags.date.as_deref().filter(|y| y.len() == 4), day_month) {
        tags.date = Some(format!("{year}-{m}-{d}"));
    }
    let track = probed
        .format
        .tracks()
        .iter()
        .find(|t| t.codec_params.sample_rate.is_some())
        .ok_or(PlayError::NoAudioTrack)?;
    let p = &track.codec_params;
    tags.duration_secs = match (p.n_frames, p.sample_rate) {
        (Some(n), Some(rate)) if rate > 0 => Some(n as f64 / f64::from(rate)),
        _ => None,
    };
    Ok(tags)
}
