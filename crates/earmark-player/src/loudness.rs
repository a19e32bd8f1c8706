//! Measuring an episode's loudness to EBU R128 (ITU-R BS.1770: K-weighting, gated integration,
//! true peak by oversampling), so playback can bring every episode to the same level. The file
//! is read in parallel chunks, each with a meter of its own, and the meters' gated blocks are
//! combined as one measurement (`ebur128::EbuR128::loudness_global_multiple`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ebur128::{EbuR128, Mode};

use crate::decode::MediaDecoder;
use crate::error::PlayError;
use crate::peaks::{chunk_starts, open_at, PeaksError};

/// An episode's loudness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// Highest true peak over all channels, dBTP.
    pub true_peak_dbtp: f64,
    /// Seconds of audio measured.
    pub secs: f64,
}

/// Why a file could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum LoudnessError {
    /// The file could not be read.
    #[error(transparent)]
    Decode(#[from] PlayError),
    /// The caller stopped the measurement.
    #[error("the loudness measurement was cancelled")]
    Cancelled,
    /// Nothing above the gate: silence has no loudness.
    #[error("the file is silent: it has no loudness to measure")]
    Silent,
    /// The meter refused the audio's layout.
    #[error("cannot measure this audio: {0}")]
    Meter(String),
}

impl From<PeaksError> for LoudnessError {
    fn from(e: PeaksError) -> Self {
        match e {
            PeaksError::Decode(d) => LoudnessError::Decode(d),
            PeaksError::Cancelled => LoudnessError::Cancelled,
            other => LoudnessError::Meter(other.to_string()),
        }
    }
}

/// Frames per chunk frame step (chunks start on any frame).
const STEP: u64 = 1;

/// Measures `source` on up to `threads` threads; `cancel` stops it early.
pub fn measure(source: &Path, threads: usize, cancel: &AtomicBool) -> Result<Measured, LoudnessError> {
    let mut first = MediaDecoder::open(source)?;
    let (rate, channels) = (first.sample_rate(), first.channels());
    let starts = chunk_starts(first.total_frames(), rate, STEP, threads);
    let mut first = Some(first);
    let results: Vec<Result<(EbuR128, u64), LoudnessError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .iter()
            .enumerate()
            .map(|(i, &from)| {
                let to = starts.get(i + 1).copied();
                let decoder = first.take();
                scope.spawn(move || {
                    let decoder = match decoder {
                        Some(d) => d,
                        None => open_at(source, from)?,
                    };
                    measure_chunk(decoder, to, channels, rate, cancel)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or(Err(LoudnessError::Meter("a measuring thread failed".into())))
            })
            .collect()
    });
    let mut meters = Vec::with_capacity(results.len());
    let mut frames = 0;
    for r in results {
        let (meter, n) = r?;
        meters.push(meter);
        frames += n;
    }
    let integrated =
        EbuR128::loudness_global_multiple(meters.iter()).map_err(|e| LoudnessError::Meter(e.to_string()))?;
    if !integrated.is_finite() {
        return Err(LoudnessError::Silent);
    }
    let mut peak = 0.0f64;
    for m in &meters {
        for ch in 0..channels as u32 {
            peak = peak.max(m.true_peak(ch).unwrap_or(0.0));
        }
    }
    Ok(Measured {
        integrated_lufs: integrated,
        true_peak_dbtp: if peak > 0.0 {
            20.0 * peak.log10()
        } else {
            f64::NEG_INFINITY
        },
        secs: frames as f64 / f64::from(rate.max(1)),
    })
}

/// Feeds one chunk, from the decoder's place up to frame `to`, to a meter of its own.
fn measure_chunk(
    mut d: MediaDecoder,
    to: Option<u64>,
    channels: usize,
    rate: u32,
    cancel: &AtomicBool,
) -> Result<(EbuR128, u64), LoudnessError> {
    let mut meter = EbuR128::new(channels as u32, rate, Mode::I | Mode::TRUE_PEAK)
        .map_err(|e| LoudnessError::Meter(e.to_string()))?;
    let end = to.unwrap_or(u64::MAX);
    let mut frames = 0u64;
    let mut failed = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(LoudnessError::Cancelled);
        }
        let at = d.position_frames();
        if at >= end {
            break;
        }
        let more = d.read_planar(|planes| {
            let len = planes.first().map_or(0, |p| p.len()) as u64;
            let take = len.min(end - at) as usize;
            let cut: Vec<&[f32]> = planes.iter().map(|p| &p[..take]).collect();
            if let Err(e) = meter.add_frames_planar_f32(&cut) {
                failed = Some(e.to_string());
            }
            frames += take as u64;
        });
        if let Some(why) = failed.take() {
            return Err(LoudnessError::Meter(why));
        }
        if !more {
            break;
        }
    }
    Ok((meter, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_read_is_an_error_not_a_panic() {
        let cancel = AtomicBool::new(false);
        let missing = measure(Path::new("/nonexistent/episode.mp3"), 2, &cancel);
        assert!(matches!(missing, Err(LoudnessError::Decode(_))), "{missing:?}");
    }
}
