//! Decoding with Symphonia into interleaved f32 samples, with sample-accurate seeking and a clear
//! account of damage: a corrupt packet is skipped, a truncated file plays to where it stops and
//! says so.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use symphonia::core::audio::{AudioBuffer, AudioBufferRef, SampleBuffer, Signal};
use symphonia::core::codecs::{
    Decoder, DecoderOptions, CODEC_TYPE_MP1, CODEC_TYPE_MP2, CODEC_TYPE_MP3, CODEC_TYPE_NULL,
};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::{Hint, ProbeResult};
use symphonia::core::units::{Time, TimeBase};

use crate::error::PlayError;

/// After this many consecutive undecodable packets the file is called damaged and playback stops.
const MAX_CONSECUTIVE_BAD_PACKETS: u32 = 50;

/// An open media file, read as a stream of interleaved f32 samples (`read`) or of per-channel
/// planes (`read_planar`, for analysis that wants no copy).
pub struct MediaDecoder {
    packets: Packets,
    sample_rate: u32,
    channels: usize,
    time_base: Option<TimeBase>,
    total_frames: Option<u64>,
    /// Decoded samples not yet handed out, from `pending_pos`.
    pending: Vec<f32>,
    pending_pos: usize,
    /// Episode frame of the next sample handed out.
    position_frames: u64,
    /// Frames still to drop after a seek so the first sample is the one asked for.
    skip_frames: u64,
    sample_buf: Option<SampleBuffer<f32>>,
    /// Scratch planes for `read_planar` when it converts integer samples or drains `pending`.
    planar_buf: Option<AudioBuffer<f32>>,
    ended: bool,
    damage: Option<String>,
    /// Seek by the byte position the format estimates rather than by reading every frame up to
    /// the target (see [`MediaDecoder::set_coarse_seeks`]).
    coarse_seeks: bool,
    /// MPEG audio (see [`MediaDecoder::seeks_by_byte_share`]).
    mpeg_audio: bool,
}

/// The container and codec, apart from the sample bookkeeping so a decoded buffer (which borrows
/// the codec) can be used while the rest of the decoder is updated.
struct Packets {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    skipped: u64,
}

/// Why `Packets::next` produced no audio.
enum Stop {
    /// The stream ended cleanly (which may still be a truncation; the caller judges).
    End,
    /// Too many packets in a row could not be decoded.
    Undecodable,
    /// Reading or decoding failed for good.
    Damaged(String),
    /// Asked again after one of the above: nothing more to record.
    Over,
}

impl Packets {
    /// The next packet's audio that a seek does not drop whole, and how many frames at its start
    /// it still drops (fewer than the packet holds), taken off `skip_frames`; `Stop::Over` once
    /// the stream has `ended`.
    fn next_after(&mut self, ended: bool, skip_frames: &mut u64) -> Result<(AudioBufferRef<'_>, usize), Stop> {
        if ended {
            return Err(Stop::Over);
        }
        let skip = loop {
            let frames = self.decode_next()?;
            let skip = (*skip_frames).min(frames);
            *skip_frames -= skip;
            if skip < frames {
                break skip;
            }
        };
        // Borrowed only here, after the loop: a borrow returned from inside it would hold the
        // decoder for the loop's next turn too.
        Ok((self.decoder.last_decoded(), skip as usize))
    }

    /// Decodes the next packet of our track, skipping (and counting) undecodable ones; returns
    /// its frames (the audio is the decoder's `last_decoded`).
    fn decode_next(&mut self) -> Result<u64, Stop> {
        let mut bad_run = 0u32;
        loop {
            let packet = match self.format.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(Stop::End),
                Err(SymError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(e) => return Err(Stop::Damaged(e.to_string())),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(decoded) => return Ok(decoded.frames() as u64),
                Err(SymError::DecodeError(why)) => {
                    self.skipped += 1;
                    bad_run += 1;
                    tracing::debug!(why, "skipping an undecodable packet");
                    if bad_run >= MAX_CONSECUTIVE_BAD_PACKETS {
                        return Err(Stop::Undecodable);
                    }
                }
                Err(e) => return Err(Stop::Damaged(e.to_string())),
            }
        }
    }
}

