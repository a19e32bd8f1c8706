//! Clips and waveform peaks from real files: clip boundaries checked by decoding the clip and
//! comparing it with the same span of the source decoded from the start (to the sample on WAV,
//! within one codec frame on MP3 and AAC), FLAC against WAV and against ffmpeg, tags read back by
//! ffprobe, bad requests leaving nothing behind; peaks of a known loud/quiet pattern, progressive
//! reports, the cache's hits, staleness and damage, and cancelling.

mod common;

use earmark_test_support::media::ffmpeg;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use common::{damaged_mp3, encode, tone, write_wav};
use earmark_player::clip::{export_clip, ClipError, ClipFormat, ClipTags};
use earmark_player::peaks::{self, Peak, Peaks, PeaksError, PeaksOptions};
use earmark_player::{MediaDecoder, PlayError};

const RATE: u32 = 44_100;

fn read_all(path: &Path) -> (Vec<f32>, usize) {
    let mut d = MediaDecoder::open(path).expect("open");
    let channels = d.channels();
    let mut all = Vec::new();
    let mut buf = vec![0.0; 8192];
    loop {
        let n = d.read(&mut buf);
        if n == 0 {
            return (all, channels);
        }
        all.extend_from_slice(&buf[..n]);
    }
}

/// Deterministic noise under a slow sweep, different in each channel: every stretch of it looks
/// different, so a misplaced clip cannot match by accident.
fn signal(secs: f64, channels: usize) -> Vec<f32> {
    let n = (RATE as f64 * secs) as usize;
    let mut seed = 0x2545_f491_u32;
    let mut out = Vec::with_capacity(n * channels);
    for i in 0..n {
        let t = i as f64 / RATE as f64;
        for ch in 0..channels {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed as f32 / u32::MAX as f32 - 0.5) * 0.3;
            let sweep = (2.0 * std::f64::consts::PI * (200.0 + 40.0 * t + ch as f64 * 90.0) * t).sin() as f32 * 0.4;
            out.push(noise + sweep);
        }
    }
    out
}

