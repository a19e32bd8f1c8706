//! Cutting a segment out of an episode into its own audio file: WAV (16-bit PCM) or FLAC, at the
//! source's sample rate and channels, tagged with the episode, podcast and times it came from.
//!
//! The cut is sample-accurate: the decoder seeks near the start and drops samples up to the exact
//! first frame, so nothing is decoded from the beginning of the file. The file is written to a
//! temporary name beside the target, synced and renamed, so the target path holds either nothing
//! (or what it held before) or the whole clip.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flacenc::component::{BitRepr, MetadataBlockData};
use flacenc::error::SourceError;
use flacenc::error::Verify;
use flacenc::source::{Fill, Source};

use crate::decode::{frames_to_duration, MediaDecoder};
use crate::error::PlayError;

/// An end up to this far past the file's end is taken as "to the end": lengths in headers and on
/// screen are rounded, and a bookmark made at the last moment should still export.
const END_SLACK: Duration = Duration::from_millis(50);

/// Frames decoded per read while copying.
const CHUNK_FRAMES: usize = 4096;

/// What goes into the clip's tags besides the times, which come from the request.
#[derive(Clone, Debug, Default)]
pub struct ClipTags {
    /// The clip's own title (a bookmark's title); when absent one is made from the episode and times.
    pub title: Option<String>,
    /// The source episode's title.
    pub episode: Option<String>,
    /// The podcast's title.
    pub podcast: Option<String>,
    /// A note (a bookmark's note).
    pub comment: Option<String>,
}

/// The file formats a clip can be written in, chosen by the target's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClipFormat {
    /// `.wav`: 16-bit PCM with a LIST/INFO chunk.
    Wav,
    /// `.flac`: 16-bit FLAC with Vorbis comments.
    Flac,
}