/// Finds the format of `source` (`ext` and `mime` are hints). Playback and the tag reader of local
/// files (`earmark-shell`) both go through it, so a file is media to one exactly when it is to the
/// other, and a file that is not reads the same in both.
pub fn probe(source: Box<dyn MediaSource>, ext: Option<&str>, mime: Option<&str>) -> Result<ProbeResult, PlayError> {
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(e) = ext {
        hint.with_extension(e);
    }
    if let Some(m) = mime {
        hint.mime_type(m);
    }
    // Gapless: the encoder's delay and padding are not counted, in the length either.
    let opts = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    symphonia::default::get_probe()
        .format(&hint, mss, &opts, &MetadataOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(what) => PlayError::Unsupported(what.to_owned()),
            SymError::IoError(io) => PlayError::Damaged(format!("unreadable: {io}")),
            other => PlayError::Unsupported(other.to_string()),
        })
}

/// [`probe`] of a local file, its extension the hint.
pub fn probe_file(path: &Path) -> Result<ProbeResult, PlayError> {
    let file = File::open(path).map_err(|source| PlayError::Open {
        path: path.to_owned(),
        source,
    })?;
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    probe(Box::new(file), ext.as_deref(), None)
}

impl MediaDecoder {
    /// Opens a local file; its extension helps the format probe.
    pub fn open(path: &Path) -> Result<Self, PlayError> {
        Self::from_probed(probe_file(path)?)
    }

    /// Opens any seekable byte source (a file, a streamed download); `ext` and `mime` are hints.
    pub fn from_source(source: Box<dyn MediaSource>, ext: Option<&str>, mime: Option<&str>) -> Result<Self, PlayError> {
        Self::from_probed(probe(source, ext, mime)?)
    }

