//! The player as an actor: one thread owns the audio device and the playing episode; the app sends
//! it commands over a channel and hears back through a callback (a tick four times a second, and
//! events for the end, errors, a missing device and a stream that arrived whole). A stream is
//! opened on a short-lived thread of its own, so a slow server never holds up the player thread.
//! The thread never touches the library: the shell decides what to save.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::decode::MediaDecoder;
use crate::output::{Output, Playback, State};
use crate::pipeline::{Heard, Pipeline};
use crate::stream::{open_pipeline, StreamConfig, StreamGuard, StreamHandle, StreamWatch};

/// How often a `Tick` reports the position while something is loaded.
const TICK: Duration = Duration::from_millis(250);

/// How much listening is gathered before it is reported while playing on; a pause, the end or an
/// unload reports what was gathered at once, so a crash loses at most this much of the statistics.
const HEARD_REPORT_SECS: f64 = 30.0;

/// What the app asks of the player.
#[derive(Debug, Clone)]
pub enum Command {
    /// Plays `media` from `start`: a local file at once, a URL (HTTP or HTTPS) streamed once
    /// enough has arrived, a seek ahead asking the server for just that part. `tag` comes back in
    /// every event (the episode id).
    Play {
        /// Opaque id of what is playing.
        tag: i64,
        /// Where the bytes come from.
        media: Media,
        /// Where to begin.
        start: Duration,
        /// Title for status displays.
        title: String,
        /// Load it ready at `start` but do not start the sound (a link from outside the app
        /// opens an episode; playing waits for the listener).
        paused: bool,
        /// How it should sound (the podcast's own settings).
        effects: Effects,
    },
    /// Pause or resume.
    Toggle,
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Jump to a time.
    Seek(Duration),
    /// Jump by seconds (negative: back).
    Skip(f64),
    /// Jump back by the listener's skip-back length (the player bar, the arrow keys, the media keys).
    SkipBack,
    /// Jump ahead by the listener's skip-forward length.
    SkipForward,
    /// The listener's skip lengths, kept here so every way of skipping uses the same ones.
    SkipLengths {
        /// How far `SkipBack` goes.
        back: Duration,
        /// How far `SkipForward` goes.
        forward: Duration,
    },
    /// Playback speed, 0.5–3.0, pitch kept.
    Speed(f64),
    /// Volume 0–1.
    Volume(f32),
    /// Mute on or off.
    Mute(bool),
    /// Unload.
    Stop,
    /// Set or clear the sleep timer.
    Sleep(SleepTimer),
    /// How episode `tag` should sound now (its loudness was just measured, or its podcast's
    /// choices changed): applied at once if it is loaded or opening, else ignored.
    Effects {
        /// The episode it is for.
        tag: i64,
        /// How it should sound.
        effects: Effects,
    },
}

/// How the listener wants an episode to sound, chosen per podcast and sent with each `Play`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Effects {
    /// Shorten silences longer than half a second (see [`crate::trim`]).
    pub trim_silence: bool,
    /// Gain in dB (even loudness and the podcast's boost), limited so it never clips.
    pub gain_db: f64,
}

impl Effects {
    /// Applies them to a pipeline, new or playing: the trimmer is only made or dropped when
    /// trimming turns on or off, and a running limiter keeps its state.
    pub fn apply(&self, pipeline: &mut Pipeline) {
        if pipeline.trims_silence() != self.trim_silence {
            pipeline.set_trim_silence(self.trim_silence.then(crate::trim::TrimSilence::default));
        }
        pipeline.set_gain_db(self.gain_db);
    }
}

/// When playback should stop by itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SleepTimer {
    /// No timer.
    Off,
    /// Pause after this long.
    After(Duration),
    /// Stop at the end of the current episode (the queue does not move on).
    EndOfEpisode,
}

/// What the player is doing, sent with every tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The loaded episode's tag, if any.
    pub tag: Option<i64>,
    /// Its title.
    pub title: String,
    /// Playing, paused or ended; `None` when nothing is loaded.
    pub state: Option<State>,
    /// Position in the episode.
    pub position: Duration,
    /// Length, when known.
    pub duration: Option<Duration>,
    /// Current speed.
    pub speed: f64,
    /// Current volume.
    pub volume: f32,
    /// Whether muted.
    pub muted: bool,
    /// Time left on a sleep timer, if one runs.
    pub sleep_remaining: Option<Duration>,
    /// Whether playback stops at the end of this episode.
    pub sleep_at_end: bool,
    /// A streamed episode is waiting for the network.
    pub buffering: bool,
    /// Whether the loaded episode is streamed rather than read from a local file.
    pub streaming: bool,
}

