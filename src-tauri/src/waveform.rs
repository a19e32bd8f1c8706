//! Waveforms and clips for the episode page: peaks computed from the local file (cached on disk
//! in the library's `peaks/` folder) and pushed to the window as they are computed, zoomed views
//! of any range, and a bookmarked segment exported as WAV or FLAC into the library's `clips/`.

use earmark_core::ErrorCode;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earmark_core::bookmarks::model::BookmarkId;
use earmark_core::bookmarks::BookmarkError;
use earmark_core::model::EpisodeId;
use earmark_player::clip::{export_clip as cut_clip, ClipTags};
use earmark_player::peaks::{self, Peak, Peaks, PeaksOptions};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::access::{blocking, lock, Res};
use crate::ipc::ApiError;
use crate::AppState;

/// Overview resolution sent while computing: ten columns per second of audio.
const OVERVIEW_PER_SECOND: usize = 10;

/// The last episode's fine peaks, kept for zooming without touching the disk again, and the
/// stop flag of the waveform being computed: opening another episode stops the one before, so
/// flipping through episodes never leaves several whole-file decodes running at once.
#[derive(Default)]
pub struct PeaksCache {
    last: Mutex<Option<(EpisodeId, Arc<Peaks>)>>,
    running: Mutex<Option<Arc<AtomicBool>>>,
}

impl PeaksCache {
    /// A stop flag for a new computation; the one before it is told to stop.
    fn start_job(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(before) = running.replace(Arc::clone(&flag)) {
            before.store(true, Ordering::Relaxed);
        }
        flag
    }
}

/// A slice of a waveform: `min[i]`/`max[i]` cover `bucket_secs` each, starting at
/// `first * bucket_secs`. Sent as `waveform-progress` events and returned by the commands.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WaveSlice {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Seconds per column.
    pub bucket_secs: f64,
    /// The index of the first column.
    pub first: usize,
    /// Lowest sample values (full scale 32767).
    pub min: Vec<i16>,
    /// Highest sample values.
    pub max: Vec<i16>,
    /// Columns in the whole episode, when known.
    pub total: Option<usize>,
}

fn slice(episode_id: EpisodeId, bucket_secs: f64, first: usize, peaks: &[Peak], total: Option<usize>) -> WaveSlice {
    WaveSlice {
        episode_id,
        bucket_secs,
        first,
        min: peaks.iter().map(|p| p.min).collect(),
        max: peaks.iter().map(|p| p.max).collect(),
        total,
    }
}

/// Merges `factor` neighbouring buckets into one.
fn reduce(peaks: &[Peak], factor: usize) -> Vec<Peak> {
    peaks
        .chunks(factor.max(1))
        .map(|c| Peak {
            min: c.iter().map(|p| p.min).min().unwrap_or(0),
            max: c.iter().map(|p| p.max).max().unwrap_or(0),
        })
        .collect()
}

fn media_path(state: &AppState, id: EpisodeId) -> Res<PathBuf> {
    lock(&state.library)?.local_media(id)?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotDownloaded,
            "The waveform is drawn from the episode's file: download the episode first (d).",
        )
    })
}

/// Computes (or loads from the cache) an episode's waveform, sending overview slices as
/// `waveform-progress` events while it works; returns the whole overview.
#[tauri::command]
pub async fn episode_waveform(app: AppHandle, state: State<'_, Arc<AppState>>, id: EpisodeId) -> Res<WaveSlice> {
    let state = Arc::clone(&state);
    blocking(move || -> Res<WaveSlice> {
        // Stops the one before even when this episode turns out to have no file here.
        let cancel = state.peaks.start_job();
        let path = media_path(&state, id)?;
        let cache_dir = state.config.library_dir.join("peaks");
        let mut factor = 1;
        let outcome = peaks::load_or_compute(&path, &cache_dir, &PeaksOptions::default(), &cancel, &mut |p| {
            factor = ((1.0 / p.bucket_secs) as usize / OVERVIEW_PER_SECOND).max(1);
            // Batches start on whole overview columns (their size is a multiple of the factor).
            let first = p.first_bucket / factor;
            let total = p.buckets_total.map(|t| t.div_ceil(factor));
            let _ = app.emit(
                "waveform-progress",
                slice(
                    id,
                    p.bucket_secs * factor as f64,
                    first,
                    &reduce(p.peaks, factor),
                    total,
                ),
            );
        })
        .map_err(|e| ApiError::new(ErrorCode::Waveform, e.to_string()))?;
        let fine = outcome.peaks;
        let factor = ((1.0 / fine.bucket_secs()) as usize / OVERVIEW_PER_SECOND).max(1);
        let overview = reduce(fine.buckets(), factor);
        let result = slice(
            id,
            fine.bucket_secs() * factor as f64,
            0,
            &overview,
            Some(overview.len()),
        );
        // A job told to stop that finished anyway must not replace a newer episode's peaks.
        if !cancel.load(Ordering::Relaxed) {
            if let Ok(mut cache) = state.peaks.last.lock() {
                *cache = Some((id, Arc::new(fine)));
            }
        }
        Ok(result)
    })
    .await
}

