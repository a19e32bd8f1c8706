//! `earmark-cli sound` (a podcast's trimmed silence and volume boost, and the library's even
//! loudness) and `earmark-cli loudness` (measure episodes to EBU R128 and keep the figures, which
//! playback turns into a gain). Downloads are measured as they finish.

use std::sync::atomic::AtomicBool;

use anyhow::{bail, Result};
use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::sound::{Loudness, PodcastSound};
use earmark_core::Library;
use serde::Serialize;

use crate::now;

/// One episode's measurement, as `loudness --json` prints it.
#[derive(Serialize)]
struct Row {
    episode_id: i64,
    integrated_lufs: Option<f64>,
    true_peak_dbtp: Option<f64>,
    gain_db: Option<f64>,
    error: Option<String>,
}

fn on_off(s: &str) -> Result<bool> {
    match s {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        other => bail!("say on or off, not {other:?}"),
    }
}

/// Shows or changes a podcast's sound (and, with `even_loudness`, the library's setting).
pub fn sound(
    lib: &mut Library,
    podcast: Option<i64>,
    trim_silence: Option<&str>,
    boost: Option<f64>,
    sound_only: Option<&str>,
    even_loudness: Option<&str>,
    json: bool,
) -> Result<()> {
    if let Some(v) = even_loudness {
        lib.set_normalise_loudness(on_off(v)?)?;
    }
    let even = lib.normalise_loudness()?;
    let Some(id) = podcast.map(PodcastId) else {
        if trim_silence.is_some() || boost.is_some() || sound_only.is_some() {
            bail!("--trim-silence, --boost and --sound-only are a podcast's: give --podcast ID");
        }
        if json {
            return crate::print_json(&serde_json::json!({ "even_loudness": even }));
        }
        say!("Even loudness: {}", if even { "on (towards -16 LUFS)" } else { "off" });
        return Ok(());
    };
    let mut s = lib.podcast_sound(id)?;
    if let Some(v) = trim_silence {
        s.trim_silence = on_off(v)?;
    }
    if let Some(db) = boost {
        s.volume_boost_db = db;
    }
    if let Some(v) = sound_only {
        s.sound_only = on_off(v)?;
    }
    if trim_silence.is_some() || boost.is_some() || sound_only.is_some() {
        lib.set_podcast_sound(id, s)?;
    }
    let PodcastSound {
        trim_silence,
        volume_boost_db,
        sound_only,
    } = lib.podcast_sound(id)?;
    if json {
        return crate::print_json(&serde_json::json!({
            "podcast_id": id.0,
            "trim_silence": trim_silence,
            "volume_boost_db": volume_boost_db,
            "sound_only": sound_only,
            "even_loudness": even,
        }));
    }
    say!(
        "Podcast {}: trim silence {}, volume boost {volume_boost_db:+.1} dB, video {}; even loudness {}",
        id.0,
        if trim_silence { "on" } else { "off" },
        if sound_only {
            "as sound only"
        } else {
            "with its picture"
        },
        if even { "on" } else { "off" }
    );
    Ok(())
}

/// Measures the episodes' local media and keeps the figures; a failure is reported per
/// episode and does not stop the others. Returns how many failed.
pub fn measure(lib: &mut Library, episodes: &[EpisodeId], quiet: bool) -> Result<(Vec<serde_json::Value>, usize)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let never = AtomicBool::new(false);
    let mut rows = Vec::new();
    let mut failed = 0;
    for &id in episodes {
        let result = match lib.local_media(id)? {
            None => Err(format!(
                "not on this computer: download it first (earmark-cli download {})",
                id.0
            )),
            Some(path) => earmark_player::loudness::measure(&path, threads, &never).map_err(|e| e.to_string()),
        };
        let row = match result {
            Ok(m) => {
                let l = Loudness {
                    integrated_lufs: m.integrated_lufs,
                    true_peak_dbtp: m.true_peak_dbtp.max(-200.0),
                };
                lib.record_loudness(id, l, now())?;
                let gain = earmark_core::sound::normalising_gain(&l);
                if !quiet {
                    say_err!(
                        "episode {}: {:.1} LUFS, true peak {:.1} dBTP: played {gain:+.1} dB",
                        id.0,
                        l.integrated_lufs,
                        l.true_peak_dbtp
                    );
                }
                Row {
                    episode_id: id.0,
                    integrated_lufs: Some(l.integrated_lufs),
                    true_peak_dbtp: Some(l.true_peak_dbtp),
                    gain_db: Some(gain),
                    error: None,
                }
            }
            Err(why) => {
                failed += 1;
                say_err!("earmark-cli: episode {}: cannot measure its loudness: {why}", id.0);
                Row {
                    episode_id: id.0,
                    integrated_lufs: None,
                    true_peak_dbtp: None,
                    gain_db: None,
                    error: Some(why),
                }
            }
        };
        rows.push(serde_json::to_value(row)?);
    }
    Ok((rows, failed))
}

/// `earmark-cli loudness EPISODE...`: measures, stores and prints.
pub fn loudness(lib: &mut Library, episodes: &[i64], json: bool) -> Result<std::process::ExitCode> {
    let ids: Vec<EpisodeId> = episodes.iter().copied().map(EpisodeId).collect();
    let (rows, failed) = measure(lib, &ids, json)?;
    if json {
        crate::print_json(&rows)?;
    }
    Ok(if failed > 0 {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
}
