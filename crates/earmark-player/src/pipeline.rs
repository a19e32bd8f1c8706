//! The sample pipeline a player pulls from: decoder → time-stretcher → volume. Pull-based and
//! free of threads and devices, so tests drive it directly and the output path just calls `fill`.

use std::time::Duration;

use crate::decode::{frames_to_duration, MediaDecoder};
use crate::error::PlayError;
use crate::gain::Limiter;
use crate::stretch::Stretcher;
use crate::trim::{SilenceTrimmer, TrimSilence};

/// Slowest and fastest speeds offered.
pub const SPEED_RANGE: (f64, f64) = (0.5, 3.0);

/// Decoded, stretched, volume-scaled audio, pulled in blocks.
pub struct Pipeline {
    decoder: MediaDecoder,
    stretch: Stretcher,
    channels: usize,
    rate: u32,
    scratch: Vec<f32>,
    ready: Vec<f32>,
    ready_pos: usize,
    /// Episode frame at the last seek (or 0); stretcher counts from there.
    base_frames: u64,
    volume: f32,
    muted: bool,
    input_done: bool,
    /// Stop (as if at the end) when the episode position reaches this.
    stop_at: Option<Duration>,
    /// For a streamed source: whether the decoder can read without waiting on the network.
    gate: Option<Box<dyn Fn() -> bool + Send>>,
    /// For a streamed source: asks for the part of the file a seek to this time (in an episode
    /// of this length) will read, before the seek itself.
    prefetch: Option<Prefetch>,
    /// What was handed out since the last [`Pipeline::take_heard`].
    heard: Heard,
    /// Shortens long silences, when the listener asked for it.
    trim: Option<SilenceTrimmer>,
    /// Gain for even loudness and the podcast's boost, limited; none at 0 dB.
    limiter: Option<Limiter>,
    /// Frames given to the stretcher since the last seek.
    pushed_frames: u64,
    /// Silence dropped before the stretcher: (frames pushed when it was dropped, frames dropped),
    /// oldest first, until playback passes that point and they join `base_frames`.
    drops: std::collections::VecDeque<(u64, u64)>,
}

/// Listening as the pipeline counted it: the time sound came out, and the stretch of the episode
/// it covered. Statistics are built from these (time listened, time saved by speed) rather than
/// from positions, which a seek or a skip would turn into listening nobody did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Heard {
    /// Seconds of sound handed to the device.
    pub wall_secs: f64,
    /// Seconds of the episode that sound covered (twice `wall_secs` at 2x), silence trimmed
    /// from within that stretch included.
    pub episode_secs: f64,
    /// Seconds of silence trimmed (episode time) within that stretch.
    pub trimmed_secs: f64,
}

impl Heard {
    /// Adds another count to this one.
    pub fn add(&mut self, other: Heard) {
        self.wall_secs += other.wall_secs;
        self.episode_secs += other.episode_secs;
        self.trimmed_secs += other.trimmed_secs;
    }

    /// True when nothing was heard.
    pub fn is_empty(&self) -> bool {
        self.wall_secs <= 0.0 && self.episode_secs <= 0.0
    }
}

/// See [`Pipeline::set_prefetch`]: given the target and the episode's length, asks for the bytes
/// a seek there will read; false when it cannot tell which those are.
pub type Prefetch = Box<dyn Fn(Duration, Option<Duration>) -> bool + Send>;

impl Pipeline {
    /// Wraps an open decoder, playing at `speed`.
    pub fn new(mut decoder: MediaDecoder, speed: f64) -> Self {
        let channels = decoder.channels();
        let rate = decoder.sample_rate();
        Pipeline {
            base_frames: 0,
            stretch: Stretcher::new(channels, rate, speed),
            decoder,
            channels,
            rate,
            scratch: vec![0.0; 4096 * channels],
            ready: Vec::with_capacity(16384),
            ready_pos: 0,
            volume: 1.0,
            muted: false,
            input_done: false,
            stop_at: None,
            gate: None,
            prefetch: None,
            heard: Heard::default(),
            trim: None,
            limiter: None,
            pushed_frames: 0,
            drops: std::collections::VecDeque::new(),
        }
    }

