//! The sync's SQL: the account and cursors, what waits to be sent, and applying what a server
//! sent under the rules (newest by its own time wins; an older action never moves a position).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::matching::{file_name, normal_url};
use super::wire::{Action, ActionKind};
use super::{Account, Flavour, SyncStatus};
use crate::error::Result;
use crate::library::{rfc3339, Library};
use crate::model::PodcastId;
use crate::playable::PLAYED_MARGIN_SECS;

/// A local listening state waiting to be sent.
pub(crate) struct PendingState {
    pub episode_id: i64,
    pub changed_at: String,
    pub feed_url: String,
    pub media_url: String,
    pub guid: String,
    pub position: f64,
    pub played: bool,
    pub duration: Option<f64>,
}

/// A download or delete waiting to be sent.
pub(crate) struct PendingMedia {
    pub episode_id: i64,
    pub delete: bool,
    pub at: String,
    pub feed_url: String,
    pub media_url: String,
    pub guid: String,
}

/// What applying a server's actions changed.
#[derive(Default)]
pub(crate) struct Applied {
    pub positions_moved: u32,
    pub played_changed: u32,
    pub unmatched: u32,
}

/// Whether an action's position means "listened to the end".
pub(crate) fn reaches_end(position: f64, total: f64) -> bool {
    total > 0.0 && position > 0.0 && position >= total - PLAYED_MARGIN_SECS.min(total * 0.1)
}

