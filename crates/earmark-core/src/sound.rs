//! How an episode should sound when played: silences shortened (a per-podcast choice), its
//! loudness brought towards a common target (EBU R128, measured once per episode and stored),
//! and a per-podcast boost for quiet shows. The player does the work; this decides the numbers,
//! once for both shells.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::{EpisodeId, PodcastId};
use crate::storage::put_setting;

/// The loudness episodes are brought to: the level most podcast apps and platforms aim at.
pub const TARGET_LUFS: f64 = -16.0;

/// The most normalisation turns an episode up or down: past this a measurement is more likely
/// wrong (a silent file, a damaged one) than the show that far off.
pub const MAX_NORMALISE_DB: f64 = 12.0;

/// The largest per-podcast boost.
pub const MAX_BOOST_DB: f64 = 12.0;

/// The library setting that turns loudness normalisation off (on unless set to "0").
const NORMALISE_KEY: &str = "normalise_loudness";

/// A podcast's sound choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PodcastSound {
    /// Shorten silences longer than half a second while playing.
    pub trim_silence: bool,
    /// Extra gain for a quiet show, 0–12 dB (a limiter keeps peaks from clipping).
    pub volume_boost_db: f64,
    /// Video episodes play as sound only: the picture pane stays closed.
    #[serde(default)]
    pub sound_only: bool,
}

/// An episode's measured loudness (EBU R128 / ITU-R BS.1770).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Loudness {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// Highest true peak, dBTP.
    pub true_peak_dbtp: f64,
}

/// What the player is told for one episode.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EpisodeSound {
    /// Shorten long silences.
    pub trim_silence: bool,
    /// Gain to apply, dB: normalisation towards [`TARGET_LUFS`] (when on and measured) plus the
    /// podcast's boost.
    pub gain_db: f64,
}

/// The gain that brings `loudness` to the target, within ±[`MAX_NORMALISE_DB`].
pub fn normalising_gain(loudness: &Loudness) -> f64 {
    (TARGET_LUFS - loudness.integrated_lufs).clamp(-MAX_NORMALISE_DB, MAX_NORMALISE_DB)
}

impl Library {
    /// A podcast's sound choices.
    pub fn podcast_sound(&self, id: PodcastId) -> Result<PodcastSound> {
        self.conn()
            .query_row(
                "SELECT trim_silence, volume_boost_db, sound_only FROM podcasts WHERE id = ?1",
                [id.0],
                |r| {
                    Ok(PodcastSound {
                        trim_silence: r.get(0)?,
                        volume_boost_db: r.get(1)?,
                        sound_only: r.get(2)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("podcast {}", id.0)))
    }

    /// Changes a podcast's sound choices; a boost outside 0–12 dB is refused.
    pub fn set_podcast_sound(&mut self, id: PodcastId, sound: PodcastSound) -> Result<()> {
        if !(0.0..=MAX_BOOST_DB).contains(&sound.volume_boost_db) {
            return Err(Error::Invalid(format!(
                "a volume boost is between 0 and {MAX_BOOST_DB} dB, not {}",
                sound.volume_boost_db
            )));
        }
        let n = self.conn().execute(
            "UPDATE podcasts SET trim_silence = ?2, volume_boost_db = ?3, sound_only = ?4 WHERE id = ?1",
            params![id.0, sound.trim_silence, sound.volume_boost_db, sound.sound_only],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("podcast {}", id.0)));
        }
        Ok(())
    }

