//! Playing a pipeline through the audio device (Rodio), with controls that work from any thread.
//! The device pulls from an [`OutputSource`]; commands lock the shared pipeline briefly and never
//! across I/O other than a seek (which, in a stream, may wait for the network: see
//! [`Output::forgive_stall`]). Tests take the `OutputSource` themselves instead of a device.

use std::num::NonZero;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::PlayError;
use crate::pipeline::Pipeline;

/// Frames pulled from the pipeline at a time: small, so pause and seek are heard within ~10 ms.
const BLOCK_FRAMES: usize = 512;

/// Where a playback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Sound is coming out.
    Playing,
    /// Held; the device gets silence.
    Paused,
    /// The episode (or the `--to` segment) is over.
    Ended,
}

struct Inner {
    pipeline: Pipeline,
    state: State,
    stopped: bool,
    /// Frames handed to the device but not yet counted by the pipeline's position.
    buffered_frames: usize,
    /// A seek into a part of a stream that has not arrived, and when it was asked for: it is
    /// made once that part is here, by whoever pulls next, so no one holds the lock while the
    /// network is slow.
    pending_seek: Option<(Duration, Instant)>,
    /// A failure found while pulling (a seek made late that failed), for the engine to report.
    failure: Option<String>,
}

impl Inner {
    /// Playing, but silent until the network delivers (a late seek, or a stream running dry).
    fn buffering(&self) -> bool {
        self.state == State::Playing && (self.pending_seek.is_some() || self.pipeline.waiting())
    }
}

/// How long a seek waits for its part of a stream before it gives up (paused, at the old place).
const SEEK_WAIT: Duration = Duration::from_secs(20);

/// Device buffer in frames (about 93 ms at 44.1 kHz); the fallback path lets the device choose
/// when it cannot do this.
const BUFFER_FRAMES: u32 = 4096;

/// How long the device may stop pulling samples, after reporting errors, before it counts as
/// gone. Some sound servers report harmless errors while playing fine, so errors alone prove
/// nothing; a device that errs and stops asking for audio is gone.
/// Sound servers may hold seconds of audio and pull it in bursts, so the wait is generous.
const LOST_AFTER_SILENT_MS: u64 = 3000;

/// The audio device, opened once per process (and again after it went away).
pub struct Output {
    sink: rodio::MixerDeviceSink,
    /// Shared with the sources this device pulls.
    clock: PullClock,
}

impl Output {
    /// Opens the default output device. With no device at all this fails at once with
    /// `PlayError::NoOutput`, so the shells can say "no audio output" instead of crashing.
    pub fn open_default() -> Result<Self, PlayError> {
        let errors = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&errors);
        let builder = rodio::DeviceSinkBuilder::from_default_device()
            .map_err(|e| PlayError::NoOutput(e.to_string()))?
            // A short device buffer, so pause, seek and speed are heard at once: left to choose,
            // some systems (ALSA over PulseAudio) buffer two seconds ahead.
            .with_buffer_size(rodio::cpal::BufferSize::Fixed(BUFFER_FRAMES))
            .with_error_callback(move |e| {
                if count.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!("audio output error: {e}");
                }
            });
        let mut sink = builder
            .open_sink_or_fallback()
            .map_err(|e| PlayError::NoOutput(e.to_string()))?;
        sink.log_on_drop(false);
        Ok(Output {
            sink,
            clock: PullClock {
                base: Instant::now(),
                last_ms: Arc::new(AtomicU64::new(0)),
                errors,
                errors_at_pull: Arc::new(AtomicUsize::new(0)),
            },
        })
    }

    /// True once the device keeps failing (unplugged, sound server gone): the player should pause,
    /// keep the position, and open a device again when asked to play.
    pub fn lost(&self) -> bool {
        let c = &self.clock;
        let last = c.last_ms.load(Ordering::Relaxed);
        let now = c.base.elapsed().as_millis() as u64;
        let new_errors = c.errors.load(Ordering::Relaxed) > c.errors_at_pull.load(Ordering::Relaxed);
        new_errors && last > 0 && now.saturating_sub(last) > LOST_AFTER_SILENT_MS
    }

    /// Forgets a silence the player caused itself: a seek into a stream whose length or duration
    /// is unknown (so nothing can be fetched ahead of it) waits for the network while holding the
    /// playback, so the device cannot pull and may report underruns. Without this, a seek slower
    /// than [`LOST_AFTER_SILENT_MS`] would look like a vanished device.
    pub fn forgive_stall(&self) {
        self.clock.note_pull();
    }

    /// Starts playing `pipeline` on this device.
    pub fn play(&self, pipeline: Pipeline) -> Playback {
        self.start(pipeline, false)
    }

    /// [`Output::play`], or with `paused` set, ready at its position but silent until resumed:
    /// paused before the device can pull a single sample.
    pub fn start(&self, pipeline: Pipeline, paused: bool) -> Playback {
        let (playback, mut source) = Playback::headless(pipeline);
        if paused {
            playback.pause();
        }
        source.pulls = Some(self.clock.clone());
        self.clock.note_time();
        self.sink.mixer().add(source);
        playback
    }
}

