//! How episodes sound, for the window: a podcast's trimmed silence and boost, the library's even
//! loudness, and the thread that measures each episode's loudness once it is on this computer
//! (a finished download, or a local file played before it was measured).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::sound::PodcastSound;
use earmark_core::Library;
use tauri::State;

use crate::access::{now, read, write, Res};
use crate::player::{effects_command, NowPlaying};
use crate::AppState;
use earmark_player::engine::Engine;

/// Hands episodes to the measuring thread; cloned into whatever learns of a new local file.
#[derive(Clone)]
pub struct Measurer(mpsc::Sender<EpisodeId>);

impl Measurer {
    /// Starts the thread, which opens its own connection to the library in `dir`; an episode
    /// measured while `engine` plays it (`now`) is heard at its new level at once.
    pub fn start(dir: PathBuf, engine: Engine, now: NowPlaying) -> Measurer {
        let (tx, rx) = mpsc::channel::<EpisodeId>();
        let spawned = std::thread::Builder::new()
            .name("earmark-loudness".into())
            .spawn(move || measure_all(&dir, &rx, &engine, &now));
        if let Err(e) = spawned {
            tracing::warn!("episodes will not be measured for even loudness: {e}");
        }
        Measurer(tx)
    }

    /// Asks for `id` to be measured (nothing happens when it already was).
    pub fn measure(&self, id: EpisodeId) {
        let _ = self.0.send(id);
    }
}

fn measure_all(dir: &std::path::Path, rx: &mpsc::Receiver<EpisodeId>, engine: &Engine, now_playing: &NowPlaying) {
    let mut lib: Option<Library> = None;
    // Measuring is background work: one core, so playback and the window keep the other.
    let never = AtomicBool::new(false);
    for id in rx {
        if lib.is_none() {
            lib = Library::open(dir)
                .map_err(|e| tracing::warn!("the loudness thread cannot open the library: {e}"))
                .ok();
        }
        let Some(lib) = lib.as_mut() else { continue };
        if matches!(lib.loudness(id), Ok(Some(_))) {
            continue;
        }
        let Ok(Some(path)) = lib.local_media(id) else { continue };
        match earmark_player::loudness::measure(&path, 1, &never) {
            Ok(m) => {
                let l = earmark_core::sound::Loudness {
                    integrated_lufs: m.integrated_lufs,
                    true_peak_dbtp: m.true_peak_dbtp.max(-200.0),
                };
                match lib.record_loudness(id, l, now()) {
                    Ok(()) => {
                        tracing::info!(episode = id.0, lufs = l.integrated_lufs, "measured loudness");
                        if now_playing.get() == Some(id.0) {
                            resound(lib, engine, id.0);
                        }
                    }
                    Err(e) => tracing::warn!(episode = id.0, "could not keep the loudness: {e}"),
                }
            }
            Err(e) => tracing::info!(episode = id.0, "no loudness for this episode: {e}"),
        }
    }
}

/// Makes the loaded episode `id` sound as the library now says.
fn resound(lib: &Library, engine: &Engine, id: i64) {
    match effects_command(lib, id) {
        Ok(cmd) => {
            engine.send(cmd);
        }
        Err(e) => tracing::warn!(episode = id, "cannot change how it sounds: {e}"),
    }
}

/// After a change of sound settings, the episode playing (if any) follows it at once.
async fn resound_playing(state: &Arc<AppState>) -> Res<()> {
    let Some(id) = state.now_playing.get() else {
        return Ok(());
    };
    let engine = state.player.clone();
    read(state, move |lib| {
        resound(lib, &engine, id);
        Ok(())
    })
    .await
}

/// A podcast's sound choices.
#[tauri::command]
pub async fn podcast_sound(state: State<'_, Arc<AppState>>, podcast_id: PodcastId) -> Res<PodcastSound> {
    read(&state, move |lib| lib.podcast_sound(podcast_id)).await
}

/// Changes a podcast's sound choices; an episode of it playing now follows at once.
#[tauri::command]
pub async fn set_podcast_sound(state: State<'_, Arc<AppState>>, podcast_id: PodcastId, sound: PodcastSound) -> Res<()> {
    write(&state, move |lib| lib.set_podcast_sound(podcast_id, sound)).await?;
    resound_playing(&state).await
}

/// Whether episodes are brought to an even loudness.
#[tauri::command]
pub async fn even_loudness(state: State<'_, Arc<AppState>>) -> Res<bool> {
    read(&state, |lib| lib.normalise_loudness()).await
}

/// Turns even loudness on or off.
#[tauri::command]
pub async fn set_even_loudness(state: State<'_, Arc<AppState>>, on: bool) -> Res<()> {
    write(&state, move |lib| lib.set_normalise_loudness(on)).await?;
    resound_playing(&state).await
}