    /// Stores an episode's measured loudness (replacing an earlier measurement).
    pub fn record_loudness(&mut self, id: EpisodeId, loudness: Loudness, now: DateTime<Utc>) -> Result<()> {
        let sane = |v: f64, lo: f64, hi: f64| v.is_finite() && (lo..=hi).contains(&v);
        if !sane(loudness.integrated_lufs, -70.0, 10.0) || !sane(loudness.true_peak_dbtp, -200.0, 30.0) {
            return Err(Error::Invalid(format!("not a loudness measurement: {loudness:?}")));
        }
        let n = self.conn().execute(
            "INSERT INTO episode_loudness (episode_id, integrated_lufs, true_peak_dbtp, measured_at) \
             SELECT id, ?2, ?3, ?4 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET integrated_lufs = excluded.integrated_lufs, \
             true_peak_dbtp = excluded.true_peak_dbtp, measured_at = excluded.measured_at",
            params![id.0, loudness.integrated_lufs, loudness.true_peak_dbtp, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// An episode's measured loudness, if it has been measured.
    pub fn loudness(&self, id: EpisodeId) -> Result<Option<Loudness>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT integrated_lufs, true_peak_dbtp FROM episode_loudness WHERE episode_id = ?1",
                [id.0],
                |r| {
                    Ok(Loudness {
                        integrated_lufs: r.get(0)?,
                        true_peak_dbtp: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Whether episodes are brought to an even loudness (on unless turned off).
    pub fn normalise_loudness(&self) -> Result<bool> {
        Ok(self.setting(NORMALISE_KEY)?.as_deref() != Some("0"))
    }

    /// Turns loudness normalisation on or off for the whole library.
    pub fn set_normalise_loudness(&mut self, on: bool) -> Result<()> {
        put_setting(self.conn(), NORMALISE_KEY, if on { "1" } else { "0" })
    }

    /// How episode `id` should sound: its podcast's choices and, with normalisation on and a
    /// measurement stored, the gain towards the target.
    pub fn episode_sound(&self, id: EpisodeId) -> Result<EpisodeSound> {
        let row: Option<(bool, f64, Option<f64>, Option<f64>)> = self
            .conn()
            .query_row(
                "SELECT p.trim_silence, p.volume_boost_db, l.integrated_lufs, l.true_peak_dbtp FROM episodes e \
                 JOIN podcasts p ON p.id = e.podcast_id LEFT JOIN episode_loudness l ON l.episode_id = e.id \
                 WHERE e.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (trim_silence, boost, lufs, peak) = row.ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))?;
        let normalise = match (lufs, peak) {
            (Some(integrated_lufs), Some(true_peak_dbtp)) if self.normalise_loudness()? => {
                normalising_gain(&Loudness {
                    integrated_lufs,
                    true_peak_dbtp,
                })
            }
            _ => 0.0,
        };
        Ok(EpisodeSound {
            trim_silence,
            gain_db: normalise + boost,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};

    fn now() -> DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn library() -> (tempfile::TempDir, Library, PodcastId, EpisodeId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (p, _) = lib.add_podcast("https://a.example/feed", "A", now()).expect("add");
        let feed = ParsedFeed {
            items: vec![ParsedItem {
                guid: "g".into(),
                title: "E".into(),
                ..ParsedItem::default()
            }],
            ..ParsedFeed::default()
        };
        lib.store_feed(p, &feed, now()).expect("store");
        let e = lib.episodes(None).expect("eps")[0].id;
        (dir, lib, p, e)
    }

    #[test]
    fn an_episode_sounds_as_its_podcast_and_its_loudness_say() {
        let (dir, mut lib, p, e) = library();
        assert_eq!(
            lib.episode_sound(e).expect("sound"),
            EpisodeSound::default(),
            "nothing measured or chosen"
        );
        lib.record_loudness(
            e,
            Loudness {
                integrated_lufs: -23.0,
                true_peak_dbtp: -4.0,
            },
            now(),
        )
        .expect("record");
        lib.set_podcast_sound(
            p,
            PodcastSound {
                trim_silence: true,
                volume_boost_db: 3.0,
                sound_only: true,
            },
        )
        .expect("set");
        drop(lib);
        let mut lib = Library::open(dir.path()).expect("reopen");
        let s = lib.episode_sound(e).expect("sound");
        assert!(s.trim_silence);
        assert!(lib.podcast_sound(p).expect("read").sound_only);
        assert_eq!(s.gain_db, 10.0, "7 dB up to −16 LUFS, and the 3 dB boost");
        lib.set_normalise_loudness(false).expect("off");
        assert_eq!(lib.episode_sound(e).expect("sound").gain_db, 3.0, "only the boost");
        assert!(!lib.normalise_loudness().expect("read"));
    }

    #[test]
    fn nonsense_is_refused_and_normalising_is_bounded() {
        let (_dir, mut lib, p, e) = library();
        let boost = |db| PodcastSound {
            volume_boost_db: db,
            ..PodcastSound::default()
        };
        assert!(lib.set_podcast_sound(p, boost(-1.0)).is_err());
        assert!(lib.set_podcast_sound(p, boost(f64::NAN)).is_err());
        assert!(lib.set_podcast_sound(PodcastId(99), boost(0.0)).is_err());
        let bad = Loudness {
            integrated_lufs: f64::NEG_INFINITY,
            true_peak_dbtp: 0.0,
        };
        assert!(
            lib.record_loudness(e, bad, now()).is_err(),
            "a silent file has no loudness"
        );
        assert!(lib.loudness(e).expect("read").is_none());
        let whisper = Loudness {
            integrated_lufs: -60.0,
            true_peak_dbtp: -40.0,
        };
        assert_eq!(normalising_gain(&whisper), MAX_NORMALISE_DB);
    }
}