fn tags() -> ClipTags {
    ClipTags {
        title: Some("The good bit".to_owned()),
        episode: Some("Episode 12: On Clips".to_owned()),
        podcast: Some("Earmark Radio".to_owned()),
        comment: Some("worth keeping".to_owned()),
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Files in `dir`, sorted, so a test can see that nothing (not even a temporary file) was left.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- clips

#[test]
fn wav_clips_are_exact_to_the_sample_and_flac_decodes_to_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src.wav");
    write_wav(&src, RATE, 2, &signal(12.0, 2));
    let (all, ch) = read_all(&src);
    assert_eq!(ch, 2);
    let (start, end) = (secs(3.2171), secs(7.5));
    let first = (start.as_secs_f64() * RATE as f64).round() as usize;
    let last = (end.as_secs_f64() * RATE as f64).round() as usize;
    let expected = &all[first * ch..last * ch];

    let wav = dir.path().join("clip.wav");
    let info = export_clip(&src, start, end, &wav, &tags()).expect("wav clip");
    assert_eq!(info.format, ClipFormat::Wav);
    assert_eq!(
        (info.sample_rate, info.channels, info.frames),
        (RATE, 2, (last - first) as u64)
    );
    assert_eq!(info.bytes, std::fs::metadata(&wav).expect("meta").len());
    let (clip, clip_ch) = read_all(&wav);
    assert_eq!(clip_ch, 2);
    assert_eq!(clip.len(), expected.len());
    assert!(clip == expected, "the WAV clip is the source's samples, bit for bit");

    let flac = dir.path().join("clip.flac");
    let info = export_clip(&src, start, end, &flac, &tags()).expect("flac clip");
    assert_eq!(info.format, ClipFormat::Flac);
    let (flac_samples, _) = read_all(&flac);
    assert!(flac_samples == clip, "the FLAC clip decodes to the WAV clip's samples");

    // ffmpeg, a second decoder, agrees on both files.
    let ffmpeg_pcm = |p: &Path| {
        let out = ffmpeg()
            .args(["-i"])
            .arg(p)
            .args(["-f", "s16le", "-"])
            .output()
            .expect("ffmpeg must be installed for these tests (scripts/setup installs it)");
        assert!(out.status.success(), "ffmpeg decodes {}", p.display());
        out.stdout
    };
    let pcm: Vec<u8> = expected
        .iter()
        .flat_map(|s| (((s * 32768.0).round()) as i16).to_le_bytes())
        .collect();
    assert!(
        ffmpeg_pcm(&wav) == pcm,
        "ffmpeg reads the WAV clip as the source's span"
    );
    assert!(
        ffmpeg_pcm(&flac) == pcm,
        "ffmpeg reads the FLAC clip as the source's span"
    );
    assert_eq!(listing(dir.path()), ["clip.flac", "clip.wav", "src.wav"]);
}

/// The offset (in frames) at which `clip` best matches `reference` around `at`, and the residual
/// energy relative to the clip's energy there.
fn best_offset(reference: &[f32], clip: &[f32], ch: usize, at: usize, search: usize) -> (i64, f64) {
    // Skip the clip's first frames (a decoder restarted after a seek may still be settling) and
    // compare a quarter of a second.
    let skip = 4096;
    let len = RATE as usize / 4;
    let c = &clip[skip * ch..(skip + len) * ch];
    let energy: f64 = c.iter().map(|s| f64::from(*s).powi(2)).sum();
    let mut best = (0i64, f64::MAX);
    for o in -(search as i64)..=(search as i64) {
        let from = (at as i64 + skip as i64 + o) as usize * ch;
        let r = &reference[from..from + len * ch];
        let err: f64 = r.iter().zip(c).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        if err < best.1 {
            best = (o, err);
        }
    }
    (best.0, best.1 / energy)
}

#[test]
fn mp3_and_m4a_clips_start_within_one_frame_of_the_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("src.wav");
    write_wav(&wav, RATE, 2, &signal(20.0, 2));
    for (ext, frame) in [("mp3", 1152usize), ("m4a", 1024)] {
        let src = encode(&wav, ext);
        let (reference, ch) = read_all(&src);
        let (start, end) = (secs(7.3), secs(11.05));
        let first = (start.as_secs_f64() * RATE as f64).round() as usize;
        let out = dir.path().join(format!("clip-{ext}.wav"));
        let info = export_clip(&src, start, end, &out, &tags()).expect("clip");
        let want = ((end - start).as_secs_f64() * RATE as f64).round() as u64;
        assert_eq!(info.frames, want, "{ext}: the clip has the length asked for");
        let (clip, clip_ch) = read_all(&out);
        assert_eq!(clip_ch, ch);
        assert_eq!(clip.len() as u64, want * ch as u64);
        let (offset, residual) = best_offset(&reference, &clip, ch, first, frame);
        eprintln!("{ext}: clip starts {offset} frames from the reference span (residual {residual:.2e})");
        assert!(offset.unsigned_abs() as usize <= frame, "{ext}: off by {offset} frames");
        assert!(residual < 1e-3, "{ext}: the clip matches the source ({residual})");
    }
}

/// Vorbis comments of a FLAC file, read from its metadata blocks.
fn flac_comments(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("read");
    assert_eq!(&bytes[..4], b"fLaC");
    let mut at = 4;
    loop {
        let header = bytes[at];
        let len = u32::from_be_bytes([0, bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let body = &bytes[at + 4..at + 4 + len];
        if header & 0x7f == 4 {
            let u32_at = |i: usize| u32::from_le_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]) as usize;
            let mut i = 4 + u32_at(0);
            let count = u32_at(i);
            i += 4;
            let mut out = Vec::new();
            for _ in 0..count {
                let n = u32_at(i);
                out.push(String::from_utf8(body[i + 4..i + 4 + n].to_vec()).expect("utf8"));
                i += 4 + n;
            }
            return out;
        }
        assert!(header & 0x80 == 0, "no VORBIS_COMMENT block");
        at += 4 + len;
    }
}

/// Tags as ffprobe reads them (lower-cased keys).
fn ffprobe_tags(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-loglevel", "error", "-show_entries", "format_tags", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe comes with ffmpeg");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tags = v["format"]["tags"].as_object().cloned().unwrap_or_default();
    tags.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect()
}

