//! Listening statistics: how long the listener spent with each podcast, per month and per year,
//! how many episodes they played to the end, and how much time speed and trimmed silence saved.
//! Both shells add what the player reports as it plays ([`Library::record_listening`]); nothing
//! here reads positions, so a seek, a skip or a "mark played" never counts as listening.

use chrono::NaiveDate;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{EpisodeId, PodcastId};

/// Playback to add to the statistics, as the player counted it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Listened {
    /// Seconds sound played.
    pub wall_secs: f64,
    /// Seconds of the episode that sound covered (more than `wall_secs` when sped up).
    pub episode_secs: f64,
    /// Seconds of the episode skipped as silence.
    pub trimmed_secs: f64,
    /// Times playback reached the end (0 or 1 per report).
    pub finished: u32,
}

/// The longest report accepted: a day. A player reporting more in one go is broken, and one bad
/// figure must not swamp years of statistics.
const MAX_REPORT_SECS: f64 = 86_400.0;

impl Listened {
    fn check(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite() && (0.0..=MAX_REPORT_SECS).contains(&v);
        if ok(self.wall_secs) && ok(self.episode_secs) && ok(self.trimmed_secs) && self.finished <= 1 {
            Ok(())
        } else {
            Err(Error::Invalid(format!("not a playback report: {self:?}")))
        }
    }
}

/// Totals over some span of listening.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatsLine {
    /// Seconds spent listening.
    pub listened_secs: f64,
    /// Seconds of episodes that listening covered.
    pub episode_secs: f64,
    /// Seconds saved by playing faster than 1x (negative when slower).
    pub saved_by_speed_secs: f64,
    /// Seconds saved by trimming silence.
    pub saved_by_trimming_secs: f64,
    /// Episodes played to their end.
    #[ts(type = "number")]
    pub episodes_finished: u64,
}

/// One podcast's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PodcastStats {
    /// The podcast.
    pub podcast_id: PodcastId,
    /// Its title.
    pub title: String,
    /// Its totals.
    pub line: StatsLine,
}

/// One month's or year's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PeriodStats {
    /// `2026-12` for a month, `2026` for a year.
    pub period: String,
    /// Its totals.
    pub line: StatsLine,
}

/// Everything `earmark-cli stats --json` prints and the app's statistics view draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ListeningStats {
    /// All listening.
    pub total: StatsLine,
    /// Per podcast, most listened first.
    pub by_podcast: Vec<PodcastStats>,
    /// Per calendar month, oldest first, months with no listening left out.
    pub by_month: Vec<PeriodStats>,
    /// Per calendar year, oldest first.
    pub by_year: Vec<PeriodStats>,
}

/// The sums every grouping selects, in `line_from` order.
const SUMS: &str = "SUM(l.wall_secs), SUM(l.episode_secs), SUM(l.trimmed_secs), SUM(l.finished)";

fn line_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StatsLine> {
    let wall: f64 = r.get::<_, Option<f64>>(at)?.unwrap_or(0.0);
    let episode: f64 = r.get::<_, Option<f64>>(at + 1)?.unwrap_or(0.0);
    let trimmed: f64 = r.get::<_, Option<f64>>(at + 2)?.unwrap_or(0.0);
    let finished: i64 = r.get::<_, Option<i64>>(at + 3)?.unwrap_or(0);
    Ok(StatsLine {
        listened_secs: wall,
        episode_secs: episode,
        // What the episode time beyond the time spent came from: the silence skipped, and
        // speed for the rest.
        saved_by_speed_secs: episode - trimmed - wall,
        saved_by_trimming_secs: trimmed,
        episodes_finished: u64::try_from(finished).unwrap_or(0),
    })
}

impl Library {
    /// Adds playback of `episode` on the listener's calendar `day` to the statistics.
    pub fn record_listening(&mut self, episode: EpisodeId, day: NaiveDate, heard: Listened) -> Result<()> {
        heard.check()?;
        let n = self.conn().execute(
            "INSERT INTO listening_days (day, episode_id, wall_secs, episode_secs, trimmed_secs, finished) \
             SELECT ?1, id, ?3, ?4, ?5, ?6 FROM episodes WHERE id = ?2 \
             ON CONFLICT (day, episode_id) DO UPDATE SET \
               wall_secs = wall_secs + excluded.wall_secs, episode_secs = episode_secs + excluded.episode_secs, \
               trimmed_secs = trimmed_secs + excluded.trimmed_secs, finished = finished + excluded.finished",
            params![
                day.format("%Y-%m-%d").to_string(),
                episode.0,
                heard.wall_secs,
                heard.episode_secs,
                heard.trimmed_secs,
                heard.finished
            ],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", episode.0)));
        }
        Ok(())
    }

