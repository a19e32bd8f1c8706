//! `earmark-cli play`: plays an episode's local media (or streams it from its URL) through the
//! audio device with a one-line progress display, saving the position every two seconds and on
//! Ctrl-C, so even `kill -9` loses at most a couple of seconds.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use earmark_core::model::EpisodeId;
use earmark_core::playable::PLAYED_MARGIN_SECS;
use earmark_core::Library;
use earmark_player::engine::Media;
use earmark_player::{Output, State};

use crate::now;

/// How often the position is written while playing.
const SAVE_EVERY: Duration = Duration::from_secs(2);

fn parse_time(flag: &str, s: &str) -> Result<Duration> {
    earmark_core::feed::duration::parse(s)
        .map(Duration::from_secs_f64)
        .with_context(|| format!("--{flag} {s:?} is not a time (use 12:30, 1:02:03 or seconds)"))
}

/// How one play ended.
pub struct Played {
    /// 0 at the end or when stopped, 3 with no audio output, 4 for a damaged file.
    pub code: ExitCode,
    /// It played to its end (and was marked played): a playlist moves on.
    pub finished: bool,
}

/// The Ctrl-C flag: the handler can be installed once per process, and a playlist plays many
/// episodes, so each play clears the flag instead.
fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    if let Some(flag) = FLAG.get() {
        flag.store(false, Ordering::SeqCst);
        return Ok(Arc::clone(flag));
    }
    let flag = Arc::new(AtomicBool::new(false));
    let for_handler = Arc::clone(&flag);
    ctrlc::set_handler(move || for_handler.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    Ok(Arc::clone(FLAG.get_or_init(|| flag)))
}

/// Plays one episode; returns the exit code (0 at the end, 3 with no audio output, 4 for a damaged file).
pub fn run(lib: &mut Library, id: EpisodeId, from: Option<&str>, to: Option<&str>, speed: f64) -> Result<ExitCode> {
    Ok(play(lib, id, from, to, speed)?.code)
}

/// Plays one episode and says how it ended.
pub fn play(lib: &mut Library, id: EpisodeId, from: Option<&str>, to: Option<&str>, speed: f64) -> Result<Played> {
    if !(0.5..=3.0).contains(&speed) {
        bail!("--speed must be between 0.5 and 3.0");
    }
    let playable = lib.playable(id)?;
    let title = crate::term::clean(&playable.title).into_owned();
    let media = earmark_shell::media_of(playable.source);
    let start = match from {
        Some(f) => parse_time("from", f)?,
        None => Duration::from_secs_f64(playable.resume_secs),
    };
    let stop = to.map(|t| parse_time("to", t)).transpose()?;
    if let Some(stop) = stop {
        if stop <= start {
            bail!("--to must come after the start ({:.1} s)", start.as_secs_f64());
        }
    }

    let opened = media.open(speed, start);
    let (mut pipeline, stream) = if matches!(media, Media::Url { .. }) {
        opened.with_context(|| format!("streaming {} (download it with `earmark-cli download {}`)", title, id.0))?
    } else {
        opened?
    };
    pipeline.set_stop_at(stop);
    // The podcast's sound choices: shortened silences, even loudness and its boost.
    pipeline.set_trim_silence(
        playable
            .sound
            .trim_silence
            .then(earmark_player::trim::TrimSilence::default),
    );
    pipeline.set_gain_db(playable.sound.gain_db);
    let duration = pipeline.duration();
    let output = match Output::open_default() {
        Ok(o) => o,
        Err(e) => {
            say_err!(
                "earmark-cli: {e}. The position ({:.0} s) is kept; connect a device and try again.",
                start.as_secs_f64()
            );
            return Ok(Played {
                code: ExitCode::from(3),
                finished: false,
            });
        }
    };
    let playback = output.play(pipeline);

    let interrupted = interrupt_flag()?;
    let bar = indicatif::ProgressBar::new(duration.map_or(0, |d| d.as_millis() as u64));
    bar.set_style(
        indicatif::ProgressStyle::with_template("▶ {msg} [{bar:40}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let total = duration
        .map(earmark_player::decode::fmt_time)
        .unwrap_or_else(|| "?".into());
    let mut last_save = Instant::now();
    loop {
        let pos = playback.position();
        bar.set_position(pos.as_millis() as u64);
        let buffering = if playback.buffering() { "  buffering…" } else { "" };
        bar.set_message(format!(
            "{} / {}  {:.2}x  {}{buffering}",
            earmark_player::decode::fmt_time(pos),
            total,
            speed,
            title
        ));
        if last_save.elapsed() >= SAVE_EVERY {
            lib.save_position(id, pos.as_secs_f64(), now())?;
            crate::stats::record(lib, id, playback.take_heard(), 0)?;
            last_save = Instant::now();
        }
        if playback.state() == State::Ended || interrupted.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the device play out what it holds.
    std::thread::sleep(Duration::from_millis(250));
    playback.stop();
    bar.finish_and_clear();
    let pos = playback.position().as_secs_f64();
    lib.save_position(id, pos, now())?;
    crate::stats::record(lib, id, playback.take_heard(), 0)?;
    // Only a stream that arrived whole is kept (an unfinished one has nothing to save).
    if let Some(handle) = stream.as_ref().filter(|h| h.stats().complete) {
        keep_streamed(lib, id, handle);
    }
    if let Some(damage) = playback.damage() {
        say_err!("earmark-cli: playback stopped early: {damage}");
        return Ok(Played {
            code: ExitCode::from(4),
            finished: false,
        });
    }
    let at_end = duration.is_none_or(|d| pos >= d.as_secs_f64() - PLAYED_MARGIN_SECS);
    let finished = stop.is_none() && !interrupted.load(Ordering::SeqCst) && at_end;
    if finished {
        lib.finish_episode(id, now())?;
        crate::stats::record(lib, id, Default::default(), 1)?;
        say_err!("Finished {}.", title);
    } else {
        say_err!(
            "Stopped at {}.",
            earmark_player::decode::fmt_time(Duration::from_secs_f64(pos))
        );
    }
    Ok(Played {
        code: ExitCode::SUCCESS,
        finished,
    })
}

/// Keeps a stream that arrived whole as the episode's download, so it is not fetched again.
/// Failing to keep it costs nothing but a message: the listening already happened.
fn keep_streamed(lib: &mut Library, id: EpisodeId, handle: &earmark_player::stream::StreamHandle) {
    match lib.adopt_download(id, |dest| handle.save_complete(dest), now()) {
        Ok(Some(bytes)) => say_err!("Kept the streamed episode for offline listening ({bytes} bytes)."),
        Ok(None) => {}
        Err(e) => say_err!("earmark-cli: could not keep the streamed episode: {e}"),
    }
}
