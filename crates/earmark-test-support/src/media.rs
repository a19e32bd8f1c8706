//! Generated media for tests and benches: ffmpeg as every fixture calls it.

use std::process::Command;

/// `ffmpeg` printing only its errors and overwriting its output (installed by `scripts/setup`):
/// add the inputs, filters and output.
pub fn ffmpeg() -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y"]);
    c
}