/// What the player tells the app.
#[derive(Debug, Clone)]
pub enum Event {
    /// Four times a second while something is loaded, and after every command.
    Tick(Status),
    /// The episode played to its end (or stopped early with `damage`).
    Ended {
        /// The episode.
        tag: i64,
        /// Why it stopped early, if it did.
        damage: Option<String>,
        /// The sleep timer asked to stop here: do not move on to the next episode.
        stop_here: bool,
    },
    /// Pause, stop or a new load: the moment to save the position of `tag`.
    Checkpoint {
        /// The episode.
        tag: i64,
        /// Where it is.
        position: Duration,
    },
    /// Loading or seeking failed.
    Error(String),
    /// No audio device could be opened; the app shows "no audio output".
    NoOutput(String),
    /// Sound was played: the shell adds it to the listening statistics. Sent every half minute
    /// of playing, and on pause, end or unload, always before the `Ended` it leads to.
    Listened {
        /// The episode.
        tag: i64,
        /// How long, and how much of the episode.
        heard: Heard,
    },
    /// A streamed episode began to play from this stream: the shell may read it too (a video
    /// episode's picture) while the engine holds it. Sent each time a stream's pipeline starts.
    StreamOpened {
        /// The episode.
        tag: i64,
        /// The stream, held weakly.
        stream: StreamWatch,
    },
    /// Every byte of a streamed episode has arrived: the app may keep it as the download
    /// ([`StreamHandle::save_complete`]). Sent once per stream.
    Streamed {
        /// The episode.
        tag: i64,
        /// The stream, to save from.
        stream: StreamHandle,
    },
}

/// Handle to the player thread; dropping every handle ends the thread.
#[derive(Clone)]
pub struct Engine {
    tx: Sender<Command>,
}

impl Engine {
    /// Starts the player thread. `on_event` runs on that thread: keep it quick (send it on).
    pub fn spawn(on_event: impl Fn(Event) + Send + 'static) -> Engine {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("earmark-player".into())
            .spawn(move || run(rx, on_event))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the player thread: {e}"));
        Engine { tx }
    }

    /// Sends a command; false when the player thread is gone.
    pub fn send(&self, cmd: Command) -> bool {
        self.tx.send(cmd).is_ok()
    }
}

/// Where an episode's bytes come from: the engine keeps it to reopen the episode on a new device,
/// and the CLI opens through it too.
#[derive(Debug, Clone)]
pub enum Media {
    /// A local file (a download, or a `file://` enclosure).
    File(PathBuf),
    /// An HTTP(S) URL, streamed; the temporary copy goes in `cache_dir` (else the system's).
    Url {
        /// The media URL.
        url: String,
        /// Where the temporary copy is made.
        cache_dir: Option<PathBuf>,
        /// Addresses the stream must stay off (see [`crate::stream::StreamGuard`]).
        guard: Option<StreamGuard>,
    },
}

impl Media {
    /// Opens the media at `speed` and positions it at `start`; a stream also gives its handle.
    pub fn open(&self, speed: f64, start: Duration) -> Result<(Pipeline, Option<StreamHandle>), crate::PlayError> {
        let (mut pipeline, stream) = match self {
            Media::File(path) => (Pipeline::new(MediaDecoder::open(path)?, speed), None),
            Media::Url { url, cache_dir, guard } => {
                let cfg = StreamConfig {
                    cache_dir: cache_dir.clone(),
                    guard: guard.clone(),
                    ..StreamConfig::default()
                };
                let (p, h) = open_pipeline(url, cfg, speed)?;
                (p, Some(h))
            }
        };
        if start > Duration::ZERO {
            pipeline.seek(start)?;
        }
        Ok((pipeline, stream))
    }
}

struct Loaded {
    tag: i64,
    title: String,
    media: Media,
    effects: Effects,
    /// The stream behind a streamed episode, until it is reported complete.
    stream: Option<StreamHandle>,
    playback: Playback,
    ended_reported: bool,
    /// Listening gathered but not yet reported.
    heard: Heard,
    /// The device went away under this playback: resuming rebuilds it on a new device.
    orphaned: bool,
}

