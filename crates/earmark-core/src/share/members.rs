//! Collections in the shared archive: their members in order, read from the library and written
//! back, and the members a library does not hold yet.
//!
//! A teammate's campaign often names episodes and posts this library has not fetched (the shared
//! subscription arrives before its first refresh, a blog before its archive is read). Those wait in
//! `share_members_waiting` at their place in the order, count as members when the library is
//! compared with the archive (so the next sync never sends their removal), and join the collection
//! once the thing is here ([`Library::settle_waiting_members`], run at the start of every sync).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};

use super::doc::{Item, SharedCollection};
use super::lookup::{document_id, episode_id};
use crate::error::Result;
use crate::library::{rfc3339, Library};
use crate::resolve::is_web_feed;

/// Members a hostile or damaged folder could name beyond this are ignored: no campaign a person
/// builds comes near it, and each member costs a query when it is written back.
const MEMBERS_MAX: usize = 100_000;

/// One of the two kinds of member, with the SQL that names it.
#[derive(Clone, Copy)]
enum Member {
    Document,
    Episode,
}

impl Member {
    fn as_str(self) -> &'static str {
        match self {
            Member::Document => "document",
            Member::Episode => "episode",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Member::Document => "collection_documents",
            Member::Episode => "collection_episodes",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Member::Document => "document_id",
            Member::Episode => "episode_id",
        }
    }

    /// (collection, position, member id, shared key) of every member held here.
    fn held_sql(self) -> &'static str {
        match self {
            Member::Document => {
                "SELECT cd.collection_id, cd.position, cd.document_id, d.url FROM collection_documents cd \
                 JOIN documents d ON d.id = cd.document_id"
            }
            Member::Episode => {
                "SELECT ce.collection_id, ce.position, ce.episode_id, p.feed_url || char(10) || e.guid \
                 FROM collection_episodes ce JOIN episodes e ON e.id = ce.episode_id \
                 JOIN podcasts p ON p.id = e.podcast_id"
            }
        }
    }

    /// Whether a member's key can travel: web addresses only (a file feed or page names a path on
    /// one computer).
    fn shareable(self, key: &str) -> bool {
        match self {
            Member::Document => is_web_feed(key),
            Member::Episode => key
                .split_once('\n')
                .is_some_and(|(feed, guid)| is_web_feed(feed) && !guid.is_empty()),
        }
    }

    /// The library's id for a member's key, if the thing is here.
    fn find(self, tx: &Transaction<'_>, key: &str) -> Result<Option<i64>> {
        match self {
            Member::Document => document_id(tx, key),
            Member::Episode => match key.split_once('\n') {
                Some((feed, guid)) => episode_id(tx, feed, guid),
                None => Ok(None),
            },
        }
    }
}

/// Every collection in its shared form, keyed by its name lower-cased.
pub(crate) fn local_collections(conn: &rusqlite::Connection) -> Result<HashMap<String, Item>> {
    let mut out: HashMap<i64, SharedCollection> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, name, kind FROM collections")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))? {
        let (id, name, kind) = row?;
        out.insert(
            id,
            SharedCollection {
                name,
                kind,
                documents: Vec::new(),
                episodes: Vec::new(),
            },
        );
    }
    for member in [Member::Document, Member::Episode] {
        let mut placed: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        let sql = format!(
            "WITH held (collection_id, position, id, key) AS ({}) SELECT collection_id, position, key FROM held \
             UNION ALL SELECT collection_id, position, member FROM share_members_waiting WHERE member_kind = ?1",
            member.held_sql()
        );
        let mut stmt = conn.prepare(&sql)?;
        for row in stmt.query_map([member.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            let (collection, position, key): (i64, i64, String) = row?;
            if member.shareable(&key) {
                placed.entry(collection).or_default().push((position, key));
            }
        }
        for (collection, mut keys) in placed {
            let Some(c) = out.get_mut(&collection) else { continue };
            keys.sort();
            let mut seen = HashSet::new();
            let list: Vec<String> = keys
                .into_iter()
                .map(|(_, k)| k)
                .filter(|k| seen.insert(k.clone()))
                .collect();
            match member {
                Member::Document => c.documents = list,
                Member::Episode => c.episodes = list,
            }
        }
    }
    Ok(out
        .into_values()
        .map(|c| (c.name.to_lowercase(), Item::Collection(c)))
        .collect())
}

