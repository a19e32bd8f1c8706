//! Waveform peaks: the loudest and quietest point of every 10 ms of an episode, so the app can
//! draw the whole waveform, zoom into it for fine edits of a bookmark, and show it while it is
//! still being computed.
//!
//! The fine peaks (a mono mix, `BUCKETS_PER_SECOND` buckets per second) are computed once from the
//! local file with Symphonia, in parallel chunks that each start at a seek point, and kept in a
//! small checked cache file (`cache.rs`) next to nothing else; any zoom level is a reduction of
//! them (`Peaks::range`).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::decode::{frames_to_duration, MediaDecoder};
use crate::error::PlayError;

mod cache;

pub use cache::{cache_path, load_cached, store_cached, SourceStamp};

/// Fine buckets per second of audio: 10 ms each, finer than a bookmark handle can be dragged.
pub const BUCKETS_PER_SECOND: u32 = 100;

/// Chunks shorter than this are not worth a second decoder (an open and a seek cost a few ms).
const MIN_CHUNK_SECS: u64 = 30;

/// Buckets allocated up front from a header's length: 12 hours. A damaged header claiming more
/// gets its buckets as the audio really decodes.
const MAX_RESERVED_BUCKETS: usize = 12 * 3600 * BUCKETS_PER_SECOND as usize;

/// The extremes of the mono mix over one bucket, as 16-bit sample values (full scale 32767).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peak {
    /// The lowest sample value in the bucket.
    pub min: i16,
    /// The highest sample value in the bucket.
    pub max: i16,
}

impl Peak {
    /// A bucket no sample has reached yet; merging anything into it gives that thing.
    const EMPTY: Peak = Peak {
        min: i16::MAX,
        max: i16::MIN,
    };

    fn merge(self, other: Peak) -> Peak {
        Peak {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    fn is_empty(self) -> bool {
        self.min > self.max
    }
}

/// The fine peaks of a whole file: what the cache holds and every zoom level is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peaks {
    sample_rate: u32,
    frames_per_bucket: u32,
    total_frames: u64,
    buckets: Vec<Peak>,
}

impl Peaks {
    /// Builds peaks from parts (the cache reader); `buckets` must cover `total_frames`.
    fn from_parts(sample_rate: u32, frames_per_bucket: u32, total_frames: u64, buckets: Vec<Peak>) -> Self {
        Peaks {
            sample_rate,
            frames_per_bucket,
            total_frames,
            buckets,
        }
    }

    /// The source's sample rate, which fixes the bucket length.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Source frames (samples per channel) per fine bucket: the sample rate / 100, rounded.
    pub fn frames_per_bucket(&self) -> u32 {
        self.frames_per_bucket
    }

    /// The length of one fine bucket in seconds (about 0.01).
    pub fn bucket_secs(&self) -> f64 {
        f64::from(self.frames_per_bucket) / f64::from(self.sample_rate.max(1))
    }

    /// Frames decoded: the real length of the file, which headers only estimate.
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// The decoded length of the file.
    pub fn duration(&self) -> Duration {
        frames_to_duration(self.total_frames, self.sample_rate)
    }

    /// The fine buckets, one per `bucket_secs` from the start.
    pub fn buckets(&self) -> &[Peak] {
        &self.buckets
    }