impl ClipFormat {
    /// The format for a target path, from its extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self, ClipError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("wav") => Ok(ClipFormat::Wav),
            Some("flac") => Ok(ClipFormat::Flac),
            _ => Err(ClipError::UnknownFormat { path: path.to_owned() }),
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClipInfo {
    /// The format written.
    pub format: ClipFormat,
    /// The source's sample rate, kept.
    pub sample_rate: u32,
    /// The source's channel count, kept.
    pub channels: u16,
    /// Frames (samples per channel) in the clip.
    pub frames: u64,
    /// The clip's start in the source, on the sample.
    pub start: Duration,
    /// The clip's end in the source (earlier than asked when the end was within `END_SLACK` of
    /// the file's end).
    pub end: Duration,
    /// The size of the file written.
    pub bytes: u64,
}

/// Why a clip was not written. In every case nothing is left at the target path.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// The target's extension names no format we write.
    #[error("cannot tell the clip format from {path}: use a .wav or .flac file name")]
    UnknownFormat {
        /// The target asked for.
        path: PathBuf,
    },
    /// The segment is empty or reversed.
    #[error("the clip must end after it starts (start {}, end {})", fmt_precise(*start), fmt_precise(*end))]
    EndNotAfterStart {
        /// Start asked for.
        start: Duration,
        /// End asked for.
        end: Duration,
    },
    /// The start lies beyond the end of the file.
    #[error("the clip starts at {}, past the end of the episode ({})", fmt_precise(*start), fmt_precise(*length))]
    StartPastEnd {
        /// Start asked for.
        start: Duration,
        /// The episode's length.
        length: Duration,
    },
    /// The end lies beyond the end of the file.
    #[error("the clip ends at {}, past the end of the episode ({})", fmt_precise(*end), fmt_precise(*length))]
    EndPastEnd {
        /// End asked for.
        end: Duration,
        /// The episode's length.
        length: Duration,
    },
    /// The target is the source itself.
    #[error("the clip would overwrite its own source {0}")]
    SameAsSource(PathBuf),
    /// The source is missing, unreadable or not audio we decode.
    #[error(transparent)]
    Source(#[from] PlayError),
    /// The source is damaged inside the segment (the clip would have a gap or stop short).
    #[error("the episode is damaged inside the clip: {0}")]
    Damaged(String),
    /// The clip could not be written (folder missing or read-only, disk full).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The FLAC encoder refused the audio.
    #[error("FLAC encoding failed: {0}")]
    Encode(String),
}

/// Writes `[start, end)` of `source` to `out` (`.wav` or `.flac`), tagged with `tags` and the
/// times. This is what `earmark-cli clip` and the app's export call.
pub fn export_clip(
    source: &Path,
    start: Duration,
    end: Duration,
    out: &Path,
    tags: &ClipTags,
) -> Result<ClipInfo, ClipError> {
    let format = ClipFormat::from_path(out)?;
    if end <= start {
        return Err(ClipError::EndNotAfterStart { start, end });
    }
    if same_file(source, out) {
        return Err(ClipError::SameAsSource(out.to_owned()));
    }
    let mut decoder = MediaDecoder::open(source)?;
    let rate = decoder.sample_rate();
    let channels = decoder.channels();
    let first = duration_to_frames(start, rate);
    let mut last = duration_to_frames(end, rate);
    let slack = duration_to_frames(END_SLACK, rate);
    if let Some(total) = decoder.total_frames() {
        let length = frames_to_duration(total, rate);
        if first >= total {
            return Err(ClipError::StartPastEnd { start, length });
        }
        if last > total + slack {
            return Err(ClipError::EndPastEnd { end, length });
        }
        last = last.min(total);
    }
    if last <= first {
        return Err(ClipError::EndNotAfterStart { start, end });
    }
    let skipped_before = position_at(&mut decoder, first)?;
    let mut span = Span {
        decoder,
        channels,
        remaining: last - first,
        read: 0,
        buf: Vec::new(),
    };

    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let write_err = |source| ClipError::Write {
        path: out.to_owned(),
        source,
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(write_err)?;
    let meta = TagSet::new(tags, frames_to_duration(first, rate), frames_to_duration(last, rate));
    match format {
        ClipFormat::Wav => write_wav(tmp.as_file_mut(), &mut span, rate, &meta).map_err(write_err)?,
        ClipFormat::Flac => write_flac(tmp.as_file_mut(), &mut span, rate, &meta, out)?,
    }
    check_span(&span, first, last, rate, end, skipped_before)?;
    // Every frame asked for (or up to the file's end within the slack) is in; make it durable.
    tmp.as_file().sync_all().map_err(write_err)?;
    let bytes = tmp.as_file().metadata().map_err(write_err)?.len();
    tmp.persist(out).map_err(|e| write_err(e.error))?;
    if let Ok(d) = File::open(&dir) {
        // The rename itself survives a crash only once the folder is synced; best effort.
        let _ = d.sync_all();
    }
    let got = span.read;
    Ok(ClipInfo {
        format,
        sample_rate: rate,
        channels: channels as u16,
        frames: got,
        start: frames_to_duration(first, rate),
        end: frames_to_duration(first + got, rate),
        bytes,
    })
}

/// After copying: the clip is refused when the source was damaged inside it, or ended well
/// before the end asked for (files whose header gave no length are only found short here).
fn check_span(
    span: &Span,
    first: u64,
    last: u64,
    rate: u32,
    end: Duration,
    skipped_before: u64,
) -> Result<(), ClipError> {
    let skipped = span.decoder.skipped_packets() - skipped_before;
    if skipped > 0 {
        return Err(ClipError::Damaged(format!(
            "{skipped} undecodable packet(s) between {} and {}",
            fmt_precise(frames_to_duration(first, rate)),
            fmt_precise(frames_to_duration(last, rate))
        )));
    }
    let got_to = first + span.read;
    if got_to < last {
        if let Some(why) = span.decoder.damage() {
            return Err(ClipError::Damaged(why.to_owned()));
        }
        if last - got_to > duration_to_frames(END_SLACK, rate) {
            return Err(ClipError::EndPastEnd {
                end,
                length: frames_to_duration(got_to, rate),
            });
        }
    }
    if span.read == 0 {
        return Err(ClipError::StartPastEnd {
            start: frames_to_duration(first, rate),
            length: frames_to_duration(got_to, rate),
        });
    }
    Ok(())
}

/// Places the decoder exactly on frame `first`. Returns the packets skipped so far, so damage
/// before the clip is not held against it.
fn position_at(decoder: &mut MediaDecoder, first: u64) -> Result<u64, ClipError> {
    decoder.seek_to_frame(first)?;
    Ok(decoder.skipped_packets())
}

/// The frames of the clip, pulled from the decoder as 16-bit integers.
struct Span {
    decoder: MediaDecoder,
    channels: usize,
    /// Frames still wanted.
    remaining: u64,
    /// Frames handed out.
    read: u64,
    buf: Vec<f32>,
}

impl Span {
    /// Up to `frames` frames into `out` (cleared first) as 16-bit values; empty at the end.
    fn next(&mut self, frames: usize, out: &mut Vec<i32>) {
        out.clear();
        let frames = (frames as u64).min(self.remaining) as usize;
        if frames == 0 {
            return;
        }
        self.buf.resize(frames * self.channels, 0.0);
        let mut filled = 0;
        while filled < self.buf.len() {
            let n = self.decoder.read(&mut self.buf[filled..]);
            if n == 0 {
                break;
            }
            filled += n;
        }
        let whole = filled / self.channels * self.channels;
        out.extend(self.buf[..whole].iter().map(|&s| i32::from(to_i16(s))));
        let got = (whole / self.channels) as u64;
        self.read += got;
        self.remaining = if got < frames as u64 { 0 } else { self.remaining - got };
    }
}

/// A float sample as 16-bit PCM; the exact inverse of Symphonia's 16-bit to float conversion,
/// so 16-bit sources are copied bit for bit.
fn to_i16(s: f32) -> i16 {
    (s * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
}

/// Rounds a time to the nearest frame.
fn duration_to_frames(d: Duration, rate: u32) -> u64 {
    let n = d.as_nanos() * u128::from(rate) + 500_000_000;
    u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX)
}

/// True when both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `h:mm:ss.mmm`, the way times appear in the tags and the errors.
pub fn fmt_precise(d: Duration) -> String {
    let ms = d.as_millis();
    format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

// ---------------------------------------------------------------- tags

/// The tags both formats carry, as (Vorbis comment name, RIFF INFO id, value).
struct TagSet {
    fields: Vec<(&'static str, Option<&'static [u8; 4]>, String)>,
}

impl TagSet {
    fn new(tags: &ClipTags, start: Duration, end: Duration) -> Self {
        let times = format!("{} to {}", fmt_precise(start), fmt_precise(end));
        let title = match (&tags.title, &tags.episode) {
            (Some(t), _) => t.clone(),
            (None, Some(e)) => format!("{e} ({times})"),
            (None, None) => format!("Clip {times}"),
        };
        let mut source = String::from("Clip");
        if let Some(e) = &tags.episode {
            source.push_str(&format!(" of \"{e}\""));
        }
        if let Some(p) = &tags.podcast {
            source.push_str(&format!(" from {p}"));
        }
        source.push_str(&format!(", {times}"));
        let comment = match &tags.comment {
            Some(c) if !c.is_empty() => format!("{c}\n\n{source}"),
            _ => source,
        };
        let mut fields: Vec<(&'static str, Option<&'static [u8; 4]>, String)> = vec![("TITLE", Some(b"INAM"), title)];
        if let Some(p) = &tags.podcast {
            fields.push(("ALBUM", Some(b"IPRD"), p.clone()));
            fields.push(("ARTIST", Some(b"IART"), p.clone()));
        }
        fields.push(("COMMENT", Some(b"ICMT"), comment));
        if let Some(e) = &tags.episode {
            fields.push(("SOURCE_EPISODE", None, e.clone()));
        }
        if let Some(p) = &tags.podcast {
            fields.push(("SOURCE_PODCAST", None, p.clone()));
        }
        fields.push(("SOURCE_START", None, format!("{:.3}", start.as_secs_f64())));
        fields.push(("SOURCE_END", None, format!("{:.3}", end.as_secs_f64())));
        fields.push(("ENCODER", Some(b"ISFT"), "Earmark".to_owned()));
        TagSet { fields }
    }

    /// A FLAC VORBIS_COMMENT block body.
    fn vorbis_comment(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let vendor = b"Earmark (flacenc)";
        out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        out.extend_from_slice(vendor);
        out.extend_from_slice(&(self.fields.len() as u32).to_le_bytes());
        for (key, _, value) in &self.fields {
            let entry = format!("{key}={value}");
            out.extend_from_slice(&(entry.len() as u32).to_le_bytes());
            out.extend_from_slice(entry.as_bytes());
        }
        out
    }

    /// A RIFF `LIST` chunk of type `INFO` (the whole chunk, header included).
    fn riff_info(&self) -> Vec<u8> {
        let mut body = b"INFO".to_vec();
        for (_, id, value) in &self.fields {
            let Some(id) = id else { continue };
            // INFO strings are NUL-terminated; chunks are padded to an even length.
            let len = value.len() + 1;
            body.extend_from_slice(*id);
            body.extend_from_slice(&(len as u32).to_le_bytes());
            body.extend_from_slice(value.as_bytes());
            body.push(0);
            if len % 2 == 1 {
                body.push(0);
            }
        }
        let mut out = b"LIST".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }
}

// ---------------------------------------------------------------- WAV

/// Streams the span into a 16-bit PCM WAV: header with placeholder sizes, INFO, data, then the
/// sizes patched in once the frame count is known.
fn write_wav<W: Write + Seek>(file: &mut W, span: &mut Span, rate: u32, tags: &TagSet) -> std::io::Result<()> {
    let channels = span.channels as u16;
    let mut w = BufWriter::with_capacity(1 << 16, &mut *file);
    let info = tags.riff_info();
    w.write_all(b"RIFF")?;
    w.write_all(&0u32.to_le_bytes())?;
    w.write_all(b"WAVEfmt ")?;
    w.write_all(&16u32.to_le_bytes())?;
    w.write_all(&1u16.to_le_bytes())?; // PCM
    w.write_all(&channels.to_le_bytes())?;
    w.write_all(&rate.to_le_bytes())?;
    w.write_all(&(rate * u32::from(channels) * 2).to_le_bytes())?;
    w.write_all(&(channels * 2).to_le_bytes())?;
    w.write_all(&16u16.to_le_bytes())?;
    w.write_all(&info)?;
    let data_size_at = 12 + 8 + 16 + info.len() as u64 + 4;
    w.write_all(b"data")?;
    w.write_all(&0u32.to_le_bytes())?;
    let mut block = Vec::with_capacity(CHUNK_FRAMES * span.channels);
    let mut bytes = Vec::with_capacity(CHUNK_FRAMES * span.channels * 2);
    let mut data_len: u64 = 0;
    loop {
        span.next(CHUNK_FRAMES, &mut block);
        if block.is_empty() {
            break;
        }
        bytes.clear();
        for &s in &block {
            bytes.extend_from_slice(&(s as i16).to_le_bytes());
        }
        w.write_all(&bytes)?;
        data_len += bytes.len() as u64;
    }
    let too_long = |_| std::io::Error::other("the clip is too long for a WAV file (4 GB); export FLAC instead");
    let riff_len = u32::try_from(data_size_at + 4 + data_len - 8).map_err(too_long)?;
    let data_len = u32::try_from(data_len).map_err(too_long)?;
    w.flush()?;
    drop(w);
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&riff_len.to_le_bytes())?;
    file.seek(SeekFrom::Start(data_size_at))?;
    file.write_all(&data_len.to_le_bytes())?;
    Ok(())
}

// ---------------------------------------------------------------- FLAC

/// The span as a flacenc source.
struct FlacSource<'a> {
    span: &'a mut Span,
    rate: u32,
    block: Vec<i32>,
}

impl Source for FlacSource<'_> {
    fn channels(&self) -> usize {
        self.span.channels
    }

