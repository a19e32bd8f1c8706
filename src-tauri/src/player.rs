//! Wires the playback engine to the window: engine events become `player` events for the UI,
//! positions are saved by a thread of their own (the player thread never touches the library),
//! and the commands here turn UI requests into engine commands.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use earmark_core::chapters::{self, Chapter, ChapterSources};
use earmark_core::model::{DownloadState, EpisodeId};
use earmark_core::playlists::PlaylistId;
use earmark_core::skip::SkipLengths;
use earmark_core::{ErrorCode, Library};
use earmark_player::engine::{Command, Effects, Engine, Event, SleepTimer, Status};
use earmark_player::State as PlayState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::access::{blocking, lock, read, write};
use crate::ipc::ApiError;
use crate::AppState;

/// How often the position is saved while playing.
const SAVE_EVERY: Duration = Duration::from_secs(5);

/// What the player is doing, as the bar and the video pane branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BarState {
    /// Nothing is loaded.
    Idle,
    /// Sound is coming out (or waiting for the network, see `buffering`).
    Playing,
    /// Paused by the listener.
    Paused,
    /// The episode played to its end.
    Ended,
}

/// What the player bar shows; pushed as the `player` event four times a second.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PlayerStatus {
    /// The loaded episode.
    #[ts(type = "number | null")]
    pub episode_id: Option<i64>,
    /// Its title.
    pub title: String,
    /// What the player is doing.
    pub state: BarState,
    /// Position in seconds.
    pub position_secs: f64,
    /// Length in seconds, when known.
    pub duration_secs: Option<f64>,
    /// Speed (0.5–3.0).
    pub speed: f64,
    /// Volume (0–1).
    pub volume: f32,
    /// Muted.
    pub muted: bool,
    /// Seconds left on the sleep timer, if one runs.
    pub sleep_remaining_secs: Option<f64>,
    /// Whether playback stops at the end of this episode.
    pub sleep_at_end: bool,
    /// A streamed episode is waiting for the network.
    pub buffering: bool,
    /// The episode plays from its URL rather than a local file.
    pub streaming: bool,
    /// The title of the chapter playing (empty when untitled), if the episode has chapters and
    /// the position is in one.
    pub chapter: Option<String>,
    /// The episode has chapters, so the chapter buttons and keys do something.
    pub has_chapters: bool,
}

impl From<&Status> for PlayerStatus {
    fn from(s: &Status) -> Self {
        PlayerStatus {
            episode_id: s.tag,
            title: s.title.clone(),
            state: match s.state {
                None => BarState::Idle,
                Some(PlayState::Playing) => BarState::Playing,
                Some(PlayState::Paused) => BarState::Paused,
                Some(PlayState::Ended) => BarState::Ended,
            },
            position_secs: s.position.as_secs_f64(),
            duration_secs: s.duration.map(|d| d.as_secs_f64()),
            speed: s.speed,
            volume: s.volume,
            muted: s.muted,
            sleep_remaining_secs: s.sleep_remaining.map(|d| d.as_secs_f64()),
            sleep_at_end: s.sleep_at_end,
            buffering: s.buffering,
            streaming: s.streaming,
            chapter: None,
            has_chapters: false,
        }
    }
}

/// A request from the player bar or the keyboard.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PlayerCommand {
    /// Play or pause.
    Toggle,
    /// Jump to a time.
    Seek {
        /// Seconds from the start.
        secs: f64,
    },
    /// Jump back by the listener's skip-back length.
    SkipBack,
    /// Jump forward by the listener's skip-forward length.
    SkipForward,
    /// Change speed.
    Speed {
        /// 0.5–3.0.
        value: f64,
    },
    /// Change volume.
    Volume {
        /// 0–1.
        value: f32,
    },
    /// Mute or unmute.
    Mute {
        /// True to mute.
        on: bool,
    },
    /// Stop and unload.
    Stop,
    /// To the next chapter's start.
    ChapterNext,
    /// To this chapter's start if more than 3 s in, else the one before.
    ChapterPrevious,
    /// Sleep timer: pause after `minutes`, or stop at the end of the episode; neither turns it off.
    Sleep {
        /// Minutes from now, or null.
        minutes: Option<f64>,
        /// Stop when this episode ends.
        end_of_episode: bool,
    },
}

