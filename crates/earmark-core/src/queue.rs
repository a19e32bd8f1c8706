//! "Up next": an ordered list of episodes to play after the current one. The list is small, so
//! every change rewrites the order numbers in one transaction: simple and never inconsistent.

use rusqlite::{params, TransactionBehavior};

use crate::error::{Error, Result};
use crate::library::{Library, EPISODE_COLUMNS, STATE_JOIN};
use crate::model::{Episode, EpisodeId};

impl Library {
    /// The queue, in play order.
    pub fn queue(&self) -> Result<Vec<Episode>> {
        let sql = format!(
            "SELECT {EPISODE_COLUMNS} FROM queue q JOIN episodes e ON e.id = q.episode_id {STATE_JOIN} ORDER BY q.ord"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map([], crate::library::episode_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn queue_ids(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT episode_id FROM queue ORDER BY ord")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn write_queue(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM queue", [])?;
        {
            let mut ins = tx.prepare_cached("INSERT INTO queue (episode_id, ord) VALUES (?1, ?2)")?;
            for (i, id) in ids.iter().enumerate() {
                ins.execute(params![id, i as i64])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn require_episode(&self, id: EpisodeId) -> Result<()> {
        self.listening_state(id).map(|_| ())
    }

    /// Adds episodes at the end (or first, with `next`); an episode already queued moves instead
    /// of appearing twice.
    pub fn queue_add(&mut self, ids: &[EpisodeId], next: bool) -> Result<()> {
        for id in ids {
            self.require_episode(*id)?;
        }
        let mut order = self.queue_ids()?;
        order.retain(|q| !ids.iter().any(|id| id.0 == *q));
        let new: Vec<i64> = ids.iter().map(|i| i.0).collect();
        if next {
            order.splice(0..0, new);
        } else {
            order.extend(new);
        }
        self.write_queue(&order)
    }

    /// Removes an episode from the queue (no error when it was not queued).
    pub fn queue_remove(&mut self, id: EpisodeId) -> Result<()> {
        self.conn().execute("DELETE FROM queue WHERE episode_id = ?1", [id.0])?;
        Ok(())
    }

    /// Moves a queued episode to `index` (0 = first; past the end = last).
    pub fn queue_move(&mut self, id: EpisodeId, index: usize) -> Result<()> {
        let mut order = self.queue_ids()?;
        let Some(from) = order.iter().position(|q| *q == id.0) else {
            return Err(Error::NotFound(format!("episode {} in the queue", id.0)));
        };
        let item = order.remove(from);
        order.insert(index.min(order.len()), item);
        self.write_queue(&order)
    }

    /// Empties the queue.
    pub fn queue_clear(&mut self) -> Result<()> {
        self.conn().execute("DELETE FROM queue", [])?;
        Ok(())
    }

    /// Called when `finished` ends: takes it off the queue and returns what plays next.
    pub fn queue_advance(&mut self, finished: EpisodeId) -> Result<Option<EpisodeId>> {
        self.queue_remove(finished)?;
        Ok(self.queue_ids()?.first().map(|id| EpisodeId(*id)))
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::{ParsedFeed, ParsedItem};
    use crate::model::EpisodeId;
    use crate::Library;

    fn lib_with(n: usize) -> (tempfile::TempDir, Library, Vec<EpisodeId>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let (id, _) = lib.add_podcast("https://a.example/feed", "", now).expect("add");
        let items = (0..n).map(|i| ParsedItem {
            guid: format!("g{i}"),
            title: format!("E{i}"),
            ..ParsedItem::default()
        });
        let feed = ParsedFeed {
            items: items.collect(),
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, now).expect("store");
        let ids = lib.episodes(None).expect("eps").into_iter().map(|e| e.id).collect();
        (dir, lib, ids)
    }

    fn titles(lib: &Library) -> Vec<String> {
        lib.queue().expect("queue").into_iter().map(|e| e.title).collect()
    }

    #[test]
    fn add_move_remove_advance_and_survive_reopen() {
        let (dir, mut lib, ids) = lib_with(4);
        let by_title = |t: &str, lib: &Library| {
            lib.episodes(None)
                .expect("eps")
                .into_iter()
                .find(|e| e.title == t)
                .map(|e| e.id)
                .expect("episode")
        };
        let (e0, e1, e2, e3) = (
            by_title("E0", &lib),
            by_title("E1", &lib),
            by_title("E2", &lib),
            by_title("E3", &lib),
        );
        assert_eq!(ids.len(), 4);
        lib.queue_add(&[e0, e1], false).expect("add");
        lib.queue_add(&[e2], true).expect("add next");
        assert_eq!(titles(&lib), ["E2", "E0", "E1"]);
        lib.queue_add(&[e0], false).expect("re-add moves");
        assert_eq!(titles(&lib), ["E2", "E1", "E0"]);
        lib.queue_move(e0, 0).expect("move");
        assert_eq!(titles(&lib), ["E0", "E2", "E1"]);
        lib.queue_move(e0, 99).expect("move to end");
        assert_eq!(titles(&lib), ["E2", "E1", "E0"]);
        assert!(lib.queue_move(e3, 0).is_err(), "not queued");
        assert!(lib.queue_add(&[EpisodeId(9999)], false).is_err(), "unknown episode");
        assert_eq!(lib.queue_advance(e2).expect("advance"), Some(e1));
        drop(lib);
        let mut lib = Library::open(dir.path()).expect("reopen");
        assert_eq!(titles(&lib), ["E1", "E0"], "the queue survives a restart");
        lib.queue_remove(e1).expect("remove");
        lib.queue_clear().expect("clear");
        assert_eq!(lib.queue_advance(e0).expect("advance"), None);
    }
}
