//! Episodes: lists and windows of them, one with its details, and each one's listening state.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::html;
use crate::model::{Episode, EpisodeDetail, EpisodeId, PodcastId, Window};

use super::{rfc3339, Library};

/// An episode read from the library whose show notes are still as the feed gave them; only
/// [`UnpreparedEpisode::prepared`] makes it something to show. Needs no library.
#[derive(Debug, Clone)]
pub struct UnpreparedEpisode(EpisodeDetail);

impl UnpreparedEpisode {
    /// The episode without its show notes (empty), for the many uses that need everything else
    /// and should not pay for sanitising.
    pub fn without_notes(self) -> EpisodeDetail {
        EpisodeDetail {
            notes_html: String::new(),
            ..self.0
        }
    }

    /// The episode with its notes sanitised and remote images pointed at the app's proxy.
    pub fn prepared(self) -> EpisodeDetail {
        let detail = self.0;
        // Remote images load only through the app's proxy, and only once the user allows them.
        let (notes_html, remote) = crate::image_proxy::proxy_images(
            &html::sanitize(&detail.notes_html),
            crate::image_proxy::ImageHolder::Episode(detail.episode.id.0),
            !detail.remote_images_allowed,
        );
        EpisodeDetail {
            notes_html,
            remote_images: remote.len() as u32,
            ..detail
        }
    }
}

pub(crate) const EPISODE_COLUMNS: &str = "e.id, e.podcast_id, e.guid, e.title, e.published, e.duration_secs, \
     e.enclosure_url, e.enclosure_type, e.enclosure_length, e.link, e.in_feed, \
     COALESCE(s.position_secs, 0), COALESCE(s.played, 0), \
     EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done')";

/// The episode list's query: two statements, so each walks its index in order (one `?1 IS NULL
/// OR podcast_id = ?1` made one podcast's list scan every episode in the library). A NULL date
/// sorts last under DESC in SQLite, so undated episodes still follow the dated ones.
pub(super) fn episodes_sql(one_podcast: bool) -> String {
    let filter = if one_podcast { "WHERE e.podcast_id = ?1" } else { "" };
    format!("SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} {filter} ORDER BY e.published_ts DESC, e.feed_position, e.id")
}

/// Listening state sits in its own table; episodes without a row have not been started.
pub(crate) const STATE_JOIN: &str = "LEFT JOIN episode_state s ON s.episode_id = e.id";

pub(crate) fn episode_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Episode> {
    Ok(Episode {
        id: EpisodeId(r.get(0)?),
        podcast_id: PodcastId(r.get(1)?),
        guid: r.get(2)?,
        title: r.get(3)?,
        published: r.get(4)?,
        duration_secs: r.get(5)?,
        enclosure_url: r.get(6)?,
        enclosure_type: r.get(7)?,
        enclosure_length: r.get(8)?,
        link: r.get(9)?,
        in_feed: r.get(10)?,
        position_secs: r.get(11)?,
        played: r.get(12)?,
        downloaded: r.get(13)?,
    })
}