#[test]
fn clips_are_tagged_with_episode_podcast_and_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src.wav");
    write_wav(&src, RATE, 1, &tone(RATE, 5.0, 440.0, 0.5));
    let flac = dir.path().join("clip.flac");
    export_clip(&src, secs(1.25), secs(3.5), &flac, &tags()).expect("flac");
    let comments = flac_comments(&flac);
    for want in [
        "TITLE=The good bit",
        "ALBUM=Earmark Radio",
        "SOURCE_EPISODE=Episode 12: On Clips",
        "SOURCE_PODCAST=Earmark Radio",
        "SOURCE_START=1.250",
        "SOURCE_END=3.500",
    ] {
        assert!(comments.iter().any(|c| c == want), "{want} missing from {comments:?}");
    }
    let comment = comments.iter().find(|c| c.starts_with("COMMENT=")).expect("comment");
    assert!(comment.contains("worth keeping") && comment.contains("0:00:01.250 to 0:00:03.500"));
    let probed = ffprobe_tags(&flac);
    assert_eq!(probed["title"], "The good bit");
    assert_eq!(probed["album"], "Earmark Radio");

    let wav = dir.path().join("clip.wav");
    export_clip(&src, secs(1.25), secs(3.5), &wav, &ClipTags { title: None, ..tags() }).expect("wav");
    let probed = ffprobe_tags(&wav);
    assert_eq!(probed["title"], "Episode 12: On Clips (0:00:01.250 to 0:00:03.500)");
    assert_eq!(probed["album"], "Earmark Radio");
    assert!(probed["comment"].as_str().is_some_and(|c| c.contains("Episode 12")));
}

/// Runs `export_clip` expecting an error, and checks the target holds what it held before and no
/// temporary file is left.
fn refused(src: &Path, start: f64, end: f64, out: &Path) -> ClipError {
    let dir = out.parent().expect("parent");
    let before = dir.is_dir().then(|| listing(dir));
    let old = std::fs::read(out).ok();
    let err = export_clip(src, secs(start), secs(end), out, &tags()).expect_err("refused");
    assert_eq!(std::fs::read(out).ok(), old, "{err}: the target is untouched");
    if let Some(before) = before {
        assert_eq!(listing(dir), before, "{err}: nothing left behind");
    }
    eprintln!("refused as it should be: {err}");
    err
}

#[test]
fn bad_clip_requests_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src.wav");
    write_wav(&src, RATE, 1, &tone(RATE, 10.0, 440.0, 0.5));
    let out = dir.path().join("clip.wav");

    assert!(matches!(
        refused(&src, 5.0, 4.0, &out),
        ClipError::EndNotAfterStart { .. }
    ));
    assert!(matches!(
        refused(&src, 5.0, 5.0, &out),
        ClipError::EndNotAfterStart { .. }
    ));
    assert!(matches!(
        refused(&src, 10.5, 11.0, &out),
        ClipError::StartPastEnd { .. }
    ));
    assert!(matches!(refused(&src, 9.0, 12.0, &out), ClipError::EndPastEnd { .. }));
    assert!(matches!(
        refused(&src, 1.0, 2.0, &dir.path().join("clip.mp3")),
        ClipError::UnknownFormat { .. }
    ));
    assert!(matches!(
        refused(&dir.path().join("missing.wav"), 1.0, 2.0, &out),
        ClipError::Source(PlayError::Open { .. })
    ));
    let junk = dir.path().join("junk.mp3");
    std::fs::write(&junk, b"this is not audio at all, just some words in a file").expect("write");
    assert!(matches!(refused(&junk, 1.0, 2.0, &out), ClipError::Source(_)));
    assert!(matches!(refused(&src, 1.0, 2.0, &src), ClipError::SameAsSource(_)));
    // The target folder does not exist; then it is a file, not a folder.
    assert!(matches!(
        refused(&src, 1.0, 2.0, &dir.path().join("nowhere/clip.wav")),
        ClipError::Write { .. }
    ));
    assert!(matches!(
        refused(&src, 1.0, 2.0, &src.join("clip.flac")),
        ClipError::Write { .. }
    ));
    // A target that exists keeps its content when the export fails.
    std::fs::write(&out, b"an older clip").expect("write");
    assert!(matches!(refused(&src, 9.0, 12.0, &out), ClipError::EndPastEnd { .. }));
    assert_eq!(std::fs::read(&out).expect("read"), b"an older clip");
    // An end just past the end (within 50 ms) means "to the end".
    let info = export_clip(&src, secs(9.0), secs(10.04), &out, &tags()).expect("to the end");
    assert_eq!(info.frames, RATE as u64);
    assert_eq!(listing(dir.path()), ["clip.wav", "junk.mp3", "src.wav"]);
}

#[test]
fn a_clip_across_damage_in_an_mp3_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = damaged_mp3(dir.path(), RATE);
    let out = dir.path().join("clip.flac");
    let err = refused(&bad, 3.0, 7.0, &out);
    assert!(matches!(err, ClipError::Damaged(_)), "{err}");
    // Away from the damage the same file still gives clips.
    export_clip(&bad, secs(0.5), secs(2.0), &out, &tags()).expect("clip before the damage");
}