    fn from_probed(probed: ProbeResult) -> Result<Self, PlayError> {
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some())
            .ok_or(PlayError::NoAudioTrack)?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| match e {
                SymError::Unsupported(what) => PlayError::Unsupported(format!("codec: {what}")),
                other => PlayError::Unsupported(other.to_string()),
            })?;
        let sample_rate = params.sample_rate.ok_or(PlayError::NoAudioTrack)?;
        let mpeg_audio = [CODEC_TYPE_MP1, CODEC_TYPE_MP2, CODEC_TYPE_MP3].contains(&params.codec);
        let channels = params.channels.map_or(0, |c| c.count());
        Ok(MediaDecoder {
            packets: Packets {
                format,
                decoder,
                track_id,
                skipped: 0,
            },
            sample_rate,
            channels,
            time_base: params.time_base,
            total_frames: params.n_frames,
            pending: Vec::new(),
            pending_pos: 0,
            position_frames: 0,
            skip_frames: 0,
            sample_buf: None,
            planar_buf: None,
            ended: false,
            damage: None,
            coarse_seeks: false,
            mpeg_audio,
        })
    }

    /// Samples per second per channel.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Interleaved channels. Known for sure only after the first packet for some codecs (AAC);
    /// `read` decodes one packet first when it is not yet known.
    pub fn channels(&mut self) -> usize {
        if self.channels == 0 {
            let _ = self.fill_pending();
        }
        self.channels.max(1)
    }

    /// The length, when the container says.
    pub fn duration(&self) -> Option<Duration> {
        self.total_frames.map(|f| frames_to_duration(f, self.sample_rate))
    }

    /// Whether a coarse seek lands where the target's share of the audio data lies (MPEG audio:
    /// frames follow one another with no index), so the bytes it will read can be fetched
    /// before it. Containers with an index or a bisecting seek (MP4, Ogg) read elsewhere.
    pub fn seeks_by_byte_share(&self) -> bool {
        self.mpeg_audio
    }

    /// The episode time of the next sample `read` returns.
    pub fn position(&self) -> Duration {
        frames_to_duration(self.position_frames, self.sample_rate)
    }

    /// Why playback stopped early, if it did (corrupt or truncated data).
    pub fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }

    /// Packets skipped because they could not be decoded.
    pub fn skipped_packets(&self) -> u64 {
        self.packets.skipped
    }

    /// The episode frame (sample index per channel) of the next sample `read` returns: the exact
    /// counterpart of `position`, for work that must land on a sample (clips, peaks).
    pub fn position_frames(&self) -> u64 {
        self.position_frames
    }

    /// The length in frames, when the container says.
    pub fn total_frames(&self) -> Option<u64> {
        self.total_frames
    }

    /// Fills `out` with interleaved samples; returns how many were written. 0 means the end
    /// (check `damage` to tell a clean end from a damaged one).
    pub fn read(&mut self, out: &mut [f32]) -> usize {
        let mut written = 0;
        while written < out.len() {
            if self.pending_pos >= self.pending.len() && !self.fill_pending() {
                break;
            }
            let n = (out.len() - written).min(self.pending.len() - self.pending_pos);
            out[written..written + n].copy_from_slice(&self.pending[self.pending_pos..self.pending_pos + n]);
            self.pending_pos += n;
            written += n;
        }
        // Keep whole frames consistent with the position.
        self.position_frames += (written / self.channels.max(1)) as u64;
        written
    }

    /// Decodes the next packet into `pending`; false at the end.
    fn fill_pending(&mut self) -> bool {
        self.pending.clear();
        self.pending_pos = 0;
        let (decoded, skip) = match self.packets.next_after(self.ended, &mut self.skip_frames) {
            Ok(d) => d,
            Err(stop) => return self.stop(stop),
        };
        let spec = *decoded.spec();
        self.channels = spec.channels.count();
        let need = decoded.capacity() as u64;
        let buf = match &mut self.sample_buf {
            Some(b) if b.capacity() as u64 >= need * spec.channels.count() as u64 => b,
            slot => slot.insert(SampleBuffer::new(need, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        let from = (skip * self.channels).min(buf.samples().len());
        self.pending.extend_from_slice(&buf.samples()[from..]);
        true
    }

    /// Hands the next decoded audio to `visit` as one slice per channel, all the same length, and
    /// advances the position by that length; false at the end. Integer formats (WAV, FLAC) are
    /// converted to f32; float codecs (MP3, AAC, Vorbis) are handed over with no copy. Mixes
    /// freely with `read`: samples `read` left over come first.
    pub fn read_planar(&mut self, mut visit: impl FnMut(&[&[f32]])) -> bool {
        if self.pending_pos < self.pending.len() {
            let channels = self.channels.max(1);
            let frames = (self.pending.len() - self.pending_pos) / channels;
            let mut planes: Vec<Vec<f32>> = vec![Vec::with_capacity(frames); channels];
            for frame in self.pending[self.pending_pos..].chunks_exact(channels) {
                for (plane, s) in planes.iter_mut().zip(frame) {
                    plane.push(*s);
                }
            }
            self.pending.clear();
            self.pending_pos = 0;
            let refs: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
            visit(&refs);
            self.position_frames += frames as u64;
            return true;
        }
        let (decoded, skip) = match self.packets.next_after(self.ended, &mut self.skip_frames) {
            Ok(d) => d,
            Err(stop) => return self.stop(stop),
        };
        let spec = *decoded.spec();
        self.channels = spec.channels.count();
        let frames = decoded.frames();
        let mut refs: [&[f32]; 8] = [&[]; 8];
        let n = self.channels.min(refs.len());
        if let AudioBufferRef::F32(buf) = &decoded {
            for (ch, r) in refs.iter_mut().enumerate().take(n) {
                *r = &buf.chan(ch)[skip..frames];
            }
            visit(&refs[..n]);
        } else {
            let capacity = decoded.capacity();
            let fits = self
                .planar_buf
                .as_ref()
                .is_some_and(|b| b.capacity() >= capacity && *b.spec() == spec);
            if !fits {
                self.planar_buf = None;
            }
            let buf = self
                .planar_buf
                .get_or_insert_with(|| AudioBuffer::new(capacity as u64, spec));
            decoded.convert(buf);
            for (ch, r) in refs.iter_mut().enumerate().take(n) {
                *r = &buf.chan(ch)[skip..frames];
            }
            visit(&refs[..n]);
        }
        self.position_frames += (frames - skip) as u64;
        true
    }

    /// Records why the stream stopped; false, for the readers to return.
    fn stop(&mut self, stop: Stop) -> bool {
        match stop {
            Stop::Over => {}
            Stop::End => self.finish_at_end(),
            Stop::Undecodable => {
                self.damage = Some(format!("undecodable data from {}", fmt_time(self.position())));
                self.ended = true;
            }
            Stop::Damaged(why) => {
                self.damage = Some(format!("stopped at {}: {why}", fmt_time(self.position())));
                self.ended = true;
            }
        }
        false
    }

    /// At the end of the stream: a file much shorter than its header promised was truncated.
    fn finish_at_end(&mut self) {
        self.ended = true;
        if let Some(total) = self.total_frames {
            let pos = self.position_frames + ((self.pending.len() - self.pending_pos) / self.channels.max(1)) as u64;
            // Allow a second of slack for estimates in headers.
            if pos + u64::from(self.sample_rate) < total {
                self.damage = Some(format!(
                    "the file ends early, at {} of {} (truncated?)",
                    fmt_time(frames_to_duration(pos, self.sample_rate)),
                    fmt_time(frames_to_duration(total, self.sample_rate))
                ));
            }
        }
    }

    /// For a streamed source: an accurate MP3 seek reads every frame header between here and the
    /// target, which over the network means fetching everything in between. A coarse seek jumps
    /// to the byte position the file's length and bitrate suggest (exact for constant-bitrate
    /// files, close for variable ones), so only the part around the target is fetched.
    pub fn set_coarse_seeks(&mut self, on: bool) {
        self.coarse_seeks = on;
    }

    /// Moves to `target`; the next sample read is the one at that time (to the sample where the
    /// container allows). Returns the position reached.
    pub fn seek(&mut self, target: Duration) -> Result<Duration, PlayError> {
        let target = match self.duration() {
            Some(d) if target > d => d,
            _ => target,
        };
        let time = Time::new(target.as_secs(), f64::from(target.subsec_nanos()) / 1e9);
        let seeked = self
            .packets
            .format
            .seek(
                if self.coarse_seeks {
                    SeekMode::Coarse
                } else {
                    SeekMode::Accurate
                },
                SeekTo::Time {
                    time,
                    track_id: Some(self.packets.track_id),
                },
            )
            .map_err(|e| PlayError::Seek(e.to_string()))?;
        self.packets.decoder.reset();
        self.pending.clear();
        self.pending_pos = 0;
        self.ended = false;
        self.damage = None;
        let required = self.ts_to_frames(seeked.required_ts);
        let actual = self.ts_to_frames(seeked.actual_ts);
        self.skip_frames = required.saturating_sub(actual);
        self.position_frames = required;
        Ok(self.position())
    }

    /// Moves to exactly `frame`: a seek a little before it (containers round times), then the
    /// frames up to it are decoded and dropped. Work that must land on a sample (clips, close-up
    /// waveforms) uses this; playback's `seek` is enough for the ear.
    pub fn seek_to_frame(&mut self, frame: u64) -> Result<(), PlayError> {
        let rate = self.sample_rate;
        let early = u64::from(rate / 100);
        if frame > early || self.position_frames > frame {
            self.seek(frames_to_duration(frame.saturating_sub(early), rate))?;
        }
        let channels = self.channels();
        let mut scratch = vec![0.0f32; 4096 * channels];
        while self.position_frames < frame {
            let want = ((frame - self.position_frames) as usize).min(4096) * channels;
            if self.read(&mut scratch[..want]) == 0 {
                break;
            }
        }
        if self.position_frames != frame && self.damage.is_none() && !self.ended {
            return Err(PlayError::Seek(format!(
                "landed at frame {} instead of {frame}",
                self.position_frames
            )));
        }
        Ok(())
    }

    fn ts_to_frames(&self, ts: u64) -> u64 {
        match self.time_base {
            Some(tb) if !(tb.numer == 1 && tb.denom == self.sample_rate) => {
                let t = tb.calc_time(ts);
                let rate = u64::from(self.sample_rate);
                t.seconds * rate + (t.frac * rate as f64).round() as u64
            }
            _ => ts,
        }
    }
}

/// Frames at `rate` as a duration.
pub fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    if rate == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs(frames / u64::from(rate))
        + Duration::from_nanos((frames % u64::from(rate)) * 1_000_000_000 / u64::from(rate))
}

/// `m:ss` or `h:mm:ss`.
pub fn fmt_time(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