impl Library {
    /// Episodes, newest first (undated ones by their place in the feed), optionally of one podcast.
    pub fn episodes(&self, podcast: Option<PodcastId>) -> Result<Vec<Episode>> {
        let mut stmt = self.conn.prepare_cached(&episodes_sql(podcast.is_some()))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(podcast.map(|p| p.0)), episode_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One window of the episode list `episodes` gives (optionally one podcast's, optionally only
    /// the downloaded ones), with the list's length. Count and slice come from one read, so they
    /// agree even while a refresh writes.
    pub fn episode_window(
        &self,
        podcast: Option<PodcastId>,
        offline_only: bool,
        offset: u64,
        limit: u32,
    ) -> Result<Window<Episode>> {
        let mut filters = Vec::new();
        if podcast.is_some() {
            filters.push("e.podcast_id = :podcast");
        }
        if offline_only {
            filters.push("EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done')");
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filters.join(" AND "))
        };
        let podcast_id = podcast.map(|p| p.0);
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
        if podcast.is_some() {
            named.push((":podcast", &podcast_id));
        }
        let tx = self.conn.unchecked_transaction()?;
        let total: i64 = tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM episodes e {filter}"))?
            .query_row(named.as_slice(), |r| r.get(0))?;
        // Past the end of an i64 there is nothing to list; SQLite's OFFSET takes an i64.
        let at = i64::try_from(offset).unwrap_or(i64::MAX);
        named.push((":offset", &at));
        named.push((":limit", &limit));
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} {filter} \
             ORDER BY e.published_ts DESC, e.feed_position, e.id LIMIT :limit OFFSET :offset"
        ))?;
        let items = stmt
            .query_map(named.as_slice(), episode_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        tx.finish()?;
        Ok(Window::counted(total, offset, items))
    }

    /// Everything about one episode; the show notes come out sanitised.
    pub fn episode(&self, id: EpisodeId) -> Result<EpisodeDetail> {
        Ok(self.episode_unprepared(id)?.prepared())
    }

    /// [`Library::episode`] with the show notes not yet sanitised: a shell that holds a lock the
    /// window waits on reads this under the lock and calls [`UnpreparedEpisode::prepared`] after
    /// letting go, so a big or hostile set of notes never holds up a list or a search.
    pub fn episode_unprepared(&self, id: EpisodeId) -> Result<UnpreparedEpisode> {
        let sql = format!(
            "SELECT {EPISODE_COLUMNS}, p.title, e.notes_raw, e.image_url, e.author, e.episode_number, e.season, \
             e.episode_type, e.explicit, e.podcast20, p.feed_url FROM episodes e {STATE_JOIN} JOIN podcasts p ON p.id = e.podcast_id WHERE e.id = ?1"
        );
        let (detail, feed_url) = self
            .conn
            .query_row(&sql, [id.0], |r| {
                let episode = episode_from_row(r)?;
                let raw: String = r.get(15)?;
                let p20: Option<String> = r.get(22)?;
                let feed_url: String = r.get(23)?;
                let detail = EpisodeDetail {
                    episode,
                    podcast_title: r.get(14)?,
                    notes_html: raw,
                    image_url: r.get(16)?,
                    author: r.get(17)?,
                    episode_number: r.get(18)?,
                    season: r.get(19)?,
                    episode_type: r.get(20)?,
                    explicit: r.get(21)?,
                    podcast20: p20.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
                    remote_images: 0,
                    remote_images_allowed: false,
                };
                Ok((detail, feed_url))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))?;
        let owner = crate::image_proxy::ImageOwner::Podcast(detail.episode.podcast_id.0);
        let mut detail = EpisodeDetail {
            remote_images_allowed: self.remote_images_allowed(owner)?,
            ..detail
        };
        // Libraries made before feeds were checked, or imported from elsewhere, may still hold
        // local paths a remote feed named: they never leave the library.
        if !crate::local_files::feed_may_name_files(&feed_url) {
            crate::local_files::drop_from_episode(&mut detail);
        }
        Ok(UnpreparedEpisode(detail))
    }

    /// An episode's show notes as the feed gave them (not sanitised: never for display).
    pub(crate) fn episode_notes_raw(&self, id: EpisodeId) -> Result<String> {
        self.conn
            .query_row("SELECT notes_raw FROM episodes WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    /// Where the listener is in an episode (seconds) and whether it counts as played.
    pub fn listening_state(&self, id: EpisodeId) -> Result<(f64, bool)> {
        let exists: Option<(f64, bool)> = self
            .conn
            .query_row(
                "SELECT COALESCE(s.position_secs, 0), COALESCE(s.played, 0) FROM episodes e \
                 LEFT JOIN episode_state s ON s.episode_id = e.id WHERE e.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        exists.ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    /// Saves the listening position (called every few seconds while playing, and on pause, stop
    /// and quit), so a killed process resumes close to where it was.
    pub fn save_position(&mut self, id: EpisodeId, secs: f64, now: DateTime<Utc>) -> Result<()> {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, ?2, 0, ?3 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET position_secs = excluded.position_secs, updated_at = excluded.updated_at",
            params![id.0, secs, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// Records that an episode was listened to the end, or marked played by hand: played, and the
    /// position back at the start so the next play begins from the top. One statement, so a crash
    /// cannot leave a played episode that resumes near its end. Both shells (the app's player and
    /// its "played" button, `earmark-cli play` and `mark`) finish an episode through this.
    pub fn finish_episode(&mut self, id: EpisodeId, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, 0, 1, ?2 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET played = 1, position_secs = 0, updated_at = excluded.updated_at",
            params![id.0, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// Marks an episode played or unplayed by hand (or when playback reaches its end).
    pub fn set_played(&mut self, id: EpisodeId, played: bool, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, 0, ?2, ?3 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET played = excluded.played, updated_at = excluded.updated_at",
            params![id.0, played, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};
    use crate::library::test_support::t0;

    #[test]
    fn episode_lists_walk_their_index_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(dir.path()).expect("open");
        for (one, index) in [
            (true, "episodes_by_date (podcast_id=?)"),
            (false, "episodes_all_by_date"),
        ] {
            let mut stmt = lib
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", episodes_sql(one)))
                .expect("plan");
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(one.then_some(1_i64)), |r| {
                    r.get::<_, String>(3)
                })
                .expect("plan rows")
                .collect::<rusqlite::Result<_>>()
                .expect("plan rows");
            let plan = plan.join("\n");
            assert!(plan.contains(index), "one podcast: {one}\n{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "one podcast: {one}\n{plan}");
        }
    }

    #[test]
    fn episode_windows_are_slices_of_the_list_with_its_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let mut shows = Vec::new();
        for (url, n) in [("https://a.example/feed", 25), ("https://b.example/feed", 10)] {
            let (id, _) = lib.add_podcast(url, "", t0()).expect("add");
            let items = (0..n)
                .map(|i| ParsedItem {
                    guid: format!("{url}#{i}"),
                    title: format!("{url} {i}"),
                    // Some undated, which sort after the dated ones.
                    published: (i % 4 != 0).then(|| t0() + chrono::Duration::hours(i64::from(i) * 7)),
                    ..ParsedItem::default()
                })
                .collect();
            let feed = ParsedFeed {
                title: url.into(),
                items,
                ..ParsedFeed::default()
            };
            lib.store_feed(id, &feed, t0()).expect("store");
            shows.push(id);
        }
        let ids = |eps: &[Episode]| eps.iter().map(|e| e.id).collect::<Vec<_>>();

        let all = lib.episodes(None).expect("all");
        let w = lib.episode_window(None, false, 0, 10).expect("window");
        assert_eq!((w.total, w.offset), (35, 0));
        assert_eq!(ids(&w.items), ids(&all[..10]));
        let w = lib.episode_window(None, false, 30, 10).expect("window");
        assert_eq!(ids(&w.items), ids(&all[30..]), "the last window is short");

        let one = lib.episodes(Some(shows[0])).expect("one");
        let w = lib.episode_window(Some(shows[0]), false, 20, 10).expect("window");
        assert_eq!((w.total, w.offset), (25, 20));
        assert_eq!(ids(&w.items), ids(&one[20..]));

        let w = lib.episode_window(None, false, 1_000, 10).expect("past the end");
        assert_eq!((w.total, w.items.len()), (35, 0));
        let w = lib.episode_window(None, false, u64::MAX, 10).expect("far past the end");
        assert_eq!((w.total, w.items.len()), (35, 0));

        // Offline only: the downloaded ones, in list order, counted alike.
        for e in [&one[3], &one[7], &all[0]] {
            lib.conn()
                .execute(
                    "INSERT OR REPLACE INTO downloads (episode_id, state, file_name, updated_at) VALUES (?1, 'done', 'f', 'x')",
                    [e.id.0],
                )
                .expect("download");
        }
        lib.conn()
            .execute(
                "INSERT INTO downloads (episode_id, state, file_name, updated_at) VALUES (?1, 'paused', 'f', 'x')",
                [one[9].id.0],
            )
            .expect("paused download");
        let w = lib.episode_window(None, true, 0, 10).expect("offline");
        let want: Vec<_> = all
            .iter()
            .filter(|e| [one[3].id, one[7].id, all[0].id].contains(&e.id))
            .map(|e| e.id)
            .collect();
        assert_eq!((w.total, ids(&w.items)), (3, want));
        assert!(w.items.iter().all(|e| e.downloaded));
        let w = lib
            .episode_window(Some(shows[0]), true, 1, 10)
            .expect("offline, one show");
        assert_eq!(
            w.total,
            lib.episode_window(Some(shows[0]), true, 0, 0).expect("count").total
        );
        assert_eq!(w.items.len() as u64, w.total - 1);
    }

    #[test]
    fn listening_state_is_saved_and_survives_refresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (id, _) = lib.add_podcast("https://a.example/feed", "", t0()).expect("add");
        let feed = ParsedFeed {
            items: vec![ParsedItem {
                guid: "a".into(),
                title: "A".into(),
                ..ParsedItem::default()
            }],
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, t0()).expect("store");
        let ep = lib.episodes(None).expect("eps")[0].id;
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, false));
        lib.save_position(ep, 754.5, t0()).expect("save");
        lib.set_played(ep, true, t0()).expect("played");
        lib.store_feed(id, &feed, t0()).expect("refresh");
        assert_eq!(lib.listening_state(ep).expect("state"), (754.5, true));
        let row = &lib.episodes(None).expect("eps")[0];
        assert_eq!((row.position_secs, row.played), (754.5, true));
        lib.set_played(ep, false, t0()).expect("unplayed");
        assert_eq!(lib.listening_state(ep).expect("state"), (754.5, false));
        assert!(matches!(
            lib.save_position(EpisodeId(999), 1.0, t0()),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(lib.listening_state(EpisodeId(999)), Err(Error::NotFound(_))));
        // Finishing marks it played and sends the next play back to the top, with or without a
        // state row before; an unknown episode is an error.
        lib.save_position(ep, 1800.0, t0()).expect("save");
        lib.finish_episode(ep, t0()).expect("finish");
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, true));
        lib.conn().execute("DELETE FROM episode_state", []).expect("clear");
        lib.finish_episode(ep, t0()).expect("finish without a state row");
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, true));
        assert!(matches!(
            lib.finish_episode(EpisodeId(999), t0()),
            Err(Error::NotFound(_))
        ));
    }
}
