//! Shortening long silences while playing. Interviews recorded over a call are full of pauses;
//! cutting each one down to a short gap saves minutes an hour without touching speech. The
//! trimmer sits between the decoder and the stretcher and only drops samples: the pipeline keeps
//! counting in episode time (see `Pipeline::position`), so positions, chapters, bookmarks and
//! transcripts are unaffected.

use std::time::Duration;

/// How silence is found and how much of it is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrimSilence {
    /// A frame quieter than this on every channel (dBFS) counts as silent.
    pub threshold_db: f32,
    /// A silence is cut down to this length; shorter ones are left alone.
    pub keep: Duration,
}

impl Default for TrimSilence {
    /// −45 dBFS (room tone and breaths stay audible above it) and half a second: pauses stay
    /// pauses, just shorter.
    fn default() -> Self {
        TrimSilence {
            threshold_db: -45.0,
            keep: Duration::from_millis(500),
        }
    }
}

/// The trimmer's running state: how long it has been quiet.
pub struct SilenceTrimmer {
    threshold: f32,
    keep_frames: u64,
    channels: usize,
    /// Frames since the last one above the threshold.
    quiet_run: u64,
}

impl SilenceTrimmer {
    /// A trimmer for interleaved audio of `channels` at `rate`.
    pub fn new(opts: TrimSilence, channels: usize, rate: u32) -> Self {
        SilenceTrimmer {
            threshold: 10f32.powf(opts.threshold_db / 20.0),
            keep_frames: (opts.keep.as_secs_f64() * f64::from(rate)).round() as u64,
            channels: channels.max(1),
            quiet_run: 0,
        }
    }

    /// Forgets the silence in progress (after a seek, the audio that follows is not its continuation).
    pub fn reset(&mut self) {
        self.quiet_run = 0;
    }

    /// Drops, in place, the frames of `buf` that lie beyond the kept part of a silence; returns
    /// how many samples remain at the front of `buf` and how many frames were dropped.
    pub fn process(&mut self, buf: &mut [f32]) -> (usize, u64) {
        let ch = self.channels;
        let frames = buf.len() / ch;
        let mut write = 0;
        let mut dropped = 0u64;
        for f in 0..frames {
            let at = f * ch;
            let loud = buf[at..at + ch].iter().any(|s| s.abs() >= self.threshold);
            if loud {
                self.quiet_run = 0;
            } else {
                self.quiet_run += 1;
            }
            if self.quiet_run > self.keep_frames {
                dropped += 1;
                continue;
            }
            if write != at {
                buf.copy_within(at..at + ch, write);
            }
            write += ch;
        }
        (write, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 1000;

    fn tone(frames: usize) -> Vec<f32> {
        (0..frames).map(|i| 0.5 * (i as f32 * 0.7).sin().signum()).collect()
    }

    #[test]
    fn a_long_silence_is_cut_to_the_kept_length_and_speech_is_untouched() {
        let mut t = SilenceTrimmer::new(TrimSilence::default(), 1, RATE);
        // 1 s of sound, 3 s of silence, 1 s of sound.
        let mut buf = tone(1000);
        buf.extend(std::iter::repeat_n(0.0, 3000));
        buf.extend(tone(1000));
        let (kept, dropped) = t.process(&mut buf);
        assert_eq!(dropped, 2500, "three seconds cut to half a second");
        assert_eq!(kept, 2500);
        assert_eq!(&buf[..1000], &tone(1000)[..]);
        assert!(buf[1000..1500].iter().all(|s| *s == 0.0));
        assert_eq!(&buf[1500..2500], &tone(1000)[..]);
    }

    #[test]
    fn a_short_pause_stays_and_a_silence_across_blocks_is_cut_once() {
        let mut t = SilenceTrimmer::new(TrimSilence::default(), 2, RATE);
        let mut pause = vec![0.0f32; 2 * 400];
        assert_eq!(t.process(&mut pause), (800, 0), "0.4 s is shorter than what is kept");
        // The silence goes on in the next blocks: 0.1 s more is kept, the rest dropped.
        let mut more = vec![0.0f32; 2 * 600];
        assert_eq!(t.process(&mut more), (200, 500));
        let mut quiet_noise = vec![0.001f32; 2 * 100];
        assert_eq!(t.process(&mut quiet_noise), (0, 100), "below −45 dBFS is silence");
        let mut sound = vec![0.2f32; 2 * 10];
        assert_eq!(t.process(&mut sound), (20, 0));
        t.reset();
        let mut after_seek = vec![0.0f32; 2 * 10];
        assert_eq!(t.process(&mut after_seek), (20, 0));
    }
}