struct Settings {
    speed: f64,
    volume: f32,
    muted: bool,
    sleep_deadline: Option<Instant>,
    sleep_at_end: bool,
    /// How far `SkipBack` and `SkipForward` jump.
    skip_back: Duration,
    skip_forward: Duration,
    /// A stream being opened on its own thread (connecting, probing), if any.
    opening: Option<Opening>,
    /// Numbers the openings, so a late answer for a stream no longer wanted is dropped.
    token: u64,
    /// Where opening threads send their pipelines.
    opened: Sender<Opened>,
}

/// A stream being opened off the player thread: a slow or silent server must not hold up pause,
/// stop or the status ticks.
struct Opening {
    token: u64,
    tag: i64,
    title: String,
    media: Media,
    effects: Effects,
    /// Where playback should begin (a seek while opening moves it).
    start: Duration,
    /// Where the opening thread positions the stream.
    opened_at: Duration,
    /// Paused (or toggled) while opening: start paused.
    paused: bool,
}

/// What an opening thread reports.
struct Opened {
    token: u64,
    result: Result<(Pipeline, Option<StreamHandle>), crate::PlayError>,
}

/// The skip lengths until a shell sends the listener's own: 10 s back, 30 s forward.
const DEFAULT_SKIP_BACK: Duration = Duration::from_secs(10);
const DEFAULT_SKIP_FORWARD: Duration = Duration::from_secs(30);