/// Writes a shared collection into the library: made if missing, its members set to the shared
/// ones in the shared order (those not here wait), members removed elsewhere taken out. Members
/// that never travel (a local file's episode) stay, after the shared ones.
pub(crate) fn apply_collection(tx: &Transaction<'_>, c: &SharedCollection, now: DateTime<Utc>) -> Result<()> {
    let name = c.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 200 {
        return Ok(());
    }
    let kind = if c.kind == "topic" { "topic" } else { "campaign" };
    tx.execute(
        "INSERT INTO collections (name, kind, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
        params![name, kind, rfc3339(now)],
    )?;
    let id: i64 = tx.query_row("SELECT id FROM collections WHERE name = ?1", [&name], |r| r.get(0))?;
    for (member, keys) in [(Member::Document, &c.documents), (Member::Episode, &c.episodes)] {
        set_members(tx, id, member, keys)?;
    }
    Ok(())
}

fn set_members(tx: &Transaction<'_>, collection: i64, member: Member, keys: &[String]) -> Result<()> {
    let shared: Vec<&String> = keys.iter().filter(|k| member.shareable(k)).take(MEMBERS_MAX).collect();
    let wanted: HashSet<&str> = shared.iter().map(|k| k.as_str()).collect();
    tx.execute(
        "DELETE FROM share_members_waiting WHERE collection_id = ?1 AND member_kind = ?2",
        params![collection, member.as_str()],
    )?;
    // Members held here: those the archive no longer has go; those that never travel move after
    // the shared ones, keeping their own order.
    let held: Vec<(i64, i64, String)> = {
        let mut stmt = tx.prepare(&format!(
            "WITH held (collection_id, position, id, key) AS ({}) SELECT id, position, key FROM held \
             WHERE collection_id = ?1",
            member.held_sql()
        ))?;
        let rows = stmt.query_map([collection], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let (table, column) = (member.table(), member.column());
    let mut local_only: Vec<(i64, i64)> = Vec::new();
    for (id, position, key) in held {
        if !member.shareable(&key) {
            local_only.push((position, id));
        } else if !wanted.contains(key.as_str()) {
            tx.execute(
                &format!("DELETE FROM {table} WHERE collection_id = ?1 AND {column} = ?2"),
                params![collection, id],
            )?;
        }
    }
    let mut put = tx.prepare_cached(&format!(
        "INSERT INTO {table} (collection_id, {column}, position) VALUES (?1, ?2, ?3) \
         ON CONFLICT (collection_id, {column}) DO UPDATE SET position = excluded.position"
    ))?;
    let mut wait = tx.prepare_cached(
        "INSERT OR IGNORE INTO share_members_waiting (collection_id, member_kind, member, position) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut position = 0i64;
    for key in shared {
        match member.find(tx, key)? {
            Some(id) => put.execute(params![collection, id, position])?,
            None => wait.execute(params![collection, member.as_str(), key, position])?,
        };
        position += 1;
    }
    local_only.sort();
    for (_, id) in local_only {
        put.execute(params![collection, id, position])?;
        position += 1;
    }
    Ok(())
}

impl Library {
    /// Members that waited for this library to hold them and now can join their collection, at
    /// the place they waited in. Nothing the archive sees changes (waiting members already count),
    /// so this never makes a sync send anything.
    pub(crate) fn settle_waiting_members(&mut self) -> Result<u32> {
        // Most syncs have none waiting: no write transaction (and its fsync) for them.
        let any: bool = self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM share_members_waiting)", [], |r| r.get(0))?;
        if !any {
            return Ok(0);
        }
        let tx = self.conn_mut().transaction()?;
        let waiting: Vec<(i64, String, String, i64)> = {
            let mut stmt =
                tx.prepare("SELECT collection_id, member_kind, member, position FROM share_members_waiting")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut settled = 0;
        for (collection, kind, key, position) in waiting {
            let member = if kind == "episode" {
                Member::Episode
            } else {
                Member::Document
            };
            let Some(id) = member.find(&tx, &key)? else { continue };
            tx.execute(
                &format!(
                    "INSERT INTO {} (collection_id, {}, position) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (collection_id, {1}) DO UPDATE SET position = excluded.position",
                    member.table(),
                    member.column()
                ),
                params![collection, id, position],
            )?;
            tx.execute(
                "DELETE FROM share_members_waiting WHERE collection_id = ?1 AND member_kind = ?2 AND member = ?3",
                params![collection, kind, key],
            )?;
            settled += 1;
        }
        tx.commit()?;
        Ok(settled)
    }
}