    /// Shortens silences longer than `opts.keep` from here on (`None`: plays them whole).
    pub fn set_trim_silence(&mut self, opts: Option<TrimSilence>) {
        self.trim = opts.map(|o| SilenceTrimmer::new(o, self.channels, self.rate));
    }

    /// Applies `gain_db` (loudness normalisation plus a podcast's boost) with a limiter that
    /// keeps peaks below −1 dBFS; 0 dB leaves the audio untouched.
    /// A limiter already running keeps its state and only changes its gain.
    pub fn set_gain_db(&mut self, gain_db: f64) {
        let on = gain_db.is_finite() && gain_db.abs() > 0.01;
        match (&mut self.limiter, on) {
            (Some(l), true) => l.set_gain_db(gain_db),
            (None, true) => self.limiter = Some(Limiter::new(gain_db, self.channels, self.rate)),
            (_, false) => self.limiter = None,
        }
    }

    /// Whether silences are being shortened.
    pub fn trims_silence(&self) -> bool {
        self.trim.is_some()
    }

    /// What was played since the last call, and starts counting again.
    pub fn take_heard(&mut self) -> Heard {
        std::mem::take(&mut self.heard)
    }

    /// Tells the pipeline its source can be slow (a stream): `ready` says whether the next decode
    /// would run without waiting, so the output thread can play silence instead of blocking.
    pub fn set_gate(&mut self, ready: Box<dyn Fn() -> bool + Send>) {
        self.gate = Some(ready);
    }

    /// Tells the pipeline how to ask a slow source for the part a seek will read, so the seek can
    /// wait for it without blocking anyone (see `Playback::seek`).
    pub fn set_prefetch(&mut self, ask: Prefetch) {
        self.prefetch = Some(ask);
    }

    /// Asks the source for the part of the file a seek to `target` will read. `Some(ready)`
    /// says whether it is here already; `None` that nobody can tell (a local file, a format
    /// whose seek reads elsewhere, an unknown length), so the seek should simply be made.
    pub fn prefetch(&mut self, target: Duration) -> Option<bool> {
        let ask = self.prefetch.as_ref()?;
        ask(target, self.decoder.duration()).then(|| self.source_ready())
    }

    /// Whether the source can be read without waiting (always, for a local file).
    pub fn source_ready(&self) -> bool {
        self.gate.as_ref().is_none_or(|ready| ready())
    }

    /// True while a streamed source has too little buffered to decode the next block at once.
    pub fn waiting(&self) -> bool {
        self.ready_pos >= self.ready.len() && !self.input_done && self.gate.as_ref().is_some_and(|ready| !ready())
    }

    /// Output channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Length of the episode, when known.
    pub fn duration(&self) -> Option<Duration> {
        self.decoder.duration()
    }

    /// Current speed.
    pub fn speed(&self) -> f64 {
        self.stretch.speed()
    }

