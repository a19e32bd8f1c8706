//! Generated media for tests and benches: ffmpeg as every fixture calls it.

use std::path::Path;
use std::process::Command;

/// `ffmpeg` printing only its errors and overwriting its output (installed by `scripts/setup`):
/// add the inputs, filters and output.
pub fn ffmpeg() -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y"]);
    c
}

/// A 16-bit PCM WAV file's bytes: the smallest header players and decoders accept, then
/// `samples` (interleaved, `channels` wide, at `rate`). Tests that need to know every sample
/// write them here rather than through an encoder.
pub fn pcm16_wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Whether `program` runs (`arg` being one it answers without work, e.g. `--version`).
pub fn has(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Length of the segment [`sixty_minute_mp3`] repeats, in seconds.
const SEGMENT_SECS: u32 = 300;

/// The benches' 60-minute MP3 at 128 kb/s: one 5-minute segment encoded by ffmpeg (a 220 Hz tone
/// under pink noise band-passed to the voice range and chopped at a syllable rate of 4 Hz),
/// stream-copied twelve times into one file, which takes seconds instead of encoding an hour.
/// Made once under `CARGO_TARGET_DIR` (or the temporary folder) and kept for later runs; written
/// under another name and renamed, so an interrupted run leaves no half file to reuse. `None`
/// when ffmpeg is missing.
pub fn sixty_minute_mp3() -> Result<Option<std::path::PathBuf>, String> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("bench-media");
    let mp3 = dir.join("episode-60min.mp3");
    if mp3.exists() {
        return Ok(Some(mp3));
    }
    if !has("ffmpeg", "-version") {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let seg = dir.join("segment.mp3");
    let run = |c: &mut Command, what: &str| match c.status() {
        Ok(s) if s.success() => Ok(()),
        _ => Err(format!("ffmpeg failed to {what}")),
    };
    run(
        ffmpeg()
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=220:duration={SEGMENT_SECS}:sample_rate=44100"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!(
                "anoisesrc=color=pink:duration={SEGMENT_SECS}:sample_rate=44100:amplitude=0.5"
            ))
            .args([
                "-filter_complex",
                "[1]bandpass=f=900:w=1500,tremolo=f=4:d=0.9[n];[0][n]amix=inputs=2:normalize=0,pan=stereo|c0=c0|c1=c0",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
            ])
            .arg(&seg),
        "encode the segment",
    )?;
    let list = dir.join("list.txt");
    std::fs::write(&list, format!("file '{}'\n", seg.display()).repeat(12)).map_err(|e| e.to_string())?;
    let partial = dir.join("episode-60min.partial.mp3");
    run(
        ffmpeg()
            .args(["-f", "concat", "-safe", "0", "-i"])
            .arg(&list)
            .args(["-c", "copy"])
            .arg(&partial),
        "join the segments",
    )?;
    std::fs::rename(&partial, &mp3).map_err(|e| e.to_string())?;
    Ok(Some(mp3))
}

/// A mono or stereo 44.1 kHz WAV that sox makes from nothing and `effects` (e.g.
/// `["synth", "2", "sine", "330", "vol", "0.2"]`), at `out`. Fixtures call it instead of sox
/// itself so a missing sox says what installs it, once.
pub fn sox_wav(out: &Path, channels: u8, effects: &[&str]) {
    let status = Command::new("sox")
        .args(["-n", "-r", "44100", "-c", &channels.to_string()])
        .arg(out)
        .args(effects)
        .status()
        .expect("sox (scripts/setup installs it)");
    assert!(status.success(), "sox could not make {}", out.display());
}

/// `parts` played one after the other, as one WAV at `out` (sox concatenates files of one
/// format).
pub fn sox_join(parts: &[std::path::PathBuf], out: &Path) {
    let status = Command::new("sox")
        .args(parts)
        .arg(out)
        .status()
        .expect("sox (scripts/setup installs it)");
    assert!(status.success(), "sox could not join into {}", out.display());
}

/// `wav` encoded as an MP3 at `kbps` (LAME, constant bit rate) at `mp3`.
pub fn mp3_from_wav(wav: &Path, mp3: &Path, kbps: u32) {
    let status = ffmpeg()
        .arg("-i")
        .arg(wav)
        .args(["-c:a", "libmp3lame", "-b:a", &format!("{kbps}k")])
        .arg(mp3)
        .status()
        .expect("ffmpeg (scripts/setup installs it)");
    assert!(status.success(), "ffmpeg could not encode {}", mp3.display());
}