// ---------------------------------------------------------------- peaks

/// 70 s mono: silence, loud, silence, quiet, silence in a known pattern (seconds).
const PATTERN: [(f64, f64, f32); 5] = [
    (0.0, 10.0, 0.0),
    (10.0, 20.0, 0.8),
    (20.0, 40.0, 0.0),
    (40.0, 41.0, 0.25),
    (41.0, 70.0, 0.0),
];

fn pattern_wav(path: &Path) {
    let mut samples = Vec::new();
    for (from, to, amp) in PATTERN {
        samples.extend(tone(RATE, to - from, 441.0, amp));
    }
    write_wav(path, RATE, 1, &samples);
}

fn compute(path: &Path, threads: usize) -> Peaks {
    let options = PeaksOptions {
        threads,
        batch_buckets: 500,
    };
    peaks::compute(path, &options, &AtomicBool::new(false), &mut |_| {}).expect("peaks")
}

/// Checks every bucket against the pattern, `margin` buckets either side of an edge excepted,
/// levels within `tolerance` (ffmpeg's MP3 comes out about 5% quieter, evenly).
fn assert_pattern(p: &Peaks, margin: usize, tolerance: f32, what: &str) {
    assert_eq!(p.frames_per_bucket(), 441);
    let n = p.buckets().len();
    assert!((6999..=7001).contains(&n), "{what}: {n} buckets for 70 s");
    for (from, to, amp) in PATTERN {
        let (a, b) = (
            (from * 100.0) as usize + margin,
            ((to * 100.0) as usize).min(n) - margin,
        );
        for (i, peak) in p.buckets()[a..b].iter().enumerate() {
            let want = f32::from(i16::MAX) * amp;
            let at = a + i;
            assert!(
                (f32::from(peak.max) - want).abs() <= want * tolerance + 40.0
                    && (f32::from(-peak.min) - want).abs() <= want * tolerance + 40.0,
                "{what}: bucket {at} ({} s) is {peak:?}, expected ±{want}",
                at as f64 / 100.0
            );
        }
    }
}

#[test]
fn peaks_show_loud_and_quiet_stretches_at_the_right_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pattern.wav");
    pattern_wav(&wav);
    let one = compute(&wav, 1);
    assert_pattern(&one, 0, 0.001, "wav");
    // Silent buckets are exactly zero in a lossless file.
    assert!(one.buckets()[..1000].iter().all(|p| *p == Peak::default()));
    // Parallel chunks seek to the sample in WAV, so the stitched result is identical.
    assert_eq!(compute(&wav, 3), one, "parallel and single-threaded peaks agree");

    let mp3 = encode(&wav, "mp3");
    let serial = compute(&mp3, 1);
    assert_pattern(&serial, 2, 0.07, "mp3");
    let parallel = compute(&mp3, 2);
    assert_pattern(&parallel, 2, 0.07, "mp3 in two chunks");
    assert_eq!(parallel.buckets().len(), serial.buckets().len());

    // Zoom: the whole file in 7 columns of 10 s; then one second in 4 columns.
    let overview = one.range(Duration::ZERO, secs(70.0), 7);
    let loud: Vec<bool> = overview.iter().map(|p| p.max > 1000).collect();
    assert_eq!(loud, [false, true, false, false, true, false, false]);
    let quiet = one.range(secs(40.0), secs(41.0), 4);
    assert!(quiet.iter().all(|p| (8000..8400).contains(&p.max)), "{quiet:?}");
    assert_eq!(one.range(secs(80.0), secs(90.0), 3), vec![Peak::default(); 3]);
}