fn run(rx: Receiver<Command>, on_event: impl Fn(Event)) {
    let mut output: Option<Output> = None;
    let mut loaded: Option<Loaded> = None;
    let (opened_tx, opened_rx) = mpsc::channel::<Opened>();
    let mut settings = Settings {
        speed: 1.0,
        volume: 1.0,
        muted: false,
        sleep_deadline: None,
        sleep_at_end: false,
        skip_back: DEFAULT_SKIP_BACK,
        skip_forward: DEFAULT_SKIP_FORWARD,
        opening: None,
        token: 0,
        opened: opened_tx,
    };
    let mut last_tick = Instant::now();
    loop {
        // While a stream opens, look for its answer often; otherwise wake for the ticks.
        let wait = if settings.opening.is_some() {
            Duration::from_millis(10)
        } else {
            TICK
        };
        let mut changed = false;
        match rx.recv_timeout(wait) {
            Ok(cmd) => {
                handle(cmd, &mut output, &mut loaded, &mut settings, &on_event);
                changed = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Ok(done) = opened_rx.try_recv() {
            // Only the open last asked for; an earlier one that finishes late is dropped and leaves
            // the current open in place.
            if let Some(o) = settings.opening.take_if(|o| o.token == done.token) {
                changed = true;
                match done.result {
                    Ok((mut pipeline, stream)) => {
                        let paused = o.paused;
                        if o.start != o.opened_at {
                            if let Err(e) = pipeline.seek(o.start) {
                                on_event(Event::Error(e.to_string()));
                            }
                        }
                        play(
                            o.tag,
                            o.title,
                            (o.media, o.effects),
                            (pipeline, stream),
                            paused,
                            &mut output,
                            &mut loaded,
                            &mut settings,
                            &on_event,
                        );
                    }
                    Err(e) => on_event(Event::Error(e.to_string())),
                }
            }
        }
        if output.as_ref().is_some_and(Output::lost) {
            output = None;
            if let Some(l) = &mut loaded {
                l.playback.pause();
                l.orphaned = true;
                tracing::warn!(position = ?l.playback.position(), "audio device lost; paused");
                on_event(Event::Checkpoint {
                    tag: l.tag,
                    position: l.playback.position(),
                });
            }
            on_event(Event::NoOutput("the audio device went away".into()));
        }
        if let Some(l) = &mut loaded {
            l.heard.add(l.playback.take_heard());
            if l.heard.wall_secs >= HEARD_REPORT_SECS || (l.playback.state() != State::Playing && !l.heard.is_empty()) {
                report_heard(l, &on_event);
            }
            if let Some(why) = l.playback.take_failure() {
                on_event(Event::Error(why));
            }
            if let Some(stream) = l.stream.take_if(|h| h.stats().complete) {
                on_event(Event::Streamed { tag: l.tag, stream });
            }
            if l.playback.state() == State::Ended && !l.ended_reported {
                l.ended_reported = true;
                let stop_here = std::mem::take(&mut settings.sleep_at_end);
                on_event(Event::Ended {
                    tag: l.tag,
                    damage: l.playback.damage(),
                    stop_here,
                });
            }
            if settings.sleep_deadline.is_some_and(|d| Instant::now() >= d) {
                settings.sleep_deadline = None;
                if l.playback.state() == State::Playing {
                    l.playback.pause();
                    on_event(Event::Checkpoint {
                        tag: l.tag,
                        position: l.playback.position(),
                    });
                }
            }
        }
        if changed || last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            on_event(Event::Tick(status(&loaded, &settings)));
        }
    }
    unload(&mut loaded, &on_event);
}

/// Stops what plays, first reporting its place so the app can save it.
fn unload(loaded: &mut Option<Loaded>, on_event: &impl Fn(Event)) {
    if let Some(mut old) = loaded.take() {
        old.heard.add(old.playback.take_heard());
        report_heard(&mut old, on_event);
        on_event(Event::Checkpoint {
            tag: old.tag,
            position: old.playback.position(),
        });
        old.playback.stop();
    }
}

/// Reports the listening gathered for `l`, if any.
fn report_heard(l: &mut Loaded, on_event: &impl Fn(Event)) {
    let heard = std::mem::take(&mut l.heard);
    if !heard.is_empty() {
        on_event(Event::Listened { tag: l.tag, heard });
    }
}

fn status(loaded: &Option<Loaded>, s: &Settings) -> Status {
    match loaded {
        Some(l) => Status {
            tag: Some(l.tag),
            title: l.title.clone(),
            state: Some(l.playback.state()),
            position: l.playback.position(),
            duration: l.playback.duration(),
            speed: s.speed,
            volume: s.volume,
            muted: s.muted,
            sleep_remaining: s.sleep_deadline.map(|d| d.saturating_duration_since(Instant::now())),
            sleep_at_end: s.sleep_at_end,
            buffering: l.playback.buffering(),
            streaming: matches!(l.media, Media::Url { .. }),
        },
        None => Status {
            tag: s.opening.as_ref().map(|o| o.tag),
            title: s.opening.as_ref().map(|o| o.title.clone()).unwrap_or_default(),
            state: s
                .opening
                .as_ref()
                .map(|o| if o.paused { State::Paused } else { State::Playing }),
            position: s.opening.as_ref().map_or(Duration::ZERO, |o| o.start),
            duration: None,
            speed: s.speed,
            volume: s.volume,
            muted: s.muted,
            sleep_remaining: s.sleep_deadline.map(|d| d.saturating_duration_since(Instant::now())),
            sleep_at_end: s.sleep_at_end,
            buffering: s.opening.is_some(),
            streaming: s.opening.is_some(),
        },
    }
}

fn handle(
    cmd: Command,
    output: &mut Option<Output>,
    loaded: &mut Option<Loaded>,
    s: &mut Settings,
    on_event: &impl Fn(Event),
) {
    match cmd {
        Command::Play {
            tag,
            media,
            start,
            title,
            paused,
            effects,
        } => load(tag, (media, effects), start, title, paused, output, loaded, s, on_event),
        Command::SkipBack => {
            let by = -s.skip_back.as_secs_f64();
            handle(Command::Skip(by), output, loaded, s, on_event);
        }
        Command::SkipForward => {
            let by = s.skip_forward.as_secs_f64();
            handle(Command::Skip(by), output, loaded, s, on_event);
        }
        Command::SkipLengths { back, forward } => {
            s.skip_back = back;
            s.skip_forward = forward;
        }
        Command::Stop if s.opening.is_some() => s.opening = None,
        Command::Toggle | Command::Pause | Command::Resume if s.opening.is_some() => {
            if let Some(o) = &mut s.opening {
                o.paused = match cmd {
                    Command::Pause => true,
                    Command::Resume => false,
                    _ => !o.paused,
                };
            }
        }
        Command::Seek(to) if s.opening.is_some() => {
            if let Some(o) = &mut s.opening {
                o.start = to;
            }
        }
        Command::Sleep(timer) => {
            s.sleep_deadline = match timer {
                SleepTimer::After(d) => Some(Instant::now() + d),
                _ => None,
            };
            s.sleep_at_end = timer == SleepTimer::EndOfEpisode;
        }
        Command::Stop => unload(loaded, on_event),
        Command::Speed(v) => {
            s.speed = v.clamp(0.5, 3.0);
            if let Some(l) = loaded {
                l.playback.set_speed(s.speed);
            }
        }
        Command::Volume(v) => {
            s.volume = if v.is_finite() { v.clamp(0.0, 1.0) } else { 1.0 };
            if let Some(l) = loaded {
                l.playback.set_volume(s.volume);
            }
        }
        Command::Mute(m) => {
            s.muted = m;
            if let Some(l) = loaded {
                l.playback.set_muted(m);
            }
        }
        Command::Effects { tag, effects } => {
            if let Some(l) = loaded.as_mut().filter(|l| l.tag == tag) {
                l.effects = effects;
                l.playback.with_pipeline(|p| effects.apply(p));
            }
            if let Some(o) = s.opening.as_mut().filter(|o| o.tag == tag) {
                o.effects = effects;
            }
        }
        Command::Toggle | Command::Resume if loaded.as_ref().is_some_and(|l| l.orphaned) => {
            // Play again after the device went away: a new device, the same place.
            if let Some(l) = loaded.take() {
                let at = l.playback.position();
                l.playback.stop();
                load(
                    l.tag,
                    (l.media, l.effects),
                    at,
                    l.title,
                    false,
                    output,
                    loaded,
                    s,
                    on_event,
                );
            }
        }
        other => {
            let Some(l) = loaded else { return };
            let result = match other {
                Command::Toggle => {
                    l.playback.toggle();
                    Ok(())
                }
                Command::Pause => {
                    l.playback.pause();
                    Ok(())
                }
                Command::Resume => {
                    l.playback.resume();
                    Ok(())
                }
                Command::Seek(to) => l.playback.seek(to).map(|_| ()),
                Command::Skip(by) => l.playback.skip(by).map(|_| ()),
                _ => Ok(()),
            };
            if let (Command::Seek(_) | Command::Skip(_), Some(out)) = (&other, output.as_ref()) {
                out.forgive_stall();
            }
            if l.playback.state() != State::Ended {
                l.ended_reported = false;
            }
            if l.playback.state() == State::Paused {
                on_event(Event::Checkpoint {
                    tag: l.tag,
                    position: l.playback.position(),
                });
            }
            if let Err(e) = result {
                on_event(Event::Error(e.to_string()));
            }
        }
    }
}

/// Unloads what plays (saving its place), opens `media` at `start` and plays it. A local file
/// opens here at once; a stream opens on its own thread and plays when it is ready.
#[allow(clippy::too_many_arguments)]
fn load(
    tag: i64,
    (media, effects): (Media, Effects),
    start: Duration,
    title: String,
    paused: bool,
    output: &mut Option<Output>,
    loaded: &mut Option<Loaded>,
    s: &mut Settings,
    on_event: &impl Fn(Event),
) {
    unload(loaded, on_event);
    s.opening = None;
    if matches!(media, Media::Url { .. }) {
        s.token += 1;
        let token = s.token;
        let (speed, to_open, done) = (s.speed, media.clone(), s.opened.clone());
        let spawned = std::thread::Builder::new()
            .name("earmark-stream-open".into())
            .spawn(move || {
                let result = to_open.open(speed, start);
                let _ = done.send(Opened { token, result });
            });
        match spawned {
            Ok(_) => {
                s.opening = Some(Opening {
                    token,
                    tag,
                    title,
                    media,
                    effects,
                    start,
                    opened_at: start,
                    paused,
                })
            }
            Err(e) => on_event(Event::Error(format!("cannot start streaming: {e}"))),
        }
        return;
    }
    match media.open(s.speed, start) {
        Ok(opened) => play(
            tag,
            title,
            (media, effects),
            opened,
            paused,
            output,
            loaded,
            s,
            on_event,
        ),
        Err(e) => on_event(Event::Error(e.to_string())),
    }
}

/// Plays an opened pipeline with the current speed, volume and mute.
#[allow(clippy::too_many_arguments)]
fn play(
    tag: i64,
    title: String,
    (media, effects): (Media, Effects),
    (mut pipeline, stream): (Pipeline, Option<StreamHandle>),
    paused: bool,
    output: &mut Option<Output>,
    loaded: &mut Option<Loaded>,
    s: &mut Settings,
    on_event: &impl Fn(Event),
) {
    pipeline.set_speed(s.speed);
    pipeline.set_volume(s.volume);
    pipeline.set_muted(s.muted);
    effects.apply(&mut pipeline);
    // The device is opened on first use and again after it failed, so plugging one in helps.
    if output.is_none() {
        match Output::open_default() {
            Ok(o) => *output = Some(o),
            Err(e) => return on_event(Event::NoOutput(e.to_string())),
        }
    }
    if let Some(out) = output {
        if let Some(h) = &stream {
            on_event(Event::StreamOpened { tag, stream: h.watch() });
        }
        let playback = out.start(pipeline, paused);
        *loaded = Some(Loaded {
            tag,
            title,
            media,
            effects,
            stream,
            playback,
            ended_reported: false,
            heard: Heard::default(),
            orphaned: false,
        });
    }
}
