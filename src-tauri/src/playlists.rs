//! Playlists and listening statistics for the window: thin wrappers over the core's
//! `playlists` and `stats`.

use std::sync::Arc;

use earmark_core::model::{Episode, EpisodeId};
use earmark_core::playlists::{Playlist, PlaylistId, SmartRule};
use earmark_core::stats::ListeningStats;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::access::{now, read, write, Res};
use crate::AppState;

/// A change to one playlist.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PlaylistEdit {
    /// Add episodes at the end (a playlist ordered by hand).
    Add {
        /// Episode ids.
        ids: Vec<EpisodeId>,
    },
    /// Take one out (a playlist ordered by hand).
    Remove {
        /// Episode id.
        id: EpisodeId,
    },
    /// Move one to a place, 0 = first (a playlist ordered by hand).
    Move {
        /// Episode id.
        id: EpisodeId,
        /// New index.
        index: u32,
    },
    /// Replace a smart playlist's filter.
    Filter {
        /// The new filter.
        rule: SmartRule,
    },
    /// Rename it.
    Rename {
        /// The new name.
        name: String,
    },
    /// Delete it (its episodes stay).
    Delete,
}

/// Every playlist, by name.
#[tauri::command]
pub async fn list_playlists(state: State<'_, Arc<AppState>>) -> Res<Vec<Playlist>> {
    read(&state, |lib| lib.playlists()).await
}

/// A playlist's episodes in its order (a smart one's as they match now).
#[tauri::command]
pub async fn playlist_episodes(state: State<'_, Arc<AppState>>, id: PlaylistId) -> Res<Vec<Episode>> {
    read(&state, move |lib| lib.playlist_episodes(id)).await
}

/// Makes a playlist: ordered by hand without `rule`, smart with it.
#[tauri::command]
pub async fn create_playlist(state: State<'_, Arc<AppState>>, name: String, rule: Option<SmartRule>) -> Res<Playlist> {
    write(&state, move |lib| {
        let id = lib.playlist_create(&name, rule.as_ref(), now())?;
        lib.playlist(id)
    })
    .await
}

/// Changes a playlist; returns every playlist as they now are.
#[tauri::command]
pub async fn edit_playlist(state: State<'_, Arc<AppState>>, id: PlaylistId, edit: PlaylistEdit) -> Res<Vec<Playlist>> {
    write(&state, move |lib| {
        match edit {
            PlaylistEdit::Add { ids } => lib.playlist_add(id, &ids)?,
            PlaylistEdit::Remove { id: e } => lib.playlist_remove(id, e)?,
            PlaylistEdit::Move { id: e, index } => lib.playlist_move(id, e, index as usize)?,
            PlaylistEdit::Filter { rule } => lib.playlist_set_rule(id, &rule)?,
            PlaylistEdit::Rename { name } => lib.playlist_rename(id, &name)?,
            PlaylistEdit::Delete => lib.playlist_delete(id)?,
        }
        lib.playlists()
    })
    .await
}

/// Listening statistics, counted from playback.
#[tauri::command]
pub async fn listening_stats(state: State<'_, Arc<AppState>>) -> Res<ListeningStats> {
    read(&state, |lib| lib.listening_stats()).await
}