#[test]
fn progress_reports_increasing_prefixes_that_match_the_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pattern.wav");
    pattern_wav(&wav);
    let options = PeaksOptions {
        threads: 1,
        batch_buckets: 500,
    };
    let mut seen: Vec<Peak> = Vec::new();
    let mut reports = 0;
    let mut last_done = 0;
    let result = peaks::compute(&wav, &options, &AtomicBool::new(false), &mut |p| {
        assert_eq!(p.first_bucket, seen.len(), "each report continues the last");
        assert!(p.buckets_done > last_done);
        assert_eq!(p.buckets_total, Some(7000));
        assert!((p.bucket_secs - 0.01).abs() < 1e-9);
        last_done = p.buckets_done;
        seen.extend_from_slice(p.peaks);
        reports += 1;
    })
    .expect("peaks");
    assert_eq!(reports, 14);
    assert_eq!(seen, result.buckets(), "the prefixes add up to the result");

    // In parallel, each chunk reports its own stretch in order; all of them cover the result.
    let options = PeaksOptions {
        threads: 2,
        batch_buckets: 500,
    };
    let mut covered = vec![false; 7000];
    let result2 = peaks::compute(&wav, &options, &AtomicBool::new(false), &mut |p| {
        for (i, peak) in p.peaks.iter().enumerate() {
            covered[p.first_bucket + i] = true;
            assert_eq!(*peak, result.buckets()[p.first_bucket + i]);
        }
    })
    .expect("peaks");
    assert!(covered.iter().all(|c| *c));
    assert_eq!(result2, result);
}

#[test]
fn the_cache_is_used_when_fresh_and_recomputed_when_stale_or_damaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pattern.wav");
    pattern_wav(&wav);
    let cache = dir.path().join("cache");
    let options = PeaksOptions::default();
    let never = AtomicBool::new(false);
    let load = || {
        let mut reports = 0;
        let out = peaks::load_or_compute(&wav, &cache, &options, &never, &mut |_| reports += 1).expect("peaks");
        assert!(reports >= 1, "a cache hit reports its peaks once too");
        assert_eq!(out.cache_error, None);
        out
    };
    let first = load();
    assert!(!first.from_cache);
    let file: PathBuf = peaks::cache_path(&wav, &cache);
    assert!(file.exists());
    let hit = load();
    assert!(hit.from_cache);
    assert_eq!(hit.peaks, first.peaks);

    // Touched: a new modification time makes the cache stale.
    let f = std::fs::File::options().write(true).open(&wav).expect("open");
    f.set_modified(SystemTime::now() + Duration::from_secs(5))
        .expect("touch");
    drop(f);
    assert!(!load().from_cache, "touched file recomputed");
    assert!(load().from_cache);

    // Damaged cache files of every kind are recomputed, never trusted, and then repaired.
    let good = std::fs::read(&file).expect("read cache");
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    let damages: [Vec<u8>; 4] = [
        flipped,
        good[..good.len() - 3].to_vec(),
        b"garbage".to_vec(),
        Vec::new(),
    ];
    for bad in damages {
        std::fs::write(&file, &bad).expect("damage");
        let out = load();
        assert!(!out.from_cache, "a damaged cache ({} bytes) is not trusted", bad.len());
        assert_eq!(out.peaks, first.peaks);
        assert_eq!(std::fs::read(&file).expect("read"), good, "the cache is rewritten");
    }

    // A changed file (new content and size) gets new peaks.
    write_wav(&wav, RATE, 1, &tone(RATE, 3.0, 441.0, 0.5));
    let changed = load();
    assert!(!changed.from_cache);
    assert_eq!(changed.peaks.buckets().len(), 300);
    // No temporary files are left in the cache folder.
    assert_eq!(listing(&cache).len(), 1);
}

#[test]
fn cancelling_stops_the_computation_and_caches_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pattern.wav");
    pattern_wav(&wav);
    let cache = dir.path().join("cache");
    let cancel = AtomicBool::new(false);
    let options = PeaksOptions {
        threads: 2,
        batch_buckets: 100,
    };
    let mut reports = 0;
    let err = peaks::load_or_compute(&wav, &cache, &options, &cancel, &mut |_| {
        reports += 1;
        cancel.store(true, Ordering::Relaxed);
    })
    .expect_err("cancelled");
    assert!(matches!(err, PeaksError::Cancelled), "{err}");
    assert!(reports < 20, "stopped soon after the cancel ({reports} reports)");
    assert!(!peaks::cache_path(&wav, &cache).exists());
}

#[test]
fn peaks_of_missing_or_garbage_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let never = AtomicBool::new(false);
    let options = PeaksOptions::default();
    let missing = dir.path().join("missing.mp3");
    let err = peaks::load_or_compute(&missing, dir.path(), &options, &never, &mut |_| {}).expect_err("missing");
    assert!(matches!(err, PeaksError::Source { .. }), "{err}");
    let junk = dir.path().join("junk.mp3");
    std::fs::write(&junk, b"this is not audio at all, just some words in a file").expect("write");
    let err = peaks::load_or_compute(&junk, dir.path(), &options, &never, &mut |_| {}).expect_err("junk");
    assert!(matches!(err, PeaksError::Decode(_)), "{err}");
}

