//! Playlists beside "Up next": named lists ordered by hand, and smart playlists that are saved
//! filters (unplayed, downloaded, a podcast, a tag, a campaign, shorter than N minutes; newest
//! or oldest first). Playing from a playlist moves on within it ([`Library::playlist_next`]).
//! Both shells use these calls; the app and `earmark-cli playlist` differ only in how they ask.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::library::{episode_from_row, rfc3339, Library, EPISODE_COLUMNS, STATE_JOIN};
use crate::model::{Episode, EpisodeId, PodcastId};

/// A playlist's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlaylistId(#[ts(type = "number")] pub i64);

/// The order a smart playlist lists its episodes in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RuleOrder {
    /// Newest first: what a "latest" list wants.
    #[default]
    Newest,
    /// Oldest first: working through a back catalogue.
    Oldest,
}

/// A smart playlist's saved filter. Every condition given must hold; none given lists every
/// episode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct SmartRule {
    /// Only episodes not played yet.
    pub unplayed: bool,
    /// Only episodes downloaded for offline listening.
    pub downloaded: bool,
    /// Only this podcast's episodes.
    pub podcast: Option<PodcastId>,
    /// Only episodes with this tag (staff's tags, by name).
    pub tag: Option<String>,
    /// Only episodes of this campaign: put in it, or linked to one of its posts or pages.
    pub campaign: Option<String>,
    /// Only episodes known to be shorter than this many minutes.
    pub shorter_than_mins: Option<u32>,
    /// The order.
    pub order: RuleOrder,
    /// At most this many episodes.
    pub limit: Option<u32>,
}

/// The longest playlist name accepted.
const MAX_NAME_CHARS: usize = 120;

impl SmartRule {
    fn check(&self) -> Result<()> {
        if self.shorter_than_mins == Some(0) {
            return Err(Error::Invalid("\"shorter than\" must be at least one minute".into()));
        }
        if self.limit == Some(0) {
            return Err(Error::Invalid("a playlist limit must be at least one episode".into()));
        }
        Ok(())
    }

    /// The filter as SQL over `episodes e` (with the state join), and its named values. `keep`
    /// is an episode listed even when it no longer matches: the one that just finished, so the
    /// next one after it can be found although "unplayed" now leaves it out.
    fn sql(&self, keep: Option<EpisodeId>) -> (String, Vec<(&'static str, rusqlite::types::Value)>) {
        use rusqlite::types::Value;
        let mut conds: Vec<&str> = Vec::new();
        let mut values: Vec<(&'static str, Value)> = Vec::new();
        if self.unplayed {
            conds.push("COALESCE(s.played, 0) = 0");
        }
        if self.downloaded {
            conds.push("EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done')");
        }
        if let Some(p) = self.podcast {
            conds.push("e.podcast_id = :podcast");
            values.push((":podcast", Value::Integer(p.0)));
        }
        if let Some(tag) = &self.tag {
            conds.push(
                "EXISTS (SELECT 1 FROM episode_tags et JOIN tags t ON t.id = et.tag_id \
                 WHERE et.episode_id = e.id AND t.name = :tag)",
            );
            values.push((":tag", Value::Text(tag.clone())));
        }
        if let Some(campaign) = &self.campaign {
            conds.push(
                "(EXISTS (SELECT 1 FROM collection_episodes ce JOIN collections c ON c.id = ce.collection_id \
                   WHERE ce.episode_id = e.id AND c.name = :campaign) \
                 OR EXISTS (SELECT 1 FROM links l JOIN collection_documents cd ON cd.document_id = l.document_id \
                   JOIN collections c ON c.id = cd.collection_id \
                   WHERE l.episode_id = e.id AND c.name = :campaign \
                   AND (l.state = 'accepted' OR (l.kind = 'explicit' AND l.state <> 'rejected'))))",
            );
            values.push((":campaign", Value::Text(campaign.clone())));
        }
        if let Some(mins) = self.shorter_than_mins {
            conds.push("e.duration_secs IS NOT NULL AND e.duration_secs < :secs");
            values.push((":secs", Value::Real(f64::from(mins) * 60.0)));
        }
        let mut filter = if conds.is_empty() {
            "1".to_owned()
        } else {
            conds.join(" AND ")
        };
        if let Some(k) = keep {
            filter = format!("({filter}) OR e.id = :keep");
            values.push((":keep", Value::Integer(k.0)));
        }
        let order = match self.order {
            RuleOrder::Newest => "e.published_ts IS NULL, e.published_ts DESC, e.feed_position, e.id",
            RuleOrder::Oldest => "e.published_ts IS NULL, e.published_ts ASC, e.feed_position DESC, e.id",
        };
        let limit = self.limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        (
            format!("SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} WHERE {filter} ORDER BY {order}{limit}"),
            values,
        )
    }
}

/// One playlist as the sidebar and `earmark-cli playlist list` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Playlist {
    /// Row id.
    pub id: PlaylistId,
    /// Its name (unique, ignoring case).
    pub name: String,
    /// The saved filter of a smart playlist; null for one ordered by hand.
    pub rule: Option<SmartRule>,
    /// How many episodes it lists now.
    #[ts(type = "number")]
    pub episode_count: u64,
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("a playlist needs a name".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "a playlist name is one line of at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name)
}

fn rule_text(rule: &SmartRule) -> Result<String> {
    serde_json::to_string(rule).map_err(|e| Error::Invalid(format!("a playlist rule that cannot be saved: {e}")))
}

fn rule_from(text: Option<String>) -> Result<Option<SmartRule>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| Error::Invalid(format!("a damaged playlist rule: {e}"))))
        .transpose()
}