    fn bits_per_sample(&self) -> usize {
        16
    }

    fn sample_rate(&self) -> usize {
        self.rate as usize
    }

    fn read_samples<F: Fill>(&mut self, block_size: usize, dest: &mut F) -> Result<usize, SourceError> {
        self.span.next(block_size, &mut self.block);
        if self.block.is_empty() {
            return Ok(0);
        }
        dest.fill_interleaved(&self.block)?;
        Ok(self.block.len() / self.span.channels)
    }

    fn len_hint(&self) -> Option<usize> {
        usize::try_from(self.span.remaining).ok()
    }
}

/// Encodes the span as FLAC with a Vorbis comment block and writes it out.
fn write_flac<W: Write>(file: &mut W, span: &mut Span, rate: u32, tags: &TagSet, out: &Path) -> Result<(), ClipError> {
    let encode_err = |e: &dyn std::fmt::Display| ClipError::Encode(e.to_string());
    let mut config = flacenc::config::Encoder::default();
    // Fixed predictors only: measured (benches/waveform.rs) about twice as fast as flacenc's
    // default LPC search for files about 12% larger, which keeps a minute's clip well under the
    // 300 ms goal on two cores.
    config.subframe_coding.use_lpc = false;
    let config = config.into_verified().map_err(|(_, e)| encode_err(&e))?;
    let source = FlacSource {
        span,
        rate,
        block: Vec::new(),
    };
    let mut stream =
        flacenc::encode_with_fixed_block_size(&config, source, config.block_size).map_err(|e| encode_err(&e))?;
    // FLAC's STREAMINFO gives the block sizes of all blocks but the last; flacenc counts the
    // short last block too, which makes readers (Symphonia) take the stream for variable-size.
    stream
        .stream_info_mut()
        .set_block_sizes(config.block_size, config.block_size)
        .map_err(|e| encode_err(&e))?;
    stream.add_metadata_block(MetadataBlockData::new_unknown(4, &tags.vorbis_comment()).map_err(|e| encode_err(&e))?);
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| encode_err(&e))?;
    let mut w = BufWriter::new(file);
    w.write_all(sink.as_slice())
        .and_then(|()| w.flush())
        .map_err(|source| ClipError::Write {
            path: out.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(ClipFormat::from_path(Path::new("a/b.WAV")).ok(), Some(ClipFormat::Wav));
        assert_eq!(ClipFormat::from_path(Path::new("b.flac")).ok(), Some(ClipFormat::Flac));
        for bad in ["b.mp3", "b", "b.wav.txt"] {
            assert!(matches!(
                ClipFormat::from_path(Path::new(bad)),
                Err(ClipError::UnknownFormat { .. })
            ));
        }
    }

    #[test]
    fn times_round_to_the_nearest_frame_and_print_to_the_millisecond() {
        assert_eq!(duration_to_frames(Duration::from_millis(1500), 44_100), 66_150);
        assert_eq!(duration_to_frames(Duration::from_nanos(11_337), 44_100), 0);
        assert_eq!(duration_to_frames(Duration::from_nanos(11_338), 44_100), 1);
        assert_eq!(fmt_precise(Duration::from_millis(3_723_045)), "1:02:03.045");
    }

    #[test]
    fn sixteen_bit_values_survive_the_float_round_trip() {
        for v in [i16::MIN, -12_345, -1, 0, 1, 12_345, i16::MAX] {
            assert_eq!(to_i16(f32::from(v) / 32_768.0), v);
        }
        assert_eq!(to_i16(1.5), i16::MAX);
        assert_eq!(to_i16(-1.5), i16::MIN);
    }

    /// A disk that fills up after `room` bytes.
    struct FullDisk {
        inner: std::io::Cursor<Vec<u8>>,
        room: u64,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.inner.position() + buf.len() as u64 > self.room {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.inner.write(buf)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for FullDisk {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    fn span_of_a_second() -> (tempfile::TempDir, Span) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.wav");
        // A second of 8 kHz mono silence.
        let wav = earmark_test_support::media::pcm16_wav(8000, 1, &[0; 8000]);
        std::fs::write(&path, wav).expect("write");
        let decoder = MediaDecoder::open(&path).expect("open");
        let span = Span {
            decoder,
            channels: 1,
            remaining: 8000,
            read: 0,
            buf: Vec::new(),
        };
        (dir, span)
    }

    #[test]
    fn a_full_disk_is_an_error_from_both_writers() {
        let tags = TagSet::new(&ClipTags::default(), Duration::ZERO, Duration::from_secs(1));
        let (_dir, mut span) = span_of_a_second();
        let mut disk = FullDisk {
            inner: std::io::Cursor::new(Vec::new()),
            room: 5000,
        };
        let err = write_wav(&mut disk, &mut span, 8000, &tags).expect_err("disk full");
        assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);

        let (_dir, mut span) = span_of_a_second();
        let mut disk = FullDisk {
            inner: std::io::Cursor::new(Vec::new()),
            room: 100,
        };
        let err = write_flac(&mut disk, &mut span, 8000, &tags, Path::new("x.flac")).expect_err("disk full");
        assert!(matches!(err, ClipError::Write { .. }), "{err}");

        // With room, the same span writes whole.
        let (_dir, mut span) = span_of_a_second();
        let mut disk = FullDisk {
            inner: std::io::Cursor::new(Vec::new()),
            room: u64::MAX,
        };
        write_wav(&mut disk, &mut span, 8000, &tags).expect("room enough");
        assert_eq!(span.read, 8000);
    }

    #[test]
    fn info_chunk_is_padded_and_sized() {
        let tags = TagSet::new(
            &ClipTags {
                title: Some("abc".into()),
                ..ClipTags::default()
            },
            Duration::ZERO,
            Duration::from_secs(1),
        );
        let info = tags.riff_info();
        assert_eq!(&info[..4], b"LIST");
        let size = u32::from_le_bytes([info[4], info[5], info[6], info[7]]) as usize;
        assert_eq!(size, info.len() - 8);
        assert_eq!(size % 2, 0);
        assert_eq!(&info[8..12], b"INFO");
        assert_eq!(&info[12..16], b"INAM");
        assert_eq!(&info[16..20], &4u32.to_le_bytes());
        assert_eq!(&info[20..24], b"abc\0");
    }
}
