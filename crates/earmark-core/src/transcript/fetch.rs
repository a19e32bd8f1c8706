//! Getting a transcript: pick the best file an episode offers, fetch it with Earmark's HTTP
//! client, parse it, and only then store it. The network part needs no library, so the app can
//! run it on its own thread and store with its own connection.

use chrono::{DateTime, Utc};
use url::Url;

use super::{parse, TranscriptCue, TranscriptError, TranscriptFormat};
use crate::error::{FetchError, Result};
use crate::fetch::Fetcher;
use crate::library::Library;
use crate::model::{EpisodeId, Transcript};

/// A fetched and parsed transcript, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTranscript {
    /// Where it came from.
    pub url: String,
    /// What it was read as.
    pub format: TranscriptFormat,
    /// The file as text.
    pub raw: String,
    /// Its cues.
    pub cues: Vec<TranscriptCue>,
}

/// The offer to fetch: JSON, then WebVTT, then SRT, then HTML, then plain text (the first of
/// equals, as the feed lists them). Formats come from the MIME type, else the URL's extension.
pub fn best_offer(offers: &[Transcript]) -> Option<(&Transcript, TranscriptFormat)> {
    offers
        .iter()
        .filter_map(|t| {
            let format = t
                .mime_type
                .as_deref()
                .and_then(TranscriptFormat::from_mime)
                .or_else(|| TranscriptFormat::from_url(&t.url))?;
            Some((t, format))
        })
        .min_by_key(|(_, f)| *f)
}

/// Fetches and parses one offered transcript. Nothing is stored.
pub fn fetch_transcript(fetcher: &Fetcher, offer: &Transcript, format: TranscriptFormat) -> Result<ParsedTranscript> {
    let url = Url::parse(&offer.url).map_err(|_| FetchError::InvalidUrl(offer.url.clone()))?;
    let fetched = fetcher.get(&url)?;
    // A file that says it is WebVTT is read as such whatever the feed claimed.
    let format = if fetched.body.starts_with(b"WEBVTT") || fetched.body.starts_with("\u{feff}WEBVTT".as_bytes()) {
        TranscriptFormat::Vtt
    } else {
        format
    };
    let raw = parse::decode(format, &fetched.body)?;
    let cues = parse::parse(format, raw.as_bytes())?;
    Ok(ParsedTranscript {
        url: fetched.final_url.to_string(),
        format,
        raw,
        cues,
    })
}

/// The cues of an episode's transcript, fetching and storing it first when it is not stored
/// yet (or when `refresh` asks for a new copy). A failure stores nothing: an older transcript
/// stays as it was.
pub fn ensure_transcript(
    lib: &mut Library,
    fetcher: &Fetcher,
    episode: EpisodeId,
    refresh: bool,
    now: DateTime<Utc>,
) -> Result<Vec<TranscriptCue>> {
    if !refresh && lib.stored_transcript(episode)?.is_some() {
        return lib.transcript_cues(episode);
    }
    let detail = lib.episode_unprepared(episode)?.without_notes();
    let offers = &detail.podcast20.transcripts;
    if offers.is_empty() {
        return Err(TranscriptError::NoneOffered(episode.0).into());
    }
    let Some((offer, format)) = best_offer(offers) else {
        let mime = offers
            .iter()
            .map(|t| t.mime_type.clone().unwrap_or_else(|| t.url.clone()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TranscriptError::Unsupported {
            episode: episode.0,
            mime,
        }
        .into());
    };
    // The feed named the file: a public feed never sends Earmark to the user's network.
    let feed_url = lib.podcast(detail.episode.podcast_id)?.feed_url;
    let parsed = fetch_transcript(&fetcher.named_by(&feed_url), offer, format)?;
    lib.store_transcript(episode, &parsed.url, parsed.format, &parsed.raw, &parsed.cues, now)?;
    lib.transcript_cues(episode)
}
