//! What playback can fail with, as types the shells can match and explain.

use std::path::PathBuf;

/// A playback failure.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// The media file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The container or codec is not one Earmark plays.
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The file has no audio track (e.g. a video with no sound).
    #[error("the file has no audio track")]
    NoAudioTrack,
    /// The data is damaged beyond what skipping a packet can mend.
    #[error("the file is damaged: {0}")]
    Damaged(String),
    /// Seeking failed.
    #[error("cannot seek: {0}")]
    Seek(String),
    /// Streaming from the episode's URL failed (the server, the network, or the temporary copy).
    #[error("cannot stream: {0}")]
    Stream(String),
    /// There is no audio device (or it vanished); the position is kept.
    #[error("no audio output: {0}")]
    NoOutput(String),
}