fn ts(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

impl Library {
    /// The sync account, with the server time episode actions were last pulled up to.
    pub(crate) fn sync_account(&self) -> Result<Option<(Account, i64)>> {
        let row = self
            .conn()
            .query_row(
                "SELECT server_url, username, device_id, flavour, actions_since FROM sync_account WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(server, user, device, flavour, since)| {
            Some((
                Account {
                    server,
                    user,
                    device,
                    flavour: Flavour::parse(&flavour)?,
                },
                since,
            ))
        }))
    }

    /// Sets the account. A different server or user starts from nothing (all cursors at zero), so
    /// the first sync pulls everything; the same account logging in again keeps its cursors.
    pub(crate) fn set_sync_account(&mut self, account: &Account, now: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let same: bool = tx
            .query_row(
                "SELECT COUNT(*) FROM sync_account WHERE server_url = ?1 AND username = ?2 AND device_id = ?3",
                params![account.server, account.user, account.device],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if same {
            tx.execute(
                "UPDATE sync_account SET flavour = ?1, last_error = NULL WHERE id = 1",
                [account.flavour.as_str()],
            )?;
        } else {
            tx.execute("DELETE FROM sync_account", [])?;
            tx.execute("DELETE FROM sync_device_cursors", [])?;
            tx.execute(
                "INSERT INTO sync_account (id, server_url, username, device_id, flavour, created_at) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                params![
                    account.server,
                    account.user,
                    account.device,
                    account.flavour.as_str(),
                    rfc3339(now)
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets the account (what waits to be sent stays, for a later login).
    pub(crate) fn clear_sync_account(&mut self) -> Result<()> {
        self.conn().execute("DELETE FROM sync_account", [])?;
        self.conn().execute("DELETE FROM sync_device_cursors", [])?;
        Ok(())
    }

    /// Records how a sync ended: a time when it finished, or why it stopped.
    pub(crate) fn record_sync_end(&mut self, now: DateTime<Utc>, error: Option<&str>) -> Result<()> {
        match error {
            None => self.conn().execute(
                "UPDATE sync_account SET last_sync = ?1, last_error = NULL WHERE id = 1",
                [rfc3339(now)],
            )?,
            Some(e) => self
                .conn()
                .execute("UPDATE sync_account SET last_error = ?1 WHERE id = 1", [e])?,
        };
        Ok(())
    }

    /// The state Settings and `sync status` show.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let account = self.sync_account()?.map(|(a, _)| a);
        let (last_sync, last_error) = self
            .conn()
            .query_row("SELECT last_sync, last_error FROM sync_account WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or((None, None));
        let count = |sql: &str| -> Result<u32> { Ok(self.conn().query_row(sql, [], |r| r.get::<_, u32>(0))?) };
        Ok(SyncStatus {
            account,
            last_sync,
            last_error,
            pending_subscriptions: count("SELECT COUNT(*) FROM sync_pending_subs")?,
            pending_actions: count(
                "SELECT (SELECT COUNT(*) FROM sync_pending_state s JOIN episodes e ON e.id = s.episode_id \
                         WHERE e.enclosure_url IS NOT NULL) + (SELECT COUNT(*) FROM sync_pending_media)",
            )?,
            unmatched: count("SELECT COUNT(*) FROM sync_unmatched")?,
        })
    }

    /// When a sync last asked for a week of actions (unix seconds; 0 = never).
    pub(crate) fn actions_swept_at(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT actions_swept_at FROM sync_account WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }

    pub(crate) fn set_actions_swept_at(&mut self, at: i64) -> Result<()> {
        self.conn()
            .execute("UPDATE sync_account SET actions_swept_at = ?1 WHERE id = 1", [at])?;
        Ok(())
    }

    pub(crate) fn set_actions_since(&mut self, since: i64) -> Result<()> {
        self.conn()
            .execute("UPDATE sync_account SET actions_since = ?1 WHERE id = 1", [since])?;
        Ok(())
    }

    /// The server time each device's subscriptions were last pulled up to.
    pub(crate) fn device_cursor(&self, device: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT since FROM sync_device_cursors WHERE device = ?1",
                [device],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub(crate) fn set_device_cursor(&mut self, device: &str, since: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sync_device_cursors (device, since) VALUES (?1, ?2) \
             ON CONFLICT (device) DO UPDATE SET since = excluded.since",
            params![device, since],
        )?;
        Ok(())
    }

    /// Subscription changes waiting: (feed URL, subscribed, changed at).
    pub(crate) fn pending_subs(&self) -> Result<Vec<(String, bool, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT feed_url, subscribed, changed_at FROM sync_pending_subs ORDER BY changed_at")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Clears sent subscription changes, unless they changed again meanwhile.
    pub(crate) fn clear_pending_subs(&mut self, sent: &[(String, bool, String)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut del = tx
                .prepare("DELETE FROM sync_pending_subs WHERE feed_url = ?1 AND subscribed = ?2 AND changed_at = ?3")?;
            for (url, sub, at) in sent {
                del.execute(params![url, sub, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Listening states waiting to be sent (episodes with a media URL; text-only entries have no
    /// identity other apps know and are dropped from the list).
    pub(crate) fn pending_states(&mut self) -> Result<Vec<PendingState>> {
        self.conn().execute(
            "DELETE FROM sync_pending_state WHERE episode_id IN \
             (SELECT id FROM episodes WHERE enclosure_url IS NULL)",
            [],
        )?;
        let mut stmt = self.conn().prepare(
            "SELECT s.episode_id, s.changed_at, p.feed_url, e.enclosure_url, e.guid, \
                    COALESCE(st.position_secs, 0), COALESCE(st.played, 0), e.duration_secs \
             FROM sync_pending_state s JOIN episodes e ON e.id = s.episode_id \
             JOIN podcasts p ON p.id = e.podcast_id LEFT JOIN episode_state st ON st.episode_id = e.id \
             ORDER BY s.changed_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingState {
                episode_id: r.get(0)?,
                changed_at: r.get(1)?,
                feed_url: r.get(2)?,
                media_url: r.get(3)?,
                guid: r.get(4)?,
                position: r.get(5)?,
                played: r.get(6)?,
                duration: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Clears sent states, unless the state changed again meanwhile.
    pub(crate) fn clear_pending_states(&mut self, sent: &[(i64, String)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut del = tx.prepare("DELETE FROM sync_pending_state WHERE episode_id = ?1 AND changed_at = ?2")?;
            for (id, at) in sent {
                del.execute(params![id, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Downloads and deletes waiting to be sent.
    pub(crate) fn pending_media(&self) -> Result<Vec<PendingMedia>> {
        let mut stmt = self.conn().prepare(
            "SELECT m.episode_id, m.action, m.at, p.feed_url, e.enclosure_url, e.guid \
             FROM sync_pending_media m JOIN episodes e ON e.id = m.episode_id \
             JOIN podcasts p ON p.id = e.podcast_id WHERE e.enclosure_url IS NOT NULL ORDER BY m.at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingMedia {
                episode_id: r.get(0)?,
                delete: r.get::<_, String>(1)? == "delete",
                at: r.get(2)?,
                feed_url: r.get(3)?,
                media_url: r.get(4)?,
                guid: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn clear_pending_media(&mut self, sent: &[(i64, bool, String)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut del =
                tx.prepare("DELETE FROM sync_pending_media WHERE episode_id = ?1 AND action = ?2 AND at = ?3")?;
            for (id, delete, at) in sent {
                del.execute(params![id, if *delete { "delete" } else { "download" }, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The podcast a feed URL from another app means: its own URL, an alias (old address, the
    /// server's form), or the same URL in normal form.
    pub(crate) fn podcast_for_feed_url(&self, url: &str) -> Result<Option<(PodcastId, bool)>> {
        let direct: Option<(i64, bool)> = self
            .conn()
            .query_row(
                "SELECT p.id, p.subscribed FROM podcasts p WHERE p.feed_url = ?1 \
                 UNION ALL SELECT p.id, p.subscribed FROM podcast_url_aliases a JOIN podcasts p ON p.id = a.podcast_id \
                 WHERE a.url = ?1 LIMIT 1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, sub)) = direct {
            return Ok(Some((PodcastId(id), sub)));
        }
        let want = normal_url(url);
        for (id, feed, sub) in self.feed_urls()? {
            if normal_url(&feed) == want {
                return Ok(Some((PodcastId(id), sub)));
            }
        }
        Ok(None)
    }

    /// Every feed URL and alias: (podcast id, URL, subscribed).
    fn feed_urls(&self) -> Result<Vec<(i64, String, bool)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, feed_url, subscribed FROM podcasts \
             UNION ALL SELECT a.podcast_id, a.url, p.subscribed FROM podcast_url_aliases a \
             JOIN podcasts p ON p.id = a.podcast_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remembers another URL for a podcast's feed.
    pub(crate) fn add_feed_alias(&mut self, url: &str, id: PodcastId) -> Result<()> {
        self.conn().execute(
            "INSERT INTO podcast_url_aliases (url, podcast_id) SELECT ?1, ?2 \
             WHERE NOT EXISTS (SELECT 1 FROM podcasts WHERE feed_url = ?1) \
             ON CONFLICT (url) DO UPDATE SET podcast_id = excluded.podcast_id",
            params![url, id.0],
        )?;
        Ok(())
    }

    /// Subscribes or unsubscribes a podcast the library holds. Unsubscribing keeps everything
    /// (episodes, positions, bookmarks, links); refresh skips it. The change waits to be sent.
    pub fn set_subscribed(&mut self, id: PodcastId, subscribed: bool, now: DateTime<Utc>) -> Result<bool> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let url: Option<String> = tx
            .query_row(
                "UPDATE podcasts SET subscribed = ?2 WHERE id = ?1 AND subscribed <> ?2 RETURNING feed_url",
                params![id.0, subscribed],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(url) = &url {
            tx.execute(
                "INSERT INTO sync_pending_subs (feed_url, subscribed, changed_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (feed_url) DO UPDATE SET subscribed = excluded.subscribed, changed_at = excluded.changed_at",
                params![url, subscribed, rfc3339(now)],
            )?;
        }
        tx.commit()?;
        Ok(url.is_some())
    }

    /// Subscriptions the server named that could not be added, to try again.
    pub(crate) fn failed_subs(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT feed_url FROM sync_failed_subs ORDER BY feed_url")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn set_failed_sub(&mut self, url: &str, error: Option<&str>) -> Result<()> {
        match error {
            Some(e) => self.conn().execute(
                "INSERT INTO sync_failed_subs (feed_url, error) VALUES (?1, ?2) \
                 ON CONFLICT (feed_url) DO UPDATE SET error = excluded.error",
                params![url, e],
            )?,
            None => self
                .conn()
                .execute("DELETE FROM sync_failed_subs WHERE feed_url = ?1", [url])?,
        };
        Ok(())
    }

    /// Applies a server's actions (and those kept from earlier syncs) in one transaction, oldest
    /// first, so the newest by its own time is what stays. An action older than (or as old as) the
    /// episode's local state changes nothing; so a server echoing our own actions changes nothing.
    pub(crate) fn apply_actions(&mut self, incoming: Vec<Action>) -> Result<Applied> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut actions = incoming;
        {
            let mut stmt =
                tx.prepare("SELECT podcast, episode, guid, action, at, position, total FROM sync_unmatched")?;
            let kept = stmt.query_map([], |r| {
                let kind: String = r.get(3)?;
                Ok(Action {
                    podcast: r.get(0)?,
                    episode: r.get(1)?,
                    guid: r.get(2)?,
                    kind: if kind == "new" {
                        ActionKind::New
                    } else {
                        ActionKind::Play
                    },
                    at: Some(r.get(4)?),
                    position: r.get(5)?,
                    total: r.get(6)?,
                })
            })?;
            for a in kept {
                actions.push(a?);
            }
        }
        // Only plays and "new" change state; downloads and deletes elsewhere are news, not orders.
        actions.retain(|a| matches!(a.kind, ActionKind::Play | ActionKind::New));
        if actions.is_empty() {
            // Nothing to match: the usual incremental sync skips reading every episode.
            return Ok(Applied::default());
        }
        actions.sort_by_key(|a| a.at.unwrap_or(0));
        let index = EpisodeIndex::load(&tx)?;
        let mut out = Applied::default();
        {
            let mut state_q = tx.prepare_cached(
                "SELECT s.position_secs, s.played, s.updated_at, e.duration_secs FROM episodes e \
                 LEFT JOIN episode_state s ON s.episode_id = e.id WHERE e.id = ?1",
            )?;
            let mut write = tx.prepare_cached(
                "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (episode_id) DO UPDATE SET position_secs = excluded.position_secs, \
                 played = excluded.played, updated_at = excluded.updated_at",
            )?;
            let mut unpend =
                tx.prepare_cached("DELETE FROM sync_pending_state WHERE episode_id = ?1 AND changed_at = ?2")?;
            let mut keep = tx.prepare_cached(
                "INSERT INTO sync_unmatched (podcast, episode, guid, action, at, position, total) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (podcast, episode) DO UPDATE SET \
                 guid = excluded.guid, action = excluded.action, at = excluded.at, position = excluded.position, \
                 total = excluded.total WHERE excluded.at > sync_unmatched.at",
            )?;
            let mut matched = tx.prepare_cached("DELETE FROM sync_unmatched WHERE podcast = ?1 AND episode = ?2")?;
            for a in &actions {
                let Some(id) = index.find(a) else {
                    if let Some(at) = a.at {
                        keep.execute(params![
                            a.podcast,
                            a.episode,
                            a.guid,
                            a.kind.as_str(),
                            at,
                            a.position,
                            a.total
                        ])?;
                    }
                    continue;
                };
                matched.execute(params![a.podcast, a.episode])?;
                let (pos, played, updated, duration): (Option<f64>, Option<bool>, Option<String>, Option<f64>) =
                    state_q.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                let local_at = updated.as_deref().and_then(ts);
                let remote_at = a.at.unwrap_or(0);
                if local_at.is_some_and(|l| remote_at <= l) || (local_at.is_none() && updated.is_some()) {
                    continue;
                }
                let (old_pos, old_played) = (pos.unwrap_or(0.0), played.unwrap_or(false));
                let (new_pos, new_played) = match a.kind {
                    ActionKind::New => (old_pos, false),
                    _ => {
                        let p = a.position.unwrap_or(0.0);
                        let total = a.total.filter(|t| *t > 0.0).or(duration).unwrap_or(0.0);
                        if reaches_end(p, total) {
                            (0.0, true)
                        } else {
                            (p, false)
                        }
                    }
                };
                if (new_pos - old_pos).abs() < 0.5 && new_played == old_played {
                    continue;
                }
                let Some(when) = DateTime::from_timestamp(remote_at, 0) else {
                    continue;
                };
                let when = rfc3339(when);
                write.execute(params![id, new_pos, new_played, when])?;
                unpend.execute(params![id, when])?;
                if (new_pos - old_pos).abs() >= 0.5 {
                    out.positions_moved += 1;
                }
                if new_played != old_played {
                    out.played_changed += 1;
                }
            }
        }
        out.unmatched = tx.query_row("SELECT COUNT(*) FROM sync_unmatched", [], |r| r.get(0))?;
        tx.commit()?;
        Ok(out)
    }
}

/// Every episode by the keys other apps know it by, built once per sync.
struct EpisodeIndex {
    feeds: HashMap<String, i64>,
    by_guid: HashMap<(i64, String), i64>,
    guid_any: HashMap<String, Option<i64>>,
    by_media: HashMap<String, Option<i64>>,
    by_file: HashMap<(i64, String), Option<i64>>,
}

impl EpisodeIndex {
    fn load(conn: &rusqlite::Connection) -> Result<Self> {
        let mut feeds = HashMap::new();
        let mut stmt = conn
            .prepare("SELECT id, feed_url FROM podcasts UNION ALL SELECT podcast_id, url FROM podcast_url_aliases")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, url) = row?;
            feeds.insert(normal_url(&url), id);
        }
        let mut idx = EpisodeIndex {
            feeds,
            by_guid: HashMap::new(),
            guid_any: HashMap::new(),
            by_media: HashMap::new(),
            by_file: HashMap::new(),
        };
        let mut stmt = conn.prepare("SELECT id, podcast_id, guid, enclosure_url FROM episodes")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        // A key two episodes share points at neither (None): a guess would move the wrong one.
        fn put<K: std::hash::Hash + Eq>(m: &mut HashMap<K, Option<i64>>, k: K, id: i64) {
            m.entry(k)
                .and_modify(|v| {
                    if *v != Some(id) {
                        *v = None
                    }
                })
                .or_insert(Some(id));
        }
        for row in rows {
            let (id, pod, guid, media) = row?;
            put(&mut idx.guid_any, guid.clone(), id);
            idx.by_guid.insert((pod, guid), id);
            if let Some(m) = media {
                put(&mut idx.by_media, normal_url(&m), id);
                if let Some(f) = file_name(&m) {
                    put(&mut idx.by_file, (pod, f), id);
                }
            }
        }
        Ok(idx)
    }

    /// The episode an action is about: by guid (within its podcast, else anywhere if unique), by
    /// media URL in normal form, then by the media file's name within the podcast.
    fn find(&self, a: &Action) -> Option<i64> {
        let pod = self.feeds.get(&normal_url(&a.podcast)).copied();
        if let Some(g) = &a.guid {
            if let Some(p) = pod {
                if let Some(id) = self.by_guid.get(&(p, g.clone())) {
                    return Some(*id);
                }
            }
            if let Some(Some(id)) = self.guid_any.get(g) {
                return Some(*id);
            }
        }
        if let Some(Some(id)) = self.by_media.get(&normal_url(&a.episode)) {
            return Some(*id);
        }
        let p = pod?;
        match self.by_file.get(&(p, file_name(&a.episode)?)) {
            Some(Some(id)) => Some(*id),
            _ => None,
        }
    }
}