    /// The statistics of all listening so far.
    pub fn listening_stats(&self) -> Result<ListeningStats> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let total = tx
            .prepare_cached(&format!("SELECT {SUMS} FROM listening_days l"))?
            .query_row([], |r| line_from(r, 0))?;
        let by_podcast = tx
            .prepare_cached(&format!(
                "SELECT p.id, p.title, {SUMS} FROM listening_days l JOIN episodes e ON e.id = l.episode_id \
                 JOIN podcasts p ON p.id = e.podcast_id GROUP BY p.id ORDER BY SUM(l.wall_secs) DESC, p.id"
            ))?
            .query_map([], |r| {
                Ok(PodcastStats {
                    podcast_id: PodcastId(r.get(0)?),
                    title: r.get(1)?,
                    line: line_from(r, 2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let period = |len: usize| -> Result<Vec<PeriodStats>> {
            let sql =
                format!("SELECT substr(l.day, 1, {len}) AS k, {SUMS} FROM listening_days l GROUP BY k ORDER BY k");
            let mut stmt = tx.prepare_cached(&sql)?;
            let rows = stmt.query_map([], |r| {
                Ok(PeriodStats {
                    period: r.get(0)?,
                    line: line_from(r, 1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        let by_month = period(7)?;
        let by_year = period(4)?;
        tx.finish()?;
        Ok(ListeningStats {
            total,
            by_podcast,
            by_month,
            by_year,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn lib_with_two_podcasts() -> (tempfile::TempDir, Library, EpisodeId, EpisodeId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut ids = Vec::new();
        for (url, title) in [("https://a.example/feed", "Alpha"), ("https://b.example/feed", "Beta")] {
            let (id, _) = lib.add_podcast(url, title, now).expect("add");
            let feed = ParsedFeed {
                title: title.into(),
                items: vec![ParsedItem {
                    guid: "g".into(),
                    title: format!("{title} 1"),
                    ..ParsedItem::default()
                }],
                ..ParsedFeed::default()
            };
            lib.store_feed(id, &feed, now).expect("store");
            ids.push(lib.episodes(Some(id)).expect("eps")[0].id);
        }
        (dir, lib, ids[0], ids[1])
    }

    #[test]
    fn listening_adds_up_by_podcast_month_and_year() {
        let (dir, mut lib, a, b) = lib_with_two_podcasts();
        let heard = |wall: f64, episode: f64, finished: u32| Listened {
            wall_secs: wall,
            episode_secs: episode,
            trimmed_secs: 0.0,
            finished,
        };
        // Alpha at 2x: 30 minutes heard over two reports on one day, then finished next month.
        lib.record_listening(a, day("2025-12-31"), heard(600.0, 1200.0, 0))
            .expect("rec");
        lib.record_listening(a, day("2025-12-31"), heard(300.0, 600.0, 0))
            .expect("rec");
        lib.record_listening(a, day("2026-01-02"), heard(900.0, 1800.0, 1))
            .expect("rec");
        // Beta at 1x with 60 s of silence trimmed.
        let trimmed = Listened {
            trimmed_secs: 60.0,
            ..heard(240.0, 300.0, 1)
        };
        lib.record_listening(b, day("2026-01-05"), trimmed).expect("rec");
        drop(lib);
        let lib = Library::open(dir.path()).expect("reopen");
        let s = lib.listening_stats().expect("stats");
        assert_eq!(s.total.listened_secs, 2040.0);
        assert_eq!(s.total.episodes_finished, 2);
        assert_eq!(s.total.saved_by_speed_secs, 1800.0);
        assert_eq!(s.total.saved_by_trimming_secs, 60.0);
        let podcasts: Vec<_> = s
            .by_podcast
            .iter()
            .map(|p| (p.title.as_str(), p.line.listened_secs))
            .collect();
        assert_eq!(podcasts, [("Alpha", 1800.0), ("Beta", 240.0)]);
        let months: Vec<_> = s
            .by_month
            .iter()
            .map(|m| (m.period.as_str(), m.line.listened_secs))
            .collect();
        assert_eq!(months, [("2025-12", 900.0), ("2026-01", 1140.0)]);
        let years: Vec<_> = s
            .by_year
            .iter()
            .map(|m| (m.period.as_str(), m.line.episodes_finished))
            .collect();
        assert_eq!(years, [("2025", 0), ("2026", 2)]);
    }

    #[test]
    fn nonsense_reports_are_refused_and_change_nothing() {
        let (_dir, mut lib, a, _) = lib_with_two_podcasts();
        for bad in [
            Listened {
                wall_secs: f64::NAN,
                ..Listened::default()
            },
            Listened {
                wall_secs: -1.0,
                ..Listened::default()
            },
            Listened {
                episode_secs: 1e12,
                ..Listened::default()
            },
            Listened {
                finished: 5,
                ..Listened::default()
            },
        ] {
            assert!(lib.record_listening(a, day("2026-01-01"), bad).is_err(), "{bad:?}");
        }
        assert!(lib
            .record_listening(EpisodeId(999), day("2026-01-01"), Listened::default())
            .is_err());
        assert_eq!(lib.listening_stats().expect("stats"), ListeningStats::default());
    }
}
