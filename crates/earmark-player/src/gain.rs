//! Gain for even loudness and quiet shows, with a limiter so that turning an episode up never
//! clips. The limiter reacts at once to a peak (no sample leaves above the ceiling) and recovers
//! over about 80 ms, which keeps speech natural; it does nothing while the signal stays below
//! the ceiling.

/// The highest level let out: −1 dBFS, headroom for the resampling and encoding after us.
pub const CEILING: f32 = 0.891;

/// Applies a fixed gain to interleaved audio and keeps its peaks under [`CEILING`].
pub struct Limiter {
    gain: f32,
    channels: usize,
    /// The limiter's gain reduction now (1 = none).
    envelope: f32,
    /// How far the envelope returns towards 1 per frame.
    release: f32,
}

impl Limiter {
    /// A limiter applying `gain_db` to audio of `channels` at `rate`.
    pub fn new(gain_db: f64, channels: usize, rate: u32) -> Self {
        let release_secs = 0.08;
        Limiter {
            gain: 10f64.powf(gain_db / 20.0) as f32,
            channels: channels.max(1),
            envelope: 1.0,
            release: (1.0 - (-1.0 / (release_secs * f64::from(rate.max(1)))).exp()) as f32,
        }
    }

    /// Changes the gain while playing (a loudness measured mid-episode, a new boost), keeping the
    /// limiter's state, so the level changes and nothing else.
    pub fn set_gain_db(&mut self, gain_db: f64) {
        self.gain = 10f64.powf(gain_db / 20.0) as f32;
    }

    /// The linear gain applied before limiting.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Applies the gain and limits `buf` in place.
    pub fn process(&mut self, buf: &mut [f32]) {
        let ch = self.channels;
        for frame in buf.chunks_exact_mut(ch) {
            let peak = frame.iter().fold(0.0f32, |m, s| m.max(s.abs())) * self.gain;
            let wanted = if peak > CEILING { CEILING / peak } else { 1.0 };
            self.envelope = if wanted < self.envelope {
                wanted
            } else {
                self.envelope + (wanted - self.envelope) * self.release
            };
            let g = self.gain * self.envelope;
            for s in frame {
                *s *= g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(amp: f32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| amp * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 44_100.0).sin())
            .collect()
    }

    #[test]
    fn quiet_audio_is_turned_up_exactly() {
        let mut l = Limiter::new(6.0, 1, 44_100);
        let mut buf = sine(0.1, 4410);
        let want: Vec<f32> = buf.iter().map(|s| s * 1.995_262_3).collect();
        l.process(&mut buf);
        for (a, b) in buf.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5);
        }
    }

    #[test]
    fn turning_up_loud_audio_never_clips() {
        let mut l = Limiter::new(12.0, 2, 44_100);
        let mut buf = sine(0.8, 44_100 * 2);
        l.process(&mut buf);
        let peak = buf.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak <= CEILING + 1e-6, "peak {peak}");
        assert!(peak > 0.85, "still loud: {peak}");
    }
}