    /// `n` buckets covering `[start, end)`: what a zoomable view draws, `n` being its width in
    /// pixels. Each is the extremes of the fine buckets under it; when zoomed in past the fine
    /// resolution, neighbours repeat the fine bucket they fall in (`span_peaks` draws such a view
    /// from the samples instead). Time past the end is silence.
    pub fn range(&self, start: Duration, end: Duration, n: usize) -> Vec<Peak> {
        let per_bucket = self.bucket_secs();
        let (t0, t1) = (start.as_secs_f64(), end.as_secs_f64().max(start.as_secs_f64()));
        let step = (t1 - t0) / n.max(1) as f64;
        (0..n)
            .map(|i| {
                let a = t0 + step * i as f64;
                let b = a + step;
                let first = (a / per_bucket).floor() as usize;
                let last = ((b / per_bucket).ceil() as usize)
                    .max(first + 1)
                    .min(self.buckets.len());
                self.buckets
                    .get(first..last)
                    .map(|s| s.iter().fold(Peak::EMPTY, |acc, p| acc.merge(*p)))
                    .filter(|p| !p.is_empty())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// `n` buckets over `[start, end)` computed from the samples themselves rather than from the fine
/// peaks: for a view zoomed in past `BUCKETS_PER_SECOND` (a bookmark handle placed to the sample).
/// Decodes only the span, after a seek; meant for spans of seconds, not the whole file. When there
/// are fewer samples than buckets, each bucket shows the sample it falls on. Past the end: silence.
pub fn span_peaks(source: &Path, start: Duration, end: Duration, n: usize) -> Result<Vec<Peak>, PeaksError> {
    let mut d = MediaDecoder::open(source)?;
    let rate = f64::from(d.sample_rate());
    let first = (start.as_secs_f64() * rate).round() as u64;
    let last = (end.as_secs_f64() * rate).round() as u64;
    let len = last.saturating_sub(first);
    if n == 0 || len == 0 {
        return Ok(vec![Peak::default(); n]);
    }
    d.seek_to_frame(first)?;
    // Streamed into the buckets, so a long span costs time, not memory.
    let mut acc = vec![(f32::INFINITY, f32::NEG_INFINITY); n];
    let mut k = 0u64; // frames of the span seen
    while k < len && d.position_frames() == first + k {
        let more = d.read_planar(|planes| {
            let take = (planes.first().map_or(0, |p| p.len()) as u64).min(len - k) as usize;
            let scale = 1.0 / planes.len().max(1) as f32;
            for j in 0..take {
                let x = planes.iter().map(|p| p[j]).sum::<f32>() * scale;
                let b = (u128::from(k + j as u64) * n as u128 / u128::from(len)) as usize;
                let (lo, hi) = &mut acc[b];
                *lo = lo.min(x);
                *hi = hi.max(x);
            }
            k += take as u64;
        });
        if !more {
            break;
        }
    }
    // With fewer samples than buckets, a bucket no sample fell in shows the sample it lies on,
    // which is the only one in the bucket that sample fell in.
    Ok((0..n)
        .map(|i| {
            let (mut lo, mut hi) = acc[i];
            if lo > hi {
                let at = (i as u128 * u128::from(len) / n as u128) as u64;
                if at < k {
                    (lo, hi) = acc[(u128::from(at) * n as u128 / u128::from(len)) as usize];
                }
            }
            if lo > hi {
                return Peak::default();
            }
            Peak {
                min: quantize(lo),
                max: quantize(hi),
            }
        })
        .collect())
}

/// How peaks are computed.
#[derive(Clone, Debug)]
pub struct PeaksOptions {
    /// Decoders run in parallel, each from its own seek point (1 = one pass from the start).
    pub threads: usize,
    /// Fine buckets per progress report (1000 = 10 s of audio).
    pub batch_buckets: usize,
}

impl Default for PeaksOptions {
    fn default() -> Self {
        PeaksOptions {
            threads: std::thread::available_parallelism().map_or(1, NonZeroUsize::get).min(4),
            batch_buckets: 1000,
        }
    }
}

/// Partial peaks while the computation runs: `peaks` are buckets `first_bucket..` as known now.
/// Chunks decoded in parallel report their own stretches, each in order from its start.
#[derive(Debug)]
pub struct PeaksProgress<'a> {
    /// Index of the first bucket in `peaks`.
    pub first_bucket: usize,
    /// The buckets just computed (merged with what a neighbouring chunk gave for a shared bucket).
    pub peaks: &'a [Peak],
    /// Buckets reported so far, to draw a progress bar.
    pub buckets_done: usize,
    /// Buckets expected in all, when the header gives the length.
    pub buckets_total: Option<usize>,
    /// The length of one bucket in seconds, to place `peaks` on the time line.
    pub bucket_secs: f64,
}

/// Why peaks could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PeaksError {
    /// The file could not be opened or decoded.
    #[error(transparent)]
    Decode(#[from] PlayError),
    /// The caller asked to stop.
    #[error("the waveform computation was cancelled")]
    Cancelled,
    /// The file holds no audio at all.
    #[error("the file has no audio to draw")]
    Empty,
    /// The cache file could not be written (the peaks themselves are fine).
    #[error("cannot write the waveform cache {path}: {source}")]
    CacheWrite {
        /// The cache file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The source file's size and time could not be read.
    #[error("cannot read {path}: {source}")]
    Source {
        /// The media file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// What `load_or_compute` did.
#[derive(Debug)]
pub struct PeaksOutcome {
    /// The peaks.
    pub peaks: Peaks,
    /// True when they came from a valid cache file.
    pub from_cache: bool,
    /// Set when the peaks were computed but could not be cached (they are still right).
    pub cache_error: Option<String>,
}

/// Peaks from the cache when it matches the file, else computed (reporting progress) and cached.
/// A cache hit reports its peaks through `progress` once, so the caller has one code path. This
/// is what the app and the CLI call.
pub fn load_or_compute(
    source: &Path,
    cache_dir: &Path,
    options: &PeaksOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&PeaksProgress<'_>),
) -> Result<PeaksOutcome, PeaksError> {
    let stamp = SourceStamp::of(source)?;
    if let Some(peaks) = load_cached(source, &stamp, cache_dir) {
        progress(&PeaksProgress {
            first_bucket: 0,
            peaks: peaks.buckets(),
            buckets_done: peaks.buckets().len(),
            buckets_total: Some(peaks.buckets().len()),
            bucket_secs: peaks.bucket_secs(),
        });
        return Ok(PeaksOutcome {
            peaks,
            from_cache: true,
            cache_error: None,
        });
    }
    let peaks = compute(source, options, cancel, progress)?;
    let cache_error = match store_cached(source, &stamp, cache_dir, &peaks) {
        Ok(()) => None,
        Err(e) => {
            tracing::warn!(error = %e, "waveform cache not written");
            Some(e.to_string())
        }
    };
    Ok(PeaksOutcome {
        peaks,
        from_cache: false,
        cache_error,
    })
}

/// One chunk's report to the collecting thread.
enum Msg {
    Batch { first_bucket: usize, peaks: Vec<Peak> },
    Done { end_frame: u64 },
    Failed(PeaksError),
}

/// Computes the fine peaks of a whole file, with no cache. `progress` runs on the calling thread;
/// `cancel` is checked after every decoded packet.
pub fn compute(
    source: &Path,
    options: &PeaksOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&PeaksProgress<'_>),
) -> Result<Peaks, PeaksError> {
    let first = MediaDecoder::open(source)?;
    let rate = first.sample_rate();
    let frames_per_bucket = ((rate + BUCKETS_PER_SECOND / 2) / BUCKETS_PER_SECOND).max(1);
    let fpb = u64::from(frames_per_bucket);
    let header_frames = first.total_frames();
    let starts = chunk_starts(header_frames, rate, fpb, options.threads);
    let buckets_total = header_frames.map(|f| f.div_ceil(fpb) as usize);
    let bucket_secs = fpb as f64 / f64::from(rate.max(1));
    let batch = options.batch_buckets.max(1);

    // The header's length is a claim, not a fact: reserve for at most `MAX_RESERVED_BUCKETS` and
    // grow with what is really decoded.
    let mut merged: Vec<Peak> = vec![Peak::EMPTY; buckets_total.unwrap_or(0).min(MAX_RESERVED_BUCKETS)];
    let mut done = 0usize;
    // The furthest frame any chunk reached: the real length of the file.
    let mut end_frame = 0u64;
    let mut failure: Option<PeaksError> = None;
    // Set when one chunk fails, so the others stop early; the caller's `cancel` is only read.
    let stop = AtomicBool::new(false);
    let stop = &stop;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Msg>(16);
        let mut first = Some(first);
        for (i, &from) in starts.iter().enumerate() {
            let to = starts.get(i + 1).copied();
            let tx = tx.clone();
            let decoder = first.take();
            scope.spawn(move || {
                let decoder = match decoder {
                    Some(d) => Ok(d),
                    None => open_at(source, from),
                };
                let result = match decoder {
                    Ok(d) => run_chunk(d, to, fpb, batch, [cancel, stop], &tx),
                    // A file cut short (an interrupted download whose header still gives the whole
                    // length) cannot seek past the cut: this chunk is simply empty, and the one
                    // before it reads up to the cut.
                    Err(PeaksError::Decode(PlayError::Seek(why))) => {
                        tracing::info!(why, from, "waveform chunk starts past the readable end");
                        Ok(0)
                    }
                    Err(e) => Err(e),
                };
                let msg = match result {
                    Ok(end_frame) => Msg::Done { end_frame },
                    Err(e) => Msg::Failed(e),
                };
                // The collector may have stopped listening after a failure elsewhere.
                let _ = tx.send(msg);
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                Msg::Batch { first_bucket, peaks } => {
                    let end = first_bucket + peaks.len();
                    if merged.len() < end {
                        merged.resize(end, Peak::EMPTY);
                    }
                    for (slot, p) in merged[first_bucket..end].iter_mut().zip(&peaks) {
                        *slot = slot.merge(*p);
                    }
                    done += peaks.len();
                    progress(&PeaksProgress {
                        first_bucket,
                        peaks: &merged[first_bucket..end],
                        buckets_done: done,
                        buckets_total,
                        bucket_secs,
                    });
                }
                Msg::Done { end_frame: e } => end_frame = end_frame.max(e),
                Msg::Failed(e) => {
                    if failure.is_none() {
                        failure = Some(e);
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let total_frames = end_frame;
    if total_frames == 0 {
        return Err(PeaksError::Empty);
    }
    merged.truncate(total_frames.div_ceil(fpb) as usize);
    merged.resize(total_frames.div_ceil(fpb) as usize, Peak::EMPTY);
    for p in &mut merged {
        if p.is_empty() {
            *p = Peak::default();
        }
    }
    Ok(Peaks::from_parts(rate, frames_per_bucket, total_frames, merged))
}

/// Where each chunk starts, in frames on bucket boundaries: one chunk per thread, none shorter
/// than `MIN_CHUNK_SECS`; one chunk when the length is unknown.
pub(crate) fn chunk_starts(total: Option<u64>, rate: u32, fpb: u64, threads: usize) -> Vec<u64> {
    let Some(total) = total else { return vec![0] };
    let min_chunk = MIN_CHUNK_SECS * u64::from(rate);
    let n = (threads.max(1) as u64).min(total / min_chunk.max(1)).max(1);
    (0..n).map(|i| total * i / n / fpb * fpb).collect()
}

/// A decoder of its own for a chunk, placed at `from`.
pub(crate) fn open_at(source: &Path, from: u64) -> Result<MediaDecoder, PeaksError> {
    let mut d = MediaDecoder::open(source)?;
    d.seek(frames_to_duration(from, d.sample_rate()))?;
    Ok(d)
}

/// Decodes from the decoder's position up to `to` (or the end) and sends the chunk's buckets in
/// batches; returns the frame it stopped at.
fn run_chunk(
    mut d: MediaDecoder,
    to: Option<u64>,
    fpb: u64,
    batch: usize,
    stop_when: [&AtomicBool; 2],
    tx: &mpsc::SyncSender<Msg>,
) -> Result<u64, PeaksError> {
    let mut acc = Accumulator::new(d.position_frames(), fpb, to.unwrap_or(u64::MAX));
    let mut hung_up = false;
    while !acc.full() {
        if hung_up || stop_when.iter().any(|f| f.load(Ordering::Relaxed)) {
            return Err(PeaksError::Cancelled);
        }
        if !d.read_planar(|planes| acc.push(planes)) {
            break;
        }
        if acc.ready.len() >= batch {
            let first_bucket = acc.ready_first as usize;
            let peaks = std::mem::take(&mut acc.ready);
            acc.ready_first += peaks.len() as u64;
            hung_up = tx.send(Msg::Batch { first_bucket, peaks }).is_err();
        }
    }
    if let Some(why) = d.damage() {
        tracing::info!(why, "waveform of a damaged file: drawn up to the damage");
    }
    acc.flush();
    if !acc.ready.is_empty() {
        let first_bucket = acc.ready_first as usize;
        let peaks = std::mem::take(&mut acc.ready);
        let _ = tx.send(Msg::Batch { first_bucket, peaks });
    }
    Ok(acc.frame)
}

/// Folds planar audio into buckets.
struct Accumulator {
    /// The frame the next sample is.
    frame: u64,
    /// Stop before this frame.
    until: u64,
    fpb: u64,
    /// The bucket being filled and its extremes so far.
    bucket: u64,
    lo: f32,
    hi: f32,
    /// Finished buckets not yet sent, the first being `ready_first`.
    ready: Vec<Peak>,
    ready_first: u64,
}

impl Accumulator {
    fn new(frame: u64, fpb: u64, until: u64) -> Self {
        Accumulator {
            frame,
            until,
            fpb,
            bucket: frame / fpb,
            lo: f32::INFINITY,
            hi: f32::NEG_INFINITY,
            ready: Vec::new(),
            ready_first: frame / fpb,
        }
    }

    fn full(&self) -> bool {
        self.frame >= self.until
    }

    fn push(&mut self, planes: &[&[f32]]) {
        let len = planes.first().map_or(0, |p| p.len());
        let mut i = 0usize;
        while i < len && self.frame < self.until {
            let boundary = ((self.bucket + 1) * self.fpb).min(self.until);
            let take = ((boundary - self.frame) as usize).min(len - i);
            let (lo, hi) = extremes(planes, i, i + take);
            self.lo = self.lo.min(lo);
            self.hi = self.hi.max(hi);
            i += take;
            self.frame += take as u64;
            if self.frame == (self.bucket + 1) * self.fpb {
                self.flush();
                self.bucket += 1;
            }
        }
    }

    /// Closes the bucket being filled, if it has any sample.
    fn flush(&mut self) {
        if self.lo <= self.hi {
            self.ready.push(Peak {
                min: quantize(self.lo),
                max: quantize(self.hi),
            });
        }
        self.lo = f32::INFINITY;
        self.hi = f32::NEG_INFINITY;
    }
}

/// The extremes of the mono mix of `planes[..][from..to]`.
fn extremes(planes: &[&[f32]], from: usize, to: usize) -> (f32, f32) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    match planes {
        [mono] => {
            for &s in &mono[from..to] {
                lo = lo.min(s);
                hi = hi.max(s);
            }
        }
        [l, r] => {
            for (&a, &b) in l[from..to].iter().zip(&r[from..to]) {
                let s = (a + b) * 0.5;
                lo = lo.min(s);
                hi = hi.max(s);
            }
        }
        many => {
            let scale = 1.0 / many.len().max(1) as f32;
            for j in from..to {
                let s = many.iter().map(|p| p[j]).sum::<f32>() * scale;
                lo = lo.min(s);
                hi = hi.max(s);
            }
        }
    }
    (lo, hi)
}

/// A float sample as a 16-bit value.
fn quantize(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peaks(buckets: Vec<Peak>) -> Peaks {
        let n = buckets.len() as u64;
        Peaks::from_parts(100, 1, n, buckets)
    }

    #[test]
    fn range_reduces_fine_buckets_and_pads_past_the_end_with_silence() {
        let p = peaks((0..10).map(|i| Peak { min: -i, max: i }).collect());
        // 10 buckets of 10 ms: two output buckets of 50 ms each.
        let r = p.range(Duration::ZERO, Duration::from_millis(100), 2);
        assert_eq!(r, vec![Peak { min: -4, max: 4 }, Peak { min: -9, max: 9 }]);
        // Zoomed in past the fine resolution: each output repeats the bucket it falls in.
        let r = p.range(Duration::from_millis(30), Duration::from_millis(40), 4);
        assert_eq!(r, vec![Peak { min: -3, max: 3 }; 4]);
        // Past the end: silence.
        let r = p.range(Duration::from_millis(90), Duration::from_millis(130), 4);
        assert_eq!(r[0], Peak { min: -9, max: 9 });
        assert_eq!(&r[1..], &[Peak::default(); 3]);
        assert!(p.range(Duration::ZERO, Duration::from_secs(1), 0).is_empty());
    }

    #[test]
    fn chunks_start_on_bucket_boundaries_and_short_files_get_one() {
        assert_eq!(chunk_starts(None, 44_100, 441, 4), vec![0]);
        assert_eq!(chunk_starts(Some(44_100 * 10), 44_100, 441, 4), vec![0]);
        let starts = chunk_starts(Some(44_100 * 3600), 44_100, 441, 2);
        assert_eq!(starts.len(), 2);
        assert_eq!(starts[1] % 441, 0);
        assert!((starts[1] as i64 - 44_100 * 1800).abs() < 441);
    }

    #[test]
    fn accumulator_splits_at_bucket_edges_and_stops_at_the_limit() {
        let mut acc = Accumulator::new(0, 4, 10);
        let l: Vec<f32> = (0..12).map(|i| i as f32 / 100.0).collect();
        let r = vec![0.0f32; 12];
        acc.push(&[&l, &r]);
        acc.flush();
        assert_eq!(acc.frame, 10);
        let q = |x: f32| quantize(x / 2.0);
        assert_eq!(
            acc.ready,
            vec![
                Peak {
                    min: q(0.0),
                    max: q(0.03)
                },
                Peak {
                    min: q(0.04),
                    max: q(0.07)
                },
                Peak {
                    min: q(0.08),
                    max: q(0.09)
                },
            ]
        );
    }
}