#[test]
fn a_truncated_mp3_gets_peaks_up_to_the_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pattern.wav");
    pattern_wav(&wav);
    let mp3 = encode(&wav, "mp3");
    let bytes = std::fs::read(&mp3).expect("read");
    let cut = dir.path().join("cut.mp3");
    // The header still promises 70 s; the data stops near 28 s, before the second chunk's start.
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 5]).expect("write");
    for threads in [1, 2, 4] {
        let p = compute(&cut, threads);
        let secs = p.duration().as_secs_f64();
        assert!((secs - 28.0).abs() < 1.0, "{threads} threads: peaks cover {secs} s");
        assert!(
            p.buckets()[1000..2000].iter().all(|b| b.max > 20_000),
            "the loud stretch is there"
        );
    }
}

#[test]
fn close_up_peaks_come_from_the_samples_of_the_span() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("steps.wav");
    // One second at 0.1, then one at 0.5: the step is at exactly 44,100.
    let mut samples = vec![0.1f32; RATE as usize];
    samples.extend(vec![0.5f32; RATE as usize]);
    write_wav(&src, RATE, 1, &samples);
    // 100 buckets over 10 ms around the step: one sample about every 4 buckets.
    let close = peaks::span_peaks(&src, secs(0.995), secs(1.005), 100).expect("span");
    assert_eq!(close.len(), 100);
    let low = (0.1f32 * 32767.0) as i16; // as written by write_wav, read back
    let high = (0.5f32 * 32767.0) as i16;
    let near = |v: i16, want: i16| (v - want).abs() <= 1;
    assert!(
        close[..49].iter().all(|p| near(p.max, low) && near(p.min, low)),
        "{:?}",
        &close[..50]
    );
    assert!(
        close[51..].iter().all(|p| near(p.max, high) && near(p.min, high)),
        "{:?}",
        &close[50..]
    );
    // Fewer samples than buckets (44 samples in 100 columns): each column shows its sample.
    let closer = peaks::span_peaks(&src, secs(0.9995), secs(1.0005), 100).expect("span");
    assert!(closer
        .iter()
        .all(|p| p.min == p.max && (near(p.max, low) || near(p.max, high))));
    let step = closer.iter().position(|p| near(p.max, high)).expect("the step");
    assert!((48..=52).contains(&step), "the step at column {step}");
    assert!(closer[step..].iter().all(|p| near(p.max, high)));
    // Wider than the samples: extremes of each stretch; past the end: silence.
    let wide = peaks::span_peaks(&src, secs(0.75), secs(2.75), 4).expect("span");
    assert!(near(wide[0].min, low) && near(wide[0].max, high), "{wide:?}");
    assert!(near(wide[1].min, high) && near(wide[1].max, high), "{wide:?}");
    assert_eq!(wide[3], Peak::default());
    assert!(peaks::span_peaks(&dir.path().join("missing.wav"), secs(0.0), secs(1.0), 4).is_err());
}

#[test]
fn loudness_is_measured_to_ebu_r128_alike_on_one_thread_or_several() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("level.wav");
    let rate = 22_050;
    // A 1 kHz sine at −20 dBFS for 70 s: mono, so −23 LUFS (BS.1770), and a −20 dBTP peak.
    write_wav(&wav, rate, 1, &common::tone(rate, 70.0, 1000.0, 0.1));
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let one = earmark_player::loudness::measure(&wav, 1, &cancel).expect("measure");
    let two = earmark_player::loudness::measure(&wav, 2, &cancel).expect("measure in chunks");
    assert!((one.integrated_lufs - -23.0).abs() < 0.3, "{one:?}");
    assert!((one.true_peak_dbtp - -20.0).abs() < 0.3, "{one:?}");
    assert!((one.secs - 70.0).abs() < 0.1, "{one:?}");
    assert!(
        (one.integrated_lufs - two.integrated_lufs).abs() < 0.05,
        "{one:?} vs {two:?}"
    );
    assert!(
        (one.secs - two.secs).abs() < 0.01,
        "chunks cover the file once: {two:?}"
    );
    // Silence has no loudness: a clear error, not a number.
    let quiet = dir.path().join("quiet.wav");
    write_wav(&quiet, rate, 1, &vec![0.0; rate as usize * 5]);
    let silent = earmark_player::loudness::measure(&quiet, 2, &cancel);
    assert!(
        matches!(silent, Err(earmark_player::loudness::LoudnessError::Silent)),
        "{silent:?}"
    );
}