/// Control over one playing episode. Cheap to clone; all clones control the same playback.
#[derive(Clone)]
pub struct Playback {
    inner: Arc<Mutex<Inner>>,
}

impl Playback {
    /// A playback with no device: the caller pulls samples from the returned source (tests,
    /// benchmarks, offline rendering).
    pub fn headless(pipeline: Pipeline) -> (Playback, OutputSource) {
        let channels = pipeline.channels().max(1);
        let rate = pipeline.sample_rate().max(1);
        let inner = Arc::new(Mutex::new(Inner {
            pipeline,
            state: State::Playing,
            stopped: false,
            buffered_frames: 0,
            pending_seek: None,
            failure: None,
        }));
        let source = OutputSource {
            pulls: None,
            inner: Arc::clone(&inner),
            buf: vec![0.0; BLOCK_FRAMES * channels],
            pos: BLOCK_FRAMES * channels,
            channels: NonZero::new(channels as u16).unwrap_or(NonZero::<u16>::MIN),
            rate: NonZero::new(rate).unwrap_or(NonZero::<u32>::MIN),
        };
        (Playback { inner }, source)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the pipeline usable; take it back.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.lock().state
    }

    /// Pauses (the position is kept).
    pub fn pause(&self) {
        let mut g = self.lock();
        if g.state == State::Playing {
            g.state = State::Paused;
        }
    }

    /// Resumes after a pause.
    pub fn resume(&self) {
        let mut g = self.lock();
        if g.state == State::Paused {
            g.state = State::Playing;
        }
    }

    /// Toggles between playing and paused.
    pub fn toggle(&self) {
        let mut g = self.lock();
        g.state = match g.state {
            State::Playing => State::Paused,
            State::Paused => State::Playing,
            State::Ended => State::Ended,
        };
    }

    /// Jumps to `to` (clamped to the episode); playing resumes there if it had ended. Into a
    /// part of a stream that has not arrived, the seek is only asked for: it returns at once,
    /// the listener hears silence (buffering) and the position shows `to` until that part is
    /// here, and pause, skip or another seek work meanwhile.
    pub fn seek(&self, to: Duration) -> Result<Duration, PlayError> {
        let mut g = self.lock();
        if g.state == State::Ended {
            g.state = State::Playing;
        }
        g.buffered_frames = 0;
        if g.pipeline.prefetch(to) == Some(false) {
            let to = g.pipeline.duration().map_or(to, |d| to.min(d));
            g.pending_seek = Some((to, Instant::now()));
            return Ok(to);
        }
        g.pending_seek = None;
        g.pipeline.seek(to)
    }

    /// A failure met while playing that the caller has not heard of yet (a seek made once its
    /// part of the stream arrived, which then failed, or that waited too long).
    pub fn take_failure(&self) -> Option<String> {
        self.lock().failure.take()
    }

    /// Skips forward (positive) or back (negative) by `secs`.
    pub fn skip(&self, secs: f64) -> Result<Duration, PlayError> {
        let now = self.position().as_secs_f64();
        self.seek(Duration::from_secs_f64((now + secs).max(0.0)))
    }

    /// The episode time being heard now (where a seek still waiting for the network will land).
    pub fn position(&self) -> Duration {
        let g = self.lock();
        if let Some((to, _)) = g.pending_seek {
            return to;
        }
        let behind = g.buffered_frames as f64 * g.pipeline.speed() / f64::from(g.pipeline.sample_rate().max(1));
        g.pipeline
            .position()
            .saturating_sub(Duration::from_secs_f64(behind.max(0.0)))
    }

    /// The episode's length, when known.
    pub fn duration(&self) -> Option<Duration> {
        self.lock().pipeline.duration()
    }

    /// Changes speed (0.5–3.0), pitch preserved.
    pub fn set_speed(&self, speed: f64) {
        self.lock().pipeline.set_speed(speed);
    }

