//! Transcripts in the library: one per episode, raw text and cues written in one transaction
//! (so a failed store leaves the older transcript whole), and the reads the app scrolls with.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{StoredTranscript, TranscriptCue, TranscriptFormat};
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::EpisodeId;

fn cue_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<TranscriptCue> {
    Ok(TranscriptCue {
        start_secs: r.get(0)?,
        end_secs: r.get(1)?,
        speaker: r.get(2)?,
        text: r.get(3)?,
    })
}

impl Library {
    /// Replaces an episode's transcript with this one (raw text and cues together).
    pub fn store_transcript(
        &mut self,
        episode: EpisodeId,
        url: &str,
        format: TranscriptFormat,
        raw: &str,
        cues: &[TranscriptCue],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM episodes WHERE id = ?1", [episode.0], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(Error::NotFound(format!("episode {}", episode.0)));
        }
        // Cues first, so their full-text rows go by the delete trigger.
        tx.execute("DELETE FROM transcript_cues WHERE episode_id = ?1", [episode.0])?;
        tx.execute(
            "INSERT INTO transcripts (episode_id, url, format, raw, fetched_at, error) VALUES (?1, ?2, ?3, ?4, ?5, NULL) \
             ON CONFLICT (episode_id) DO UPDATE SET url = excluded.url, format = excluded.format, raw = excluded.raw, \
             fetched_at = excluded.fetched_at, error = NULL",
            params![episode.0, url, format.as_str(), raw, rfc3339(now)],
        )?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO transcript_cues (episode_id, start_secs, end_secs, speaker, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for c in cues {
                ins.execute(params![episode.0, c.start_secs, c.end_secs, c.speaker, c.text])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What is stored about an episode's transcript, if anything.
    pub fn stored_transcript(&self, episode: EpisodeId) -> Result<Option<StoredTranscript>> {
        let row: Option<(String, String, String, i64)> = self
            .conn()
            .query_row(
                "SELECT t.url, t.format, t.fetched_at, (SELECT COUNT(*) FROM transcript_cues c WHERE c.episode_id = t.episode_id) \
                 FROM transcripts t WHERE t.episode_id = ?1",
                [episode.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        Ok(row.map(|(url, format, fetched_at, cues)| StoredTranscript {
            url,
            format: TranscriptFormat::parse(&format).unwrap_or(TranscriptFormat::Text),
            fetched_at,
            cues: cues.max(0) as u64,
        }))
    }

    /// An episode's transcript as it was fetched (the raw file text), if stored.
    pub fn transcript_raw(&self, episode: EpisodeId) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT raw FROM transcripts WHERE episode_id = ?1", [episode.0], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Every cue of an episode's transcript in time order (empty when none is stored), for the
    /// app to show and scroll with playback.
    pub fn transcript_cues(&self, episode: EpisodeId) -> Result<Vec<TranscriptCue>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT start_secs, end_secs, speaker, text FROM transcript_cues WHERE episode_id = ?1 ORDER BY start_secs, id",
        )?;
        let rows = stmt.query_map([episode.0], cue_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The cue being spoken at `secs`: the last one started at or before it, unless that cue
    /// has an end and `secs` is past it (a pause between lines has no cue).
    pub fn transcript_cue_at(&self, episode: EpisodeId, secs: f64) -> Result<Option<TranscriptCue>> {
        let cue = self
            .conn()
            .prepare_cached(
                "SELECT start_secs, end_secs, speaker, text FROM transcript_cues WHERE episode_id = ?1 AND start_secs <= ?2 \
                 ORDER BY start_secs DESC, id DESC LIMIT 1",
            )?
            .query_row(params![episode.0, secs], cue_from)
            .optional()?;
        Ok(cue.filter(|c| c.end_secs.is_none_or(|end| secs < end)))
    }
}
