//! `earmark-cli clip`: a bookmarked segment of a local WAV episode becomes a WAV file with exactly
//! the segment's samples; a point bookmark without an end and an unknown bookmark are refused
//! with nothing written.

use earmark_test_support::cli::sealed;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cli(library: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), library)
}

/// A library whose one episode is a 10-second mono 8 kHz WAV (a rising ramp, so every sample
/// says where it came from).
fn library() -> (tempfile::TempDir, PathBuf, Vec<i16>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples: Vec<i16> = (0..80_000).map(|i| ((i * 7) % 60_000 - 30_000) as i16).collect();
    let wav = earmark_test_support::media::pcm16_wav(8000, 1, &samples);
    std::fs::write(dir.path().join("ramp.wav"), wav).expect("wav");
    std::fs::write(
        dir.path().join("feed.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Ramp</title><item><title>Ten seconds</title>\
         <guid>ramp</guid><enclosure url=\"ramp.wav\" type=\"audio/wav\" length=\"1\"/></item></channel></rss>",
    )
    .expect("feed");
    let library = dir.path().join("lib");
    let out = cli(&library)
        .arg("subscribe")
        .arg(dir.path().join("feed.xml"))
        .output()
        .expect("subscribe");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (dir, library, samples)
}

/// The 16-bit samples of a PCM WAV file (finds the data chunk).
fn wav_samples(path: &Path) -> Vec<i16> {
    let bytes = std::fs::read(path).expect("clip");
    let mut i = 12;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let len = u32::from_le_bytes([bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]]) as usize;
        if id == b"data" {
            return bytes[i + 8..i + 8 + len]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
        }
        i += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

#[test]
fn a_segment_becomes_a_wav_with_exactly_its_samples() {
    let (dir, library, samples) = library();
    let out = cli(&library)
        .args([
            "bookmark", "add", "1", "--start", "2.5", "--end", "4", "--title", "The bit",
        ])
        .output()
        .expect("bookmark");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let clip = dir.path().join("bit.wav");
    let out = cli(&library)
        .args(["clip", "1", "--out"])
        .arg(&clip)
        .output()
        .expect("clip");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        wav_samples(&clip),
        samples[20_000..32_000].to_vec(),
        "exact to the sample"
    );
}

#[test]
fn a_moment_without_an_end_and_an_unknown_bookmark_are_refused() {
    let (dir, library, _) = library();
    let out = cli(&library)
        .args(["bookmark", "add", "1", "--start", "1", "--title", "A moment"])
        .output()
        .expect("bookmark");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let clip = dir.path().join("moment.wav");
    let out = cli(&library)
        .args(["clip", "1", "--out"])
        .arg(&clip)
        .output()
        .expect("clip");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("moment"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!clip.exists());
    let out = cli(&library)
        .args(["clip", "1", "--end", "3", "--out"])
        .arg(&clip)
        .output()
        .expect("clip");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&library)
        .args(["clip", "99", "--out"])
        .arg(dir.path().join("x.wav"))
        .output()
        .expect("clip");
    assert!(!out.status.success());
    assert!(!dir.path().join("x.wav").exists());
}
