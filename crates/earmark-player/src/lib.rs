//! Earmark's playback engine. Decoding (Symphonia), speed changes that keep the pitch (WSOLA
//! time-stretching), and output (Rodio) live here, apart from the library and from any UI, so the
//! whole pipeline can be tested by pulling samples with no audio device.
#![warn(missing_docs)]

pub mod clip;
pub mod decode;
pub mod engine;
pub mod error;
pub mod gain;
pub mod loudness;
pub mod output;
pub mod peaks;
pub mod pipeline;
pub mod stream;
pub mod stretch;
pub mod trim;

pub use decode::{probe, probe_file, MediaDecoder};
pub use error::PlayError;
pub use output::{Output, OutputSource, Playback, State};
pub use pipeline::Pipeline;