    /// Changes speed (clamped to 0.5–3.0); pitch is kept.
    pub fn set_speed(&mut self, speed: f64) {
        self.stretch.set_speed(speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1));
    }

    /// Volume from 0.0 to 1.0 (clamped).
    pub fn set_volume(&mut self, volume: f32) {
        self.volume = if volume.is_finite() {
            volume.clamp(0.0, 1.0)
        } else {
            1.0
        };
    }

    /// Current volume.
    pub fn volume(&self) -> f32 {
        self.volume
    }

    /// Silences output without forgetting the volume.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Whether output is muted.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// Ends playback when the episode reaches `at` (for `--to`, segment playback).
    pub fn set_stop_at(&mut self, at: Option<Duration>) {
        self.stop_at = at;
    }

    /// Why playback ended early, if it did.
    pub fn damage(&self) -> Option<&str> {
        self.decoder.damage()
    }

    /// The episode time of the next sample `fill` returns.
    pub fn position(&self) -> Duration {
        let not_yet_heard = ((self.ready.len() - self.ready_pos) / self.channels.max(1)) as f64 * self.stretch.speed();
        let consumed = self.stretch.input_frames_consumed();
        // Silence dropped before what the stretcher has taken lies behind us in episode time.
        let skipped: u64 = self
            .drops
            .iter()
            .take_while(|(at, _)| *at <= consumed)
            .map(|(_, n)| n)
            .sum();
        let frames = (self.base_frames + consumed + skipped) as f64 - not_yet_heard;
        frames_to_duration(frames.max(0.0) as u64, self.rate)
    }

    /// Moves to `target`; returns where playback now is.
    pub fn seek(&mut self, target: Duration) -> Result<Duration, PlayError> {
        let reached = self.decoder.seek(target)?;
        self.stretch.reset();
        self.ready.clear();
        self.ready_pos = 0;
        self.input_done = false;
        self.base_frames = (reached.as_secs_f64() * f64::from(self.rate)).round() as u64;
        self.pushed_frames = 0;
        self.drops.clear();
        if let Some(t) = &mut self.trim {
            t.reset();
        }
        Ok(reached)
    }

    /// Fills `out` with interleaved samples; returns how many. 0 means the end. What it hands
    /// out is counted as heard (see [`Pipeline::take_heard`]).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let before = self.position();
        let written = self.fill_inner(out);
        // No seek happens inside a fill, so the position only moves forward here.
        let covered = self.position().saturating_sub(before);
        let trimmed = self.settle_drops();
        let rate = f64::from(self.rate.max(1));
        self.heard.add(Heard {
            wall_secs: (written / self.channels.max(1)) as f64 / rate,
            episode_secs: covered.as_secs_f64(),
            trimmed_secs: trimmed as f64 / rate,
        });
        written
    }

    /// Moves the dropped silences playback has passed into `base_frames`; returns their frames.
    fn settle_drops(&mut self) -> u64 {
        let consumed = self.stretch.input_frames_consumed();
        let mut passed = 0;
        while let Some(&(at, n)) = self.drops.front() {
            if at > consumed {
                break;
            }
            self.drops.pop_front();
            passed += n;
        }
        self.base_frames += passed;
        passed
    }

    fn fill_inner(&mut self, out: &mut [f32]) -> usize {
        let mut written = 0;
        while written < out.len() {
            if self.ready_pos >= self.ready.len() && !self.produce() {
                break;
            }
            if let Some(stop) = self.stop_at {
                if self.position() >= stop {
                    self.ready.clear();
                    self.ready_pos = 0;
                    self.input_done = true;
                    break;
                }
            }
            let n = (out.len() - written).min(self.ready.len() - self.ready_pos);
            let gain = if self.muted { 0.0 } else { self.volume };
            for (o, s) in out[written..written + n]
                .iter_mut()
                .zip(&self.ready[self.ready_pos..self.ready_pos + n])
            {
                *o = s * gain;
            }
            self.ready_pos += n;
            written += n;
        }
        written
    }

    /// Decodes and stretches the next block into `ready`; false when nothing more will come.
    fn produce(&mut self) -> bool {
        self.ready.clear();
        self.ready_pos = 0;
        loop {
            self.stretch.pull(&mut self.ready);
            if !self.ready.is_empty() {
                if let Some(l) = &mut self.limiter {
                    l.process(&mut self.ready);
                }
                return true;
            }
            if self.input_done {
                return false;
            }
            let mut n = self.decoder.read(&mut self.scratch);
            if n == 0 {
                self.input_done = true;
                self.stretch.finish();
                continue;
            }
            if let Some(trim) = &mut self.trim {
                let (kept, dropped) = trim.process(&mut self.scratch[..n]);
                if dropped > 0 {
                    match self.drops.back_mut() {
                        Some((at, d)) if *at == self.pushed_frames => *d += dropped,
                        _ => self.drops.push_back((self.pushed_frames, dropped)),
                    }
                }
                n = kept;
            }
            self.pushed_frames += (n / self.channels.max(1)) as u64;
            if n > 0 {
                self.stretch.push(&self.scratch[..n]);
            }
        }
    }
}