/// An error from the player, pushed as the `player-error` event.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PlayerError {
    /// `no_output`, `playback`, or why the next episode could not be loaded.
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
}

enum Save {
    Position(i64, f64),
    /// An episode ended; `advance` says whether the queue moves on.
    Finished(i64, bool),
    /// A streamed episode arrived whole: keep it as the download.
    Streamed(i64, earmark_player::stream::StreamHandle),
    /// Sound played: add it to the listening statistics.
    Listened(i64, earmark_player::pipeline::Heard),
}

/// The playlist playback started from, if any: when an episode ends, the next one in it plays
/// (before "up next", which takes over once the playlist is done).
#[derive(Clone, Default)]
pub struct PlayingFrom(Arc<Mutex<Option<PlaylistId>>>);

impl PlayingFrom {
    fn set(&self, to: Option<PlaylistId>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    fn get(&self) -> Option<PlaylistId> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The episode the engine has loaded, from its ticks: what a change of sound (a loudness just
/// measured, a podcast's new settings) is for, so it is heard at once instead of from the next play;
/// and its chapters with the last position heard, so the bar's current chapter and the chapter keys
/// follow the core's rules instead of the page working them out.
#[derive(Clone, Default)]
pub struct NowPlaying(Arc<Mutex<Loaded>>);

#[derive(Default)]
struct Loaded {
    tag: Option<i64>,
    position_secs: f64,
    chapters: Vec<Chapter>,
}

impl NowPlaying {
    fn loaded(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a tick; true when the loaded episode changed, so its chapters are to be read.
    fn tick(&self, tag: Option<i64>, position_secs: f64) -> bool {
        let mut now = self.loaded();
        now.position_secs = position_secs;
        if now.tag == tag {
            return false;
        }
        now.tag = tag;
        now.chapters.clear();
        tag.is_some()
    }

    /// Keeps the chapters read for episode `tag`, unless another episode was loaded meanwhile.
    fn set_chapters(&self, tag: i64, chapters: Vec<Chapter>) {
        let mut now = self.loaded();
        if now.tag == Some(tag) {
            now.chapters = chapters;
        }
    }

    /// The chapters already read for episode `tag` when it is the one loaded, so its page does
    /// not read (or fetch) them a second time.
    fn chapters_of(&self, tag: i64) -> Option<Vec<Chapter>> {
        let now = self.loaded();
        (now.tag == Some(tag) && !now.chapters.is_empty()).then(|| now.chapters.clone())
    }

    /// The loaded episode, if any.
    pub fn get(&self) -> Option<i64> {
        self.loaded().tag
    }

    /// The title of the chapter playing (empty for an untitled one), and whether there are chapters.
    fn chapter(&self) -> (Option<String>, bool) {
        let now = self.loaded();
        let title = chapters::current(&now.chapters, now.position_secs).map(|i| now.chapters[i].title.clone());
        (title, !now.chapters.is_empty())
    }

    /// Where "next chapter" (or "previous") goes from the last position heard: `None` past the
    /// last chapter; previous before the first chapter is the episode's start.
    fn chapter_jump(&self, forward: bool) -> Option<Duration> {
        let now = self.loaded();
        if now.chapters.is_empty() {
            return None;
        }
        let target = if forward {
            chapters::next_start(&now.chapters, now.position_secs)?
        } else {
            chapters::previous_start(&now.chapters, now.position_secs).unwrap_or(0.0)
        };
        Some(Duration::from_secs_f64(target))
    }
}

/// Reads episode `tag`'s chapters off the player's thread (a chapters document may be fetched) and
/// hands them to `now` if that episode is still the one loaded.
fn read_chapters(app: &AppHandle, tag: i64, now: NowPlaying) {
    let Some(state) = app.try_state::<Arc<AppState>>() else {
        return;
    };
    let state = Arc::clone(&state);
    let spawned = std::thread::Builder::new()
        .name("earmark-chapters".into())
        .spawn(move || {
            let sources = match lock(&state.library).map(|lib| ChapterSources::of(&lib, EpisodeId(tag))) {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return tracing::warn!("chapters of episode {tag}: {e}"),
                Err(e) => return tracing::warn!("chapters of episode {tag}: {}", e.message),
            };
            match state.config.fetcher() {
                Ok(fetcher) => now.set_chapters(tag, sources.read(&fetcher)),
                Err(e) => tracing::warn!("chapters of episode {tag}: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot read chapters: {e}");
    }
}

/// The engine command that makes episode `id` sound as the library now says (its podcast's
/// trimming and boost, its measured loudness); the engine ignores it unless `id` is loaded.
pub fn effects_command(lib: &Library, id: i64) -> earmark_core::Result<Command> {
    let sound = lib.episode_sound(EpisodeId(id))?;
    Ok(Command::Effects {
        tag: id,
        effects: Effects {
            trim_silence: sound.trim_silence,
            gain_db: sound.gain_db,
        },
    })
}

/// The engine's command for the listener's skip lengths (sent at start and on each change).
pub fn skip_lengths_command(lengths: SkipLengths) -> Command {
    Command::SkipLengths {
        back: Duration::from_secs(u64::from(lengths.back_secs)),
        forward: Duration::from_secs(u64::from(lengths.forward_secs)),
    }
}

/// Starts the engine (with the listener's skip lengths) and the saver; returns the engine handle
/// to keep in the app state.
pub fn start(
    app: AppHandle,
    library_dir: PathBuf,
    skip: SkipLengths,
    from: PlayingFrom,
    (playing_stream, now_playing): (crate::video_server::PlayingStream, NowPlaying),
    on_pause: impl Fn() + Send + Sync + 'static,
) -> Engine {
    let (save_tx, save_rx) = mpsc::channel::<Save>();
    let engine_cell: Arc<OnceLock<Engine>> = Arc::new(OnceLock::new());
    let saver_engine = Arc::clone(&engine_cell);
    let saver_app = app.clone();
    std::thread::Builder::new()
        .name("earmark-saver".into())
        .spawn(move || saver(library_dir, save_rx, saver_engine, saver_app, from))
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!("cannot start the position saver: {e}"));
    let last_save = Mutex::new(Instant::now());
    let mpris_cell: Arc<OnceLock<crate::mpris::Mpris>> = Arc::new(OnceLock::new());
    let mpris_for_events = Arc::clone(&mpris_cell);
    let engine = Engine::spawn(move |event| match event {
        Event::Tick(status) => {
            if now_playing.tick(status.tag, status.position.as_secs_f64()) {
                if let Some(tag) = status.tag {
                    read_chapters(&app, tag, now_playing.clone());
                }
            }
            let mut bar = PlayerStatus::from(&status);
            (bar.chapter, bar.has_chapters) = now_playing.chapter();
            let _ = app.emit("player", bar);
            if let Some(m) = mpris_for_events.get() {
                m.update(&status);
            }
            if let (Some(tag), Some(PlayState::Playing)) = (status.tag, status.state) {
                let mut last = last_save.lock().unwrap_or_else(|p| p.into_inner());
                if last.elapsed() >= SAVE_EVERY {
                    *last = Instant::now();
                    let _ = save_tx.send(Save::Position(tag, status.position.as_secs_f64()));
                }
            }
        }
        Event::Checkpoint { tag, position } => {
            let _ = save_tx.send(Save::Position(tag, position.as_secs_f64()));
            // Pause, stop or another episode: the place is worth sending to other devices.
            on_pause();
        }
        Event::Ended {
            tag,
            damage: None,
            stop_here,
        } => {
            let _ = save_tx.send(Save::Finished(tag, !stop_here));
        }
        Event::Ended { damage: Some(why), .. } => {
            let _ = app.emit(
                "player-error",
                PlayerError {
                    code: ErrorCode::Playback,
                    message: format!("Playback stopped early: {why}"),
                },
            );
        }
        Event::Error(message) => {
            let _ = app.emit(
                "player-error",
                PlayerError {
                    code: ErrorCode::Playback,
                    message,
                },
            );
        }
        Event::StreamOpened { tag, stream } => playing_stream.set(tag, stream),
        Event::Streamed { tag, stream } => {
            let _ = save_tx.send(Save::Streamed(tag, stream));
        }
        Event::Listened { tag, heard } => {
            let _ = save_tx.send(Save::Listened(tag, heard));
        }
        Event::NoOutput(why) => {
            let _ = app.emit(
                "player-error",
                PlayerError {
                    code: ErrorCode::NoOutput,
                    message: format!("No audio output ({why}). Connect headphones or speakers and press play again."),
                },
            );
        }
    });
    engine.send(skip_lengths_command(skip));
    let _ = engine_cell.set(engine.clone());
    // Registering with the desktop can take a while (with no session bus, D-Bus first tries to
    // launch one), and the window need not wait: the controls join when they are ready.
    std::thread::Builder::new()
        .name("earmark-mpris".into())
        .spawn(move || {
            if let Some(m) = crate::mpris::start(engine_cell) {
                let _ = mpris_cell.set(m);
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::warn!("no desktop media controls: {e}"));
    engine
}

/// The one writer of listening state off the player thread: saves positions; when an episode
/// finishes, marks it played and starts the next in the queue; keeps a stream that arrived whole.
fn saver(dir: PathBuf, rx: mpsc::Receiver<Save>, engine: Arc<OnceLock<Engine>>, app: AppHandle, from: PlayingFrom) {
    let mut lib: Option<Library> = None;
    let now = earmark_core::chrono::Utc::now;
    for msg in rx {
        if lib.is_none() {
            lib = Library::open(&dir)
                .map_err(|e| tracing::error!("position saver cannot open the library: {e}"))
                .ok();
        }
        let Some(lib) = lib.as_mut() else { continue };
        let (what, result) = match msg {
            Save::Position(id, secs) => (
                "save the listening position",
                lib.save_position(EpisodeId(id), secs, now()),
            ),
            Save::Streamed(id, stream) => (
                "keep the streamed episode",
                keep_streamed(lib, &app, EpisodeId(id), &stream, now()),
            ),
            Save::Listened(id, heard) => (
                "count the listening",
                lib.record_listening(EpisodeId(id), today(), listened(heard, 0)),
            ),
            Save::Finished(id, advance) => {
                let done = lib
                    .finish_episode(EpisodeId(id), now())
                    .and_then(|()| lib.record_listening(EpisodeId(id), today(), listened(Default::default(), 1)));
                let next = if advance {
                    next_after(lib, &from, EpisodeId(id))
                } else {
                    lib.queue_remove(EpisodeId(id)).map(|()| None)
                };
                match next {
                    Ok(Some(next)) => match load_command(lib, next.0) {
                        Ok(cmd) => {
                            if let Some(e) = engine.get() {
                                e.send(cmd);
                            }
                        }
                        Err(e) => {
                            let _ = app.emit(
                                "player-error",
                                PlayerError {
                                    code: e.code,
                                    message: e.message,
                                },
                            );
                        }
                    },
                    Ok(None) => {}
                    Err(e) => tracing::warn!("could not read the queue: {e}"),
                }
                let _ = app.emit("queue-changed", ());
                ("record the finished episode", done)
            }
        };
        if let Err(e) = result {
            tracing::warn!("could not {what}: {e}");
        }
    }
}

/// What plays after `finished`: the next episode of the playlist playback started from, else
/// (with no playlist, or at its end) the next in "up next".
fn next_after(lib: &mut Library, from: &PlayingFrom, finished: EpisodeId) -> earmark_core::Result<Option<EpisodeId>> {
    if let Some(playlist) = from.get() {
        match lib.playlist_next(playlist, finished) {
            Ok(Some(next)) => {
                lib.queue_remove(finished)?;
                return Ok(Some(next));
            }
            Ok(None) => from.set(None),
            // Deleted meanwhile: the queue takes over.
            Err(e) => {
                tracing::info!("the playlist playing is gone: {e}");
                from.set(None);
            }
        }
    }
    lib.queue_advance(finished)
}

/// The listener's calendar day, which the statistics count by.
fn today() -> earmark_core::chrono::NaiveDate {
    earmark_core::chrono::Local::now().date_naive()
}

/// The statistics' record of what the engine heard.
pub fn listened(heard: earmark_player::pipeline::Heard, finished: u32) -> earmark_core::stats::Listened {
    earmark_core::stats::Listened {
        wall_secs: heard.wall_secs,
        episode_secs: heard.episode_secs,
        trimmed_secs: heard.trimmed_secs,
        finished,
    }
}

/// The engine command that plays episode `id` from where the listener stopped (from the top
/// once played or nearly finished).
fn load_command(lib: &Library, id: i64) -> Result<Command, ApiError> {
    let p = lib.playable(EpisodeId(id))?;
    let start = Duration::from_secs_f64(p.resume_secs);
    let media = earmark_shell::media_of(p.source);
    Ok(Command::Play {
        tag: id,
        media,
        start,
        title: p.title,
        paused: false,
        effects: Effects {
            trim_silence: p.sound.trim_silence,
            gain_db: p.sound.gain_db,
        },
    })
}

/// Plays an episode from `start_secs`, else from where the listener stopped (from the top once played).
/// With `paused`, the episode is loaded ready at that moment and waits for the listener: what an
/// `earmark://` link from outside the app does, so no web page can start sound. With `playlist`,
/// playback moves on within that playlist as episodes end; without, through "up next".
#[tauri::command]
pub async fn play_episode(
    state: State<'_, Arc<AppState>>,
    id: EpisodeId,
    start_secs: Option<f64>,
    paused: Option<bool>,
    playlist: Option<PlaylistId>,
) -> Result<(), ApiError> {
    let state = Arc::clone(&state);
    blocking(move || {
        state.playing_from.set(playlist);
        // A local file never measured (a `file:` episode) is measured now, for next time.
        state.measurer.measure(id);
        let cmd = {
            let lib = lock(&state.library)?;
            let mut cmd = load_command(&lib, id.0)?;
            if let Command::Play {
                start,
                paused: load_paused,
                ..
            } = &mut cmd
            {
                if let Some(at) = start_secs.filter(|s| s.is_finite() && *s >= 0.0) {
                    *start = Duration::from_secs_f64(at);
                }
                *load_paused = paused.unwrap_or(false);
            }
            cmd
        };
        state.player.send(cmd);
        Ok(())
    })
    .await
}

/// Controls the playing episode.
#[tauri::command]
pub fn player_command(state: State<'_, Arc<AppState>>, command: PlayerCommand) -> Result<(), ApiError> {
    let cmd = match command {
        PlayerCommand::Toggle => Command::Toggle,
        PlayerCommand::Seek { secs } => Command::Seek(Duration::from_secs_f64(secs.max(0.0))),
        PlayerCommand::SkipBack => Command::SkipBack,
        PlayerCommand::SkipForward => Command::SkipForward,
        PlayerCommand::Speed { value } => Command::Speed(value),
        PlayerCommand::Volume { value } => Command::Volume(value),
        PlayerCommand::Mute { on } => Command::Mute(on),
        PlayerCommand::Stop => Command::Stop,
        PlayerCommand::ChapterNext | PlayerCommand::ChapterPrevious => {
            let forward = matches!(command, PlayerCommand::ChapterNext);
            match state.now_playing.chapter_jump(forward) {
                Some(at) => Command::Seek(at),
                // Past the last chapter, "next" does nothing rather than guess.
                None => return Ok(()),
            }
        }
        PlayerCommand::Sleep {
            minutes,
            end_of_episode,
        } => Command::Sleep(match (minutes, end_of_episode) {
            (_, true) => SleepTimer::EndOfEpisode,
            (Some(m), false) if m.is_finite() && m > 0.0 => SleepTimer::After(Duration::from_secs_f64(m * 60.0)),
            _ => SleepTimer::Off,
        }),
    };
    if state.player.send(cmd) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Internal,
            "the player has stopped; restart Earmark",
        ))
    }
}

/// Marks an episode played or unplayed by hand.
#[tauri::command]
pub async fn set_played(state: State<'_, Arc<AppState>>, id: EpisodeId, played: bool) -> Result<(), ApiError> {
    write(&state, move |lib| {
        if played {
            lib.finish_episode(id, crate::access::now())
        } else {
            lib.set_played(id, false, crate::access::now())
        }
    })
    .await
}

/// One chapter, for the episode page and the player bar.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ChapterInfo {
    /// Start, seconds.
    pub start_secs: f64,
    /// End, seconds, when known.
    pub end_secs: Option<f64>,
    /// Title (may be empty).
    pub title: String,
    /// A web page for the chapter.
    pub url: Option<String>,
}

/// The episode's chapters (see [`ChapterSources::read`]): the library is read under its lock, the
/// chapters file after letting go of it.
#[tauri::command]
pub async fn episode_chapters(state: State<'_, Arc<AppState>>, id: EpisodeId) -> Result<Vec<ChapterInfo>, ApiError> {
    let state = Arc::clone(&state);
    blocking(move || {
        let chapters = match state.now_playing.chapters_of(id.0) {
            Some(known) => known,
            None => {
                let sources = ChapterSources::of(&*lock(&state.library)?, id)?;
                sources.read(&state.config.fetcher()?)
            }
        };
        Ok(chapters
            .into_iter()
            .map(|c| ChapterInfo {
                start_secs: c.start_secs,
                end_secs: c.end_secs,
                title: c.title,
                url: c.url,
            })
            .collect())
    })
    .await
}

/// How far skip back and skip forward jump.
#[tauri::command]
pub async fn skip_lengths(state: State<'_, Arc<AppState>>) -> Result<SkipLengths, ApiError> {
    read(&state, |lib| lib.skip_lengths()).await
}

/// Changes how far skip back and skip forward jump (`None` keeps one); returns the lengths now
/// in force. Values outside 1–600 s are refused.
#[tauri::command]
pub async fn set_skip_lengths(
    state: State<'_, Arc<AppState>>,
    back_secs: Option<u32>,
    forward_secs: Option<u32>,
) -> Result<SkipLengths, ApiError> {
    let now = write(&state, move |lib| lib.set_skip_lengths(back_secs, forward_secs)).await?;
    state.player.send(skip_lengths_command(now));
    Ok(now)
}

/// Keeps a streamed episode that arrived whole as its download (unless it has one), so it plays
/// offline and is not fetched again; the download views hear of it like any finished download.
fn keep_streamed(
    lib: &mut Library,
    app: &AppHandle,
    id: EpisodeId,
    stream: &earmark_player::stream::StreamHandle,
    now: earmark_core::chrono::DateTime<earmark_core::chrono::Utc>,
) -> earmark_core::error::Result<()> {
    let Some(bytes) = lib.adopt_download(id, |dest| stream.save_complete(dest), now)? else {
        return Ok(());
    };
    let _ = app.emit(
        "download-progress",
        &earmark_core::download::queue::DownloadEvent::new(id, DownloadState::Done, bytes, Some(bytes)),
    );
    tracing::info!(episode = id.0, bytes, "kept a streamed episode as its download");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(start_secs: f64, end_secs: Option<f64>, title: &str) -> Chapter {
        Chapter {
            start_secs,
            end_secs,
            title: title.into(),
            url: None,
            image_url: None,
        }
    }

    #[test]
    fn the_bar_follows_the_chapters_of_the_episode_loaded() {
        let now = NowPlaying::default();
        assert!(now.tick(Some(7), 0.0), "a new episode asks for its chapters");
        assert!(!now.tick(Some(7), 1.0), "the same episode does not");
        assert_eq!(now.chapter(), (None, false));
        assert_eq!(now.chapter_jump(true), None, "no chapters, no jump");

        let three = vec![
            chapter(0.0, Some(30.0), "Opening"),
            chapter(30.0, Some(60.0), "Middle part"),
            chapter(60.0, None, "Closing"),
        ];
        now.set_chapters(8, three.clone());
        assert_eq!(now.chapter(), (None, false), "chapters of another episode are not kept");
        now.set_chapters(7, three);
        now.tick(Some(7), 31.0);
        assert_eq!(now.chapter(), (Some("Middle part".into()), true));
        assert_eq!(now.chapter_jump(true), Some(Duration::from_secs(60)));
        assert_eq!(
            now.chapter_jump(false),
            Some(Duration::from_secs(0)),
            "1 s in goes to the one before"
        );
        now.tick(Some(7), 45.0);
        assert_eq!(
            now.chapter_jump(false),
            Some(Duration::from_secs(30)),
            "15 s in restarts this one"
        );
        now.tick(Some(7), 70.0);
        assert_eq!(now.chapter_jump(true), None, "past the last chapter");

        assert!(!now.tick(None, 0.0), "nothing loaded reads nothing");
        assert_eq!(now.get(), None);
        assert_eq!(now.chapter(), (None, false), "unloading forgets the chapters");
    }
}
