//! The desktop's player controls and media keys (MPRIS on Linux, through souvlaki): they show what
//! Earmark plays and send play/pause/seek back to the engine. Without a session bus (a bare
//! server, some CI machines) this is skipped with a log line; playback does not depend on it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use earmark_player::engine::{Command, Engine, Status};
use earmark_player::State as PlayState;
use souvlaki::{
    MediaControlEvent, MediaControls, MediaMetadata, MediaPlayback, MediaPosition, PlatformConfig, SeekDirection,
};

/// Connected media controls and what they last showed.
pub struct Mpris {
    controls: Mutex<MediaControls>,
    shown: Mutex<Shown>,
}

#[derive(Default)]
struct Shown {
    tag: Option<i64>,
    state: Option<PlayState>,
    updated: Option<Instant>,
}

/// Registers Earmark with the desktop; `engine` receives what the user presses there.
pub fn start(engine: Arc<OnceLock<Engine>>) -> Option<Mpris> {
    let config = PlatformConfig {
        dbus_name: "earmark",
        display_name: "Earmark",
        hwnd: None,
    };
    let mut controls = MediaControls::new(config)
        .map_err(|e| tracing::info!("no desktop media controls: {e:?}"))
        .ok()?;
    controls
        .attach(move |event| {
            let cmd = match event {
                MediaControlEvent::Play => Command::Resume,
                MediaControlEvent::Pause => Command::Pause,
                MediaControlEvent::Toggle => Command::Toggle,
                MediaControlEvent::Stop => Command::Stop,
                MediaControlEvent::Seek(SeekDirection::Forward) => Command::SkipForward,
                MediaControlEvent::Seek(SeekDirection::Backward) => Command::SkipBack,
                MediaControlEvent::SeekBy(SeekDirection::Forward, d) => Command::Skip(d.as_secs_f64()),
                MediaControlEvent::SeekBy(SeekDirection::Backward, d) => Command::Skip(-d.as_secs_f64()),
                MediaControlEvent::SetPosition(MediaPosition(at)) => Command::Seek(at),
                MediaControlEvent::SetVolume(v) => Command::Volume(v as f32),
                _ => return,
            };
            if let Some(e) = engine.get() {
                e.send(cmd);
            }
        })
        .map_err(|e| tracing::info!("no desktop media controls: {e:?}"))
        .ok()?;
    Some(Mpris {
        controls: Mutex::new(controls),
        shown: Mutex::new(Shown::default()),
    })
}

impl Mpris {
    /// Shows the engine's status: metadata when the episode changes, the playback state when it
    /// changes, and the position once a second.
    pub fn update(&self, status: &Status) {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        let mut controls = self.controls.lock().unwrap_or_else(|p| p.into_inner());
        if shown.tag != status.tag {
            let _ = controls.set_metadata(MediaMetadata {
                title: Some(status.title.as_str()),
                artist: Some("Earmark"),
                duration: status.duration,
                ..MediaMetadata::default()
            });
        }
        let due = shown.updated.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if shown.tag != status.tag || shown.state != status.state || due {
            let progress = Some(MediaPosition(status.position));
            let playback = match status.state {
                Some(PlayState::Playing) => MediaPlayback::Playing { progress },
                Some(PlayState::Paused) => MediaPlayback::Paused { progress },
                Some(PlayState::Ended) | None => MediaPlayback::Stopped,
            };
            let _ = controls.set_playback(playback);
            shown.updated = Some(Instant::now());
        }
        shown.tag = status.tag;
        shown.state = status.state;
    }
}