/// `n` columns over `[start, end)` seconds: a zoomed view. Spans under ten seconds are drawn from
/// the samples themselves, so handles can be placed finer than the cached peaks.
#[tauri::command]
pub async fn waveform_range(
    state: State<'_, Arc<AppState>>,
    id: EpisodeId,
    start: f64,
    end: f64,
    n: usize,
) -> Res<WaveSlice> {
    let state = Arc::clone(&state);
    blocking(move || -> Res<WaveSlice> {
        let (start, end) = (start.max(0.0), end.max(start.max(0.0)));
        let n = n.clamp(1, 8192);
        let span = end - start;
        let columns = if span < 10.0 {
            let path = media_path(&state, id)?;
            peaks::span_peaks(&path, Duration::from_secs_f64(start), Duration::from_secs_f64(end), n)
                .map_err(|e| ApiError::new(ErrorCode::Waveform, e.to_string()))?
        } else {
            let cached = state
                .peaks
                .last
                .lock()
                .ok()
                .and_then(|c| c.as_ref().filter(|(e, _)| *e == id).map(|(_, p)| Arc::clone(p)));
            let Some(fine) = cached else {
                return Err(ApiError::new(
                    ErrorCode::Waveform,
                    "the waveform is still being computed",
                ));
            };
            fine.range(Duration::from_secs_f64(start), Duration::from_secs_f64(end), n)
        };
        let mut s = slice(id, span / n as f64, 0, &columns, Some(n));
        // `first` counts whole columns from zero; the window places the slice at `start` itself.
        s.first = 0;
        Ok(s)
    })
    .await
}

/// Exports a bookmarked segment as `wav` or `flac` into the library's `clips/` folder under a
/// name made here (bookmark id and times; never a title or a network name as a path). Returns
/// the file's path.
#[tauri::command]
pub async fn export_clip(state: State<'_, Arc<AppState>>, bookmark: BookmarkId, format: String) -> Res<String> {
    let state = Arc::clone(&state);
    blocking(move || -> Res<String> {
        let ext = match format.as_str() {
            "wav" | "flac" => format,
            other => {
                return Err(ApiError::new(
                    ErrorCode::Invalid,
                    format!("unknown clip format {other:?}; use wav or flac"),
                ))
            }
        };
        let clip = lock(&state.library)?
            .clip_request(bookmark, None)
            .map_err(|e| match e {
                earmark_core::Error::Bookmark(BookmarkError::NotASegment(_)) => ApiError::new(
                    ErrorCode::NotASegment,
                    "This bookmark is a moment, not a segment: mark its end first (n, or type an end).",
                ),
                earmark_core::Error::Bookmark(BookmarkError::NotDownloaded { .. }) => ApiError::new(
                    ErrorCode::NotDownloaded,
                    "A clip is cut from the episode's file: download the episode first (d).",
                ),
                other => ApiError::from(other),
            })?;
        let dir = state.config.library_dir.join("clips");
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", dir.display())))?;
        let out = dir.join(clip.file_name(&ext));
        let tags = ClipTags {
            title: clip.title,
            episode: Some(clip.episode_title),
            podcast: Some(clip.podcast_title),
            comment: clip.comment,
        };
        cut_clip(
            &clip.source,
            Duration::from_secs_f64(clip.start_secs),
            Duration::from_secs_f64(clip.end_secs),
            &out,
            &tags,
        )
        .map_err(|e| ApiError::new(ErrorCode::Clip, e.to_string()))?;
        Ok(out.display().to_string())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_waveform_job_stops_the_one_before_and_only_that() {
        let cache = PeaksCache::default();
        let first = cache.start_job();
        assert!(!first.load(Ordering::Relaxed));
        let second = cache.start_job();
        assert!(first.load(Ordering::Relaxed), "the earlier job is told to stop");
        assert!(!second.load(Ordering::Relaxed), "the new job runs");
        let third = cache.start_job();
        assert!(second.load(Ordering::Relaxed));
        assert!(!third.load(Ordering::Relaxed));
    }
}