impl Library {
    /// Makes a playlist: ordered by hand without `rule`, a smart one with it.
    pub fn playlist_create(&mut self, name: &str, rule: Option<&SmartRule>, now: DateTime<Utc>) -> Result<PlaylistId> {
        let name = check_name(name)?;
        let rule = rule.map(|r| r.check().and_then(|()| rule_text(r))).transpose()?;
        let added = self.conn().execute(
            "INSERT INTO playlists (name, rule, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            params![name, rule, rfc3339(now)],
        )?;
        if added == 0 {
            return Err(Error::Invalid(format!("there is already a playlist called {name:?}")));
        }
        Ok(PlaylistId(self.conn().last_insert_rowid()))
    }

    /// Every playlist, by name, with how many episodes each lists now.
    pub fn playlists(&self) -> Result<Vec<Playlist>> {
        let rows: Vec<(i64, String, Option<String>)> = self
            .conn()
            .prepare_cached("SELECT id, name, rule FROM playlists ORDER BY name COLLATE NOCASE, id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, name, rule)| {
                let rule = rule_from(rule)?;
                let episode_count = self.playlist_count(PlaylistId(id), rule.as_ref())?;
                Ok(Playlist {
                    id: PlaylistId(id),
                    name,
                    rule,
                    episode_count,
                })
            })
            .collect()
    }

    fn playlist_count(&self, id: PlaylistId, rule: Option<&SmartRule>) -> Result<u64> {
        let n: i64 = match rule {
            None => self
                .conn()
                .prepare_cached("SELECT COUNT(*) FROM playlist_entries WHERE playlist_id = ?1")?
                .query_row([id.0], |r| r.get(0))?,
            Some(rule) => {
                let (sql, values) = rule.sql(None);
                let named: Vec<(&str, &dyn rusqlite::ToSql)> =
                    values.iter().map(|(k, v)| (*k, v as &dyn rusqlite::ToSql)).collect();
                self.conn()
                    .prepare_cached(&format!("SELECT COUNT(*) FROM ({sql})"))?
                    .query_row(named.as_slice(), |r| r.get(0))?
            }
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One playlist.
    pub fn playlist(&self, id: PlaylistId) -> Result<Playlist> {
        self.playlists()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::NotFound(format!("playlist {}", id.0)))
    }

    /// The playlist called `name` (ignoring case), else the one whose id `name` is.
    pub fn playlist_named(&self, name: &str) -> Result<Playlist> {
        let found: Option<i64> = self
            .conn()
            .prepare_cached("SELECT id FROM playlists WHERE name = ?1")?
            .query_row([name.trim()], |r| r.get(0))
            .optional()?;
        match found.or_else(|| name.trim().parse().ok()) {
            Some(id) => self.playlist(PlaylistId(id)),
            None => Err(Error::NotFound(format!("playlist {name:?}"))),
        }
    }

    /// Renames a playlist.
    pub fn playlist_rename(&mut self, id: PlaylistId, name: &str) -> Result<()> {
        let name = check_name(name)?;
        let taken: Option<i64> = self
            .conn()
            .query_row(
                "SELECT id FROM playlists WHERE name = ?1 AND id <> ?2",
                params![name, id.0],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(Error::Invalid(format!("there is already a playlist called {name:?}")));
        }
        self.require_playlist(
            self.conn()
                .execute("UPDATE playlists SET name = ?2 WHERE id = ?1", params![id.0, name])?,
            id,
        )
    }

    /// Changes a smart playlist's filter (a playlist ordered by hand stays one).
    pub fn playlist_set_rule(&mut self, id: PlaylistId, rule: &SmartRule) -> Result<()> {
        rule.check()?;
        if self.playlist(id)?.rule.is_none() {
            return Err(Error::Invalid(
                "this playlist is ordered by hand; it has no filter".into(),
            ));
        }
        let text = rule_text(rule)?;
        self.require_playlist(
            self.conn()
                .execute("UPDATE playlists SET rule = ?2 WHERE id = ?1", params![id.0, text])?,
            id,
        )
    }

    /// Deletes a playlist (its episodes stay in the library).
    pub fn playlist_delete(&mut self, id: PlaylistId) -> Result<()> {
        self.require_playlist(self.conn().execute("DELETE FROM playlists WHERE id = ?1", [id.0])?, id)
    }

    fn require_playlist(&self, changed: usize, id: PlaylistId) -> Result<()> {
        if changed == 0 {
            return Err(Error::NotFound(format!("playlist {}", id.0)));
        }
        Ok(())
    }

    /// The episode ids of a playlist ordered by hand, in order; an error for a smart one.
    fn entries(&self, id: PlaylistId) -> Result<Vec<i64>> {
        if self.playlist(id)?.rule.is_some() {
            return Err(Error::Invalid(
                "a smart playlist lists what matches its filter; change the filter instead".into(),
            ));
        }
        let ids = self
            .conn()
            .prepare_cached("SELECT episode_id FROM playlist_entries WHERE playlist_id = ?1 ORDER BY ord")?
            .query_map([id.0], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn write_entries(&mut self, id: PlaylistId, ids: &[i64]) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM playlist_entries WHERE playlist_id = ?1", [id.0])?;
        {
            let mut ins =
                tx.prepare_cached("INSERT INTO playlist_entries (playlist_id, episode_id, ord) VALUES (?1, ?2, ?3)")?;
            for (i, e) in ids.iter().enumerate() {
                ins.execute(params![id.0, e, i as i64])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds episodes to the end of a playlist ordered by hand; one already in it moves there.
    pub fn playlist_add(&mut self, id: PlaylistId, episodes: &[EpisodeId]) -> Result<()> {
        for e in episodes {
            self.listening_state(*e)?;
        }
        let mut order = self.entries(id)?;
        order.retain(|x| !episodes.iter().any(|e| e.0 == *x));
        order.extend(episodes.iter().map(|e| e.0));
        self.write_entries(id, &order)
    }

    /// Takes an episode out of a playlist ordered by hand (no error when it was not in it).
    pub fn playlist_remove(&mut self, id: PlaylistId, episode: EpisodeId) -> Result<()> {
        let mut order = self.entries(id)?;
        order.retain(|x| *x != episode.0);
        self.write_entries(id, &order)
    }

    /// Moves an episode of a playlist ordered by hand to `index` (0 = first; past the end = last).
    pub fn playlist_move(&mut self, id: PlaylistId, episode: EpisodeId, index: usize) -> Result<()> {
        let mut order = self.entries(id)?;
        let Some(from) = order.iter().position(|x| *x == episode.0) else {
            return Err(Error::NotFound(format!("episode {} in the playlist", episode.0)));
        };
        let item = order.remove(from);
        order.insert(index.min(order.len()), item);
        self.write_entries(id, &order)
    }

    /// A playlist's episodes, in its order (a smart one's as they match now).
    pub fn playlist_episodes(&self, id: PlaylistId) -> Result<Vec<Episode>> {
        self.listed(id, None)
    }

    fn listed(&self, id: PlaylistId, keep: Option<EpisodeId>) -> Result<Vec<Episode>> {
        match self.playlist(id)?.rule {
            None => {
                let sql = format!(
                    "SELECT {EPISODE_COLUMNS} FROM playlist_entries pe JOIN episodes e ON e.id = pe.episode_id \
                     {STATE_JOIN} WHERE pe.playlist_id = ?1 ORDER BY pe.ord"
                );
                let rows = self
                    .conn()
                    .prepare_cached(&sql)?
                    .query_map([id.0], episode_from_row)?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            }
            Some(rule) => {
                let (sql, values) = rule.sql(keep);
                let named: Vec<(&str, &dyn rusqlite::ToSql)> =
                    values.iter().map(|(k, v)| (*k, v as &dyn rusqlite::ToSql)).collect();
                let rows = self
                    .conn()
                    .prepare_cached(&sql)?
                    .query_map(named.as_slice(), episode_from_row)?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            }
        }
    }

    /// What plays after `finished` when playing from playlist `id`: the episode after it in the
    /// playlist's order (a smart playlist is read again, with `finished` kept in its place even
    /// though, now played, an "unplayed" filter would leave it out); none at the end, or when
    /// `finished` is no longer in it.
    pub fn playlist_next(&self, id: PlaylistId, finished: EpisodeId) -> Result<Option<EpisodeId>> {
        let list = self.listed(id, Some(finished))?;
        Ok(list
            .iter()
            .position(|e| e.id == finished)
            .and_then(|at| list.get(at + 1))
            .map(|e| e.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};

    /// A library with two podcasts: A's five episodes, one a day (A0 oldest), 10·(i+1) minutes
    /// long; B's one.
    fn library() -> (tempfile::TempDir, Library, Vec<EpisodeId>, PodcastId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let (a, _) = lib.add_podcast("https://a.example/feed", "A", now).expect("add");
        let items = (0..5)
            .map(|i| ParsedItem {
                guid: format!("a{i}"),
                title: format!("A{i}"),
                published: chrono::DateTime::from_timestamp(1_600_000_000 + i * 86_400, 0),
                duration_secs: Some(600.0 * (i + 1) as f64),
                ..ParsedItem::default()
            })
            .collect();
        let feed = ParsedFeed {
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(a, &feed, now).expect("store");
        let (b, _) = lib.add_podcast("https://b.example/feed", "B", now).expect("add");
        let feed = ParsedFeed {
            items: vec![ParsedItem {
                guid: "b0".into(),
                title: "B0".into(),
                ..ParsedItem::default()
            }],
            ..ParsedFeed::default()
        };
        lib.store_feed(b, &feed, now).expect("store");
        let mut ids: Vec<(String, EpisodeId)> = lib
            .episodes(None)
            .expect("eps")
            .into_iter()
            .map(|e| (e.title, e.id))
            .collect();
        ids.sort();
        (dir, lib, ids.into_iter().map(|(_, id)| id).collect(), a)
    }

    fn titles(lib: &Library, id: PlaylistId) -> Vec<String> {
        lib.playlist_episodes(id)
            .expect("episodes")
            .into_iter()
            .map(|e| e.title)
            .collect()
    }

    fn now() -> DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_playlist_by_hand_keeps_its_order_and_moves_on_within_it() {
        let (dir, mut lib, ids, _) = library();
        let p = lib.playlist_create("Road trip", None, now()).expect("create");
        assert!(
            lib.playlist_create("road TRIP", None, now()).is_err(),
            "names are unique"
        );
        lib.playlist_add(p, &[ids[3], ids[0], ids[5]]).expect("add");
        lib.playlist_add(p, &[ids[3]]).expect("re-add moves to the end");
        assert_eq!(titles(&lib, p), ["A0", "B0", "A3"]);
        lib.playlist_move(p, ids[3], 0).expect("move");
        assert_eq!(titles(&lib, p), ["A3", "A0", "B0"]);
        assert_eq!(lib.playlist_next(p, ids[3]).expect("next"), Some(ids[0]));
        assert_eq!(lib.playlist_next(p, ids[5]).expect("next"), None, "the end");
        assert_eq!(lib.playlist_next(p, ids[1]).expect("next"), None, "not in it");
        lib.playlist_remove(p, ids[0]).expect("remove");
        lib.playlist_rename(p, "Long drive").expect("rename");
        drop(lib);
        let mut lib = Library::open(dir.path()).expect("reopen");
        let found = lib.playlist_named("long drive").expect("by name");
        assert_eq!((found.id, found.episode_count), (p, 2));
        assert_eq!(lib.playlist_named(&p.0.to_string()).expect("by id").name, "Long drive");
        assert!(lib.playlist_add(p, &[EpisodeId(999)]).is_err(), "unknown episode");
        assert!(lib.playlist_create("  ", None, now()).is_err());
        assert!(lib.playlist_create("two\nlines", None, now()).is_err());
        lib.playlist_delete(p).expect("delete");
        assert!(lib.playlists().expect("list").is_empty());
        assert_eq!(lib.episodes(None).expect("eps").len(), 6, "episodes stay");
    }

    #[test]
    fn a_smart_playlist_lists_what_matches_now_and_moves_past_what_just_finished() {
        let (_dir, mut lib, ids, a) = library();
        let rule = SmartRule {
            unplayed: true,
            podcast: Some(a),
            shorter_than_mins: Some(45),
            order: RuleOrder::Oldest,
            ..SmartRule::default()
        };
        let p = lib.playlist_create("Short A", Some(&rule), now()).expect("create");
        assert_eq!(
            titles(&lib, p),
            ["A0", "A1", "A2", "A3"],
            "40 min is under 45, 50 is not"
        );
        // A1 finishes: it leaves the list, and what follows it is A2.
        lib.finish_episode(ids[1], now()).expect("finish");
        assert_eq!(titles(&lib, p), ["A0", "A2", "A3"]);
        assert_eq!(lib.playlist_next(p, ids[1]).expect("next"), Some(ids[2]));
        assert_eq!(lib.playlist(p).expect("one").episode_count, 3);
        assert!(
            lib.playlist_add(p, &[ids[4]]).is_err(),
            "a smart playlist is not edited by hand"
        );
        let newest_two = SmartRule {
            order: RuleOrder::Newest,
            limit: Some(2),
            ..rule.clone()
        };
        lib.playlist_set_rule(p, &newest_two).expect("edit");
        assert_eq!(titles(&lib, p), ["A3", "A2"]);
        let bad = SmartRule {
            shorter_than_mins: Some(0),
            ..SmartRule::default()
        };
        assert!(lib.playlist_set_rule(p, &bad).is_err());
        let by_hand = lib.playlist_create("Mine", None, now()).expect("create");
        assert!(lib.playlist_set_rule(by_hand, &rule).is_err());
    }

    #[test]
    fn smart_rules_filter_by_tag_campaign_and_download() {
        let (_dir, mut lib, ids, _) = library();
        lib.tag_episode(ids[2], &["custody"]).expect("tag");
        let tagged = SmartRule {
            tag: Some("Custody".into()),
            ..SmartRule::default()
        };
        let p = lib.playlist_create("Tagged", Some(&tagged), now()).expect("create");
        assert_eq!(titles(&lib, p), ["A2"], "tags match ignoring case");
        let c = lib
            .collection_ensure("In Dad's Shoes", crate::docs::CollectionKind::Campaign, now())
            .expect("campaign");
        lib.collection_add_episode(c, ids[4]).expect("into the campaign");
        let campaign = SmartRule {
            campaign: Some("in dad's shoes".into()),
            ..SmartRule::default()
        };
        let q = lib.playlist_create("Campaign", Some(&campaign), now()).expect("create");
        assert_eq!(titles(&lib, q), ["A4"]);
        let offline = SmartRule {
            downloaded: true,
            ..SmartRule::default()
        };
        let r = lib.playlist_create("Offline", Some(&offline), now()).expect("create");
        assert!(titles(&lib, r).is_empty(), "nothing is downloaded");
    }
}