    /// Current speed.
    pub fn speed(&self) -> f64 {
        self.lock().pipeline.speed()
    }

    /// Volume 0.0–1.0.
    pub fn set_volume(&self, volume: f32) {
        self.lock().pipeline.set_volume(volume);
    }

    /// Mutes or unmutes.
    pub fn set_muted(&self, muted: bool) {
        self.lock().pipeline.set_muted(muted);
    }

    /// Changes the pipeline while it plays (the engine's `Effects`), under the same lock as
    /// the output thread's reads.
    pub(crate) fn with_pipeline<R>(&self, f: impl FnOnce(&mut Pipeline) -> R) -> R {
        f(&mut self.lock().pipeline)
    }

    /// What was played since the last call (see [`crate::pipeline::Heard`]).
    pub fn take_heard(&self) -> crate::pipeline::Heard {
        self.lock().pipeline.take_heard()
    }

    /// Why playback ended early (damaged or truncated file), if it did.
    pub fn damage(&self) -> Option<String> {
        self.lock().pipeline.damage().map(str::to_owned)
    }

    /// Whether a streamed episode is waiting for the network (the listener hears silence).
    pub fn buffering(&self) -> bool {
        self.lock().buffering()
    }

    /// Stops for good: the device drops this source.
    pub fn stop(&self) {
        let mut g = self.lock();
        g.stopped = true;
        g.state = State::Ended;
    }
}

/// Where a device-driven source notes that it was pulled, for [`Output::lost`].
#[derive(Clone)]
struct PullClock {
    /// When the device was opened.
    base: Instant,
    /// Milliseconds after `base` of the device's last pull from a playback (0: none yet).
    last_ms: Arc<AtomicU64>,
    /// Errors the device reported.
    errors: Arc<AtomicUsize>,
    /// The error count at that last pull: only errors after it count.
    errors_at_pull: Arc<AtomicUsize>,
}

impl PullClock {
    /// A pull now.
    fn note_time(&self) {
        self.last_ms
            .store(self.base.elapsed().as_millis().max(1) as u64, Ordering::Relaxed);
    }

    /// A pull now, with every error so far behind it.
    fn note_pull(&self) {
        self.note_time();
        self.errors_at_pull
            .store(self.errors.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// The samples a device (or a test) pulls. It never runs dry while the playback lives: a paused
/// or ended playback yields silence, and `None` comes only after `stop`.
pub struct OutputSource {
    /// When a device pulls: where to note the time of each refill.
    pulls: Option<PullClock>,
    inner: Arc<Mutex<Inner>>,
    buf: Vec<f32>,
    pos: usize,
    channels: rodio::ChannelCount,
    rate: rodio::SampleRate,
}

impl OutputSource {
    fn refill(&mut self) -> bool {
        if let Some(p) = &self.pulls {
            p.note_pull();
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.stopped {
            return false;
        }
        self.pos = 0;
        // A seek waiting for its part of a stream is made once that part has arrived; until then
        // nothing is decoded, so the decoder's reads do not pull the fetcher back.
        if let Some((to, asked)) = g.pending_seek {
            if g.pipeline.source_ready() {
                g.pending_seek = None;
                if let Err(e) = g.pipeline.seek(to) {
                    g.failure = Some(format!("could not go to {}: {e}", crate::decode::fmt_time(to)));
                }
                // Should the seek still have read past what arrived, the device was not pulling
                // meanwhile: that silence is ours, not a lost device.
                if let Some(p) = &self.pulls {
                    p.note_pull();
                }
            } else if asked.elapsed() > SEEK_WAIT {
                g.pending_seek = None;
                g.state = State::Paused;
                g.failure = Some(format!(
                    "the server did not send the part at {} within {} s; paused where it was",
                    crate::decode::fmt_time(to),
                    SEEK_WAIT.as_secs()
                ));
            }
        }
        // A streamed source waiting for the network gets silence, not the end.
        let buffering = g.buffering();
        let n = if g.state == State::Playing && !buffering {
            g.pipeline.fill(&mut self.buf)
        } else {
            0
        };
        if g.state == State::Playing && !buffering && n == 0 {
            g.state = State::Ended;
        }
        self.buf[n..].fill(0.0);
        g.buffered_frames = n / usize::from(self.channels.get()).max(1);
        true
    }
}

impl Iterator for OutputSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.pos >= self.buf.len() && !self.refill() {
            return None;
        }
        let s = self.buf[self.pos];
        self.pos += 1;
        Some(s)
    }
}

impl rodio::Source for OutputSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        self.channels
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        self.rate
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}
