//! Test media made on the spot: WAV written here sample by sample, compressed formats encoded by
//! ffmpeg (a test dependency installed by scripts/setup). Nothing is downloaded.

#![allow(dead_code)]

use earmark_test_support::media::{ffmpeg, pcm16_wav};
use std::path::{Path, PathBuf};

/// Writes a 16-bit PCM WAV.
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let pcm: Vec<i16> = samples.iter().map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16).collect();
    std::fs::write(path, pcm16_wav(rate, channels, &pcm)).expect("write wav");
}

/// The time of the first sample louder than 0.5 (the click of [`hum_with_click`]) from the start
/// of `samples` (interleaved, `channels` wide, at `rate`).
pub fn click_offset(samples: &[f32], channels: usize, rate: u32) -> Option<f64> {
    samples
        .iter()
        .position(|s| s.abs() > 0.5)
        .map(|i| (i / channels) as f64 / f64::from(rate))
}

/// A quiet 300 Hz hum with a loud click (a few samples at full scale) at `click_secs`.
pub fn hum_with_click(rate: u32, secs: f64, click_secs: f64) -> Vec<f32> {
    let n = (rate as f64 * secs) as usize;
    let click = (rate as f64 * click_secs) as usize;
    (0..n)
        .map(|i| {
            if (click..click + 8).contains(&i) {
                0.95
            } else {
                0.05 * (2.0 * std::f64::consts::PI * 300.0 * i as f64 / rate as f64).sin() as f32
            }
        })
        .collect()
}

/// A sine tone.
pub fn tone(rate: u32, secs: f64, freq: f64, amp: f32) -> Vec<f32> {
    let n = (rate as f64 * secs) as usize;
    (0..n)
        .map(|i| amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32)
        .collect()
}

/// Encodes a WAV with ffmpeg into `ext` (mp3, m4a, flac, ogg); panics with a clear message when
/// ffmpeg is missing (scripts/setup installs it).
pub fn encode(wav: &Path, ext: &str) -> PathBuf {
    let out = wav.with_extension(ext);
    let codec: &[&str] = match ext {
        "mp3" => &["-c:a", "libmp3lame", "-b:a", "128k"],
        "m4a" => &["-c:a", "aac", "-b:a", "128k"],
        "mp4" => &["-c:a", "aac", "-b:a", "96k"],
        "flac" => &["-c:a", "flac"],
        "ogg" => &["-c:a", "libvorbis", "-q:a", "4"],
        other => panic!("no encoder set for {other}"),
    };
    let status = ffmpeg()
        .args(["-i"])
        .arg(wav)
        .args(codec)
        .arg(&out)
        .status()
        .expect("ffmpeg must be installed for these tests (scripts/setup installs it)");
    assert!(status.success(), "ffmpeg failed to make {}", out.display());
    out
}

/// The dominant frequency of a mono signal, by counting rising zero crossings.
pub fn zero_crossing_freq(samples: &[f32], rate: u32) -> f64 {
    let crossings = samples.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    crossings as f64 * rate as f64 / samples.len() as f64
}

/// A 10-second mono 300 Hz MP3 at `rate` with 4,000 bytes of noise written over its middle:
/// `dir/bad.mp3`, for the tests that decoding and clipping survive damage.
pub fn damaged_mp3(dir: &Path, rate: u32) -> PathBuf {
    let wav = dir.join("c.wav");
    write_wav(&wav, rate, 1, &tone(rate, 10.0, 300.0, 0.3));
    let mp3 = encode(&wav, "mp3");
    let mut bytes = std::fs::read(&mp3).expect("read");
    let mid = bytes.len() / 2;
    for (i, b) in bytes[mid..mid + 4000].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    let bad = dir.join("bad.mp3");
    std::fs::write(&bad, &bytes).expect("write");
    bad
}
