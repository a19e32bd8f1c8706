//! The playback pipeline with no audio device: seek accuracy on MP3 and M4A, speed changes that
//! keep the pitch, the end of an episode, and damaged files.

mod common;

use earmark_test_support::media::ffmpeg;
use std::time::Duration;

use common::{damaged_mp3, encode, hum_with_click, tone, write_wav, zero_crossing_freq};
use earmark_player::{MediaDecoder, Pipeline, PlayError, Playback, State};

const RATE: u32 = 44_100;

fn read_all(decoder: &mut MediaDecoder) -> Vec<f32> {
    let mut all = Vec::new();
    let mut buf = vec![0.0; 8192];
    loop {
        let n = decoder.read(&mut buf);
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn seeking_lands_within_50_ms_in_wav_mp3_m4a_flac() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("click.wav");
    write_wav(&wav, RATE, 1, &hum_with_click(RATE, 20.0, 12.345));
    for path in [
        wav.clone(),
        encode(&wav, "mp3"),
        encode(&wav, "m4a"),
        encode(&wav, "flac"),
    ] {
        let mut d = MediaDecoder::open(&path).expect("open");
        let reached = d.seek(Duration::from_secs(12)).expect("seek");
        assert!(
            (reached.as_secs_f64() - 12.0).abs() < 0.001,
            "{}: reached {reached:?}",
            path.display()
        );
        let channels = d.channels();
        let mut buf = vec![0.0; RATE as usize * channels]; // one second
        let n = d.read(&mut buf);
        let offset = common::click_offset(&buf[..n], channels, RATE)
            .unwrap_or_else(|| panic!("{}: no click after the seek", path.display()));
        let heard_at = 12.0 + offset;
        let error_ms = (heard_at - 12.345).abs() * 1000.0;
        eprintln!(
            "{}: seek to 12 s, click heard at {heard_at:.4} s ({error_ms:.2} ms off)",
            path.display()
        );
        assert!(
            error_ms <= 50.0,
            "{}: click heard at {heard_at:.4} s, {error_ms:.1} ms off",
            path.display()
        );
        if path.extension().is_some_and(|e| e == "wav" || e == "flac") {
            assert!(
                error_ms < 0.1,
                "{}: lossless formats seek to the sample ({error_ms} ms)",
                path.display()
            );
        }
    }
}

#[test]
fn the_audio_track_of_an_mp4_video_plays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("av.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 2.0, 440.0, 0.5));
    let video = dir.path().join("video.mp4");
    let status = ffmpeg()
        .args(["-f", "lavfi", "-i", "color=c=blue:s=64x48:d=2", "-i"])
        .arg(&wav)
        .args(["-c:v", "mpeg4", "-c:a", "aac", "-shortest"])
        .arg(&video)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    let mut d = MediaDecoder::open(&video).expect("open the video's audio");
    let samples = read_all(&mut d);
    let secs = samples.len() as f64 / d.channels() as f64 / RATE as f64;
    assert!((secs - 2.0).abs() < 0.1, "{secs} s of audio");
}

#[test]
fn double_speed_halves_the_time_and_keeps_the_pitch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("tone.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 6.0, 440.0, 0.5));
    for (speed, file) in [
        (2.0, wav.clone()),
        (2.0, encode(&wav, "mp3")),
        (1.5, wav.clone()),
        (0.75, wav.clone()),
    ] {
        let mut p = Pipeline::new(MediaDecoder::open(&file).expect("open"), speed);
        let mut out = Vec::new();
        let mut buf = vec![0.0; 4096];
        loop {
            let n = p.fill(&mut buf);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        let secs = out.len() as f64 / RATE as f64;
        let want = 6.0 / speed;
        assert!(
            (secs - want).abs() / want < 0.03,
            "{speed}x of {}: {secs:.3} s, want {want:.3}",
            file.display()
        );
        let mid = &out[out.len() / 4..out.len() * 3 / 4];
        let freq = zero_crossing_freq(mid, RATE);
        assert!(
            (freq - 440.0).abs() / 440.0 < 0.02,
            "{speed}x: pitch moved to {freq:.1} Hz"
        );
    }
}

#[test]
fn segment_playback_stops_at_the_end_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("seg.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 10.0, 300.0, 0.3));
    let mut p = Pipeline::new(MediaDecoder::open(&wav).expect("open"), 1.0);
    p.seek(Duration::from_secs(2)).expect("seek");
    p.set_stop_at(Some(Duration::from_secs(5)));
    let mut total = 0;
    let mut buf = vec![0.0; 1000];
    loop {
        let n = p.fill(&mut buf);
        if n == 0 {
            break;
        }
        total += n;
    }
    let secs = total as f64 / RATE as f64;
    assert!((secs - 3.0).abs() < 0.03, "played {secs} s of the 2–5 s segment");
}

#[test]
fn headless_playback_pauses_seeks_and_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("p.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 3.0, 300.0, 0.3));
    let (playback, mut source) = Playback::headless(Pipeline::new(MediaDecoder::open(&wav).expect("open"), 1.0));
    let second: Vec<f32> = source.by_ref().take(RATE as usize).collect();
    assert!(second.iter().any(|s| s.abs() > 0.1), "sound while playing");
    let pos = playback.position().as_secs_f64();
    assert!((pos - 1.0).abs() < 0.05, "position {pos}");
    playback.pause();
    let paused: Vec<f32> = source.by_ref().take(RATE as usize).collect();
    assert!(paused.iter().skip(1024).all(|s| *s == 0.0), "silence while paused");
    assert!(
        (playback.position().as_secs_f64() - pos).abs() < 0.05,
        "position held while paused"
    );
    playback.resume();
    playback.seek(Duration::from_millis(2500)).expect("seek");
    let _: Vec<f32> = source.by_ref().take(RATE as usize).collect();
    assert_eq!(playback.state(), State::Ended, "the end is reached");
    playback.stop();
    assert!(source.by_ref().nth(2048).is_none(), "a stopped source ends");
}

#[test]
fn a_truncated_mp3_plays_to_the_cut_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("long.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 20.0, 300.0, 0.3));
    let mp3 = encode(&wav, "mp3");
    let bytes = std::fs::read(&mp3).expect("read");
    let cut = dir.path().join("cut.mp3");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let mut d = MediaDecoder::open(&cut).expect("a truncated file still opens");
    let samples = read_all(&mut d);
    let secs = samples.len() as f64 / RATE as f64;
    assert!((secs - 10.0).abs() < 1.0, "played {secs} s of the first half");
    let damage = d.damage().expect("the truncation is reported");
    assert!(damage.contains("ends early"), "{damage}");
}

#[test]
fn a_corrupt_mp3_skips_the_damage_without_panicking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = damaged_mp3(dir.path(), RATE);
    let mut d = MediaDecoder::open(&bad).expect("open");
    let samples = read_all(&mut d);
    let secs = samples.len() as f64 / RATE as f64;
    assert!(secs > 8.0, "playback went on past the damage ({secs} s)");
}

#[test]
fn garbage_and_unsupported_files_get_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.mp3");
    std::fs::write(&junk, b"this is not audio at all, just some words in a file").expect("write");
    match MediaDecoder::open(&junk) {
        Err(PlayError::Unsupported(_)) | Err(PlayError::Damaged(_)) => {}
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("garbage opened as audio"),
    }
    assert!(matches!(
        MediaDecoder::open(&dir.path().join("missing.mp3")),
        Err(PlayError::Open { .. })
    ));
}

#[test]
fn opus_is_reported_as_unsupported_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("o.wav");
    write_wav(&wav, 48_000, 1, &tone(48_000, 1.0, 440.0, 0.3));
    let opus = dir.path().join("o.opus");
    let ok = ffmpeg()
        .args(["-i"])
        .arg(&wav)
        .args(["-c:a", "libopus", "-b:a", "32k"])
        .arg(&opus)
        .status()
        .expect("ffmpeg")
        .success();
    assert!(ok, "ffmpeg could not make an Opus file");
    match MediaDecoder::open(&opus) {
        Err(PlayError::Unsupported(what)) => {
            let msg = PlayError::Unsupported(what).to_string();
            assert!(msg.starts_with("unsupported format"), "{msg}");
        }
        Err(other) => panic!("expected 'unsupported format', got {other}"),
        Ok(_) => panic!("Opus decoded: update this test and the format list"),
    }
}

#[test]
fn what_is_heard_is_counted_not_where_a_seek_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("heard.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 20.0, 300.0, 0.3));
    let (playback, mut source) = Playback::headless(Pipeline::new(MediaDecoder::open(&wav).expect("open"), 2.0));
    // Two seconds of sound at 2x cover four seconds of the episode.
    let _: Vec<f32> = source.by_ref().take(2 * RATE as usize).collect();
    let heard = playback.take_heard();
    assert!((heard.wall_secs - 2.0).abs() < 0.05, "{heard:?}");
    assert!((heard.episode_secs - 4.0).abs() < 0.1, "{heard:?}");
    assert!(playback.take_heard().is_empty(), "taking the count starts it again");
    // A jump of ten seconds is not listening; a pause hears nothing.
    playback.seek(Duration::from_secs(15)).expect("seek");
    let _: Vec<f32> = source.by_ref().take(RATE as usize).collect();
    playback.pause();
    let _: Vec<f32> = source.by_ref().take(RATE as usize).collect();
    let heard = playback.take_heard();
    assert!((heard.wall_secs - 1.0).abs() < 0.05, "{heard:?}");
    assert!((heard.episode_secs - 2.0).abs() < 0.1, "{heard:?}");
}

#[test]
fn trimmed_silence_is_skipped_but_positions_stay_in_episode_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("pause.wav");
    // 2 s of tone, 4 s of silence, 2 s of tone.
    let mut samples = tone(RATE, 2.0, 300.0, 0.3);
    samples.extend(std::iter::repeat_n(0.0, 4 * RATE as usize));
    samples.extend(tone(RATE, 2.0, 300.0, 0.3));
    write_wav(&wav, RATE, 1, &samples);
    let mut p = Pipeline::new(MediaDecoder::open(&wav).expect("open"), 1.0);
    p.set_trim_silence(Some(earmark_player::trim::TrimSilence::default()));
    let pull = |p: &mut Pipeline, secs: f64| {
        let mut left = (secs * f64::from(RATE)) as usize;
        let mut buf = vec![0.0; 441];
        while left > 0 {
            let want = left.min(buf.len());
            let n = p.fill(&mut buf[..want]);
            if n == 0 {
                break;
            }
            left -= n;
        }
    };
    pull(&mut p, 2.25);
    assert!((p.position().as_secs_f64() - 2.25).abs() < 0.05, "{:?}", p.position());
    // Past the half second of silence that is kept, the rest of the pause is behind us.
    pull(&mut p, 0.5);
    assert!((p.position().as_secs_f64() - 6.25).abs() < 0.05, "{:?}", p.position());
    let mut out = 2.75;
    let mut buf = vec![0.0; 4096];
    loop {
        let n = p.fill(&mut buf);
        if n == 0 {
            break;
        }
        out += n as f64 / f64::from(RATE);
    }
    assert!(
        (out - 4.5).abs() < 0.05,
        "8 s with 3.5 s of pause trimmed plays in {out:.2} s"
    );
    let heard = p.take_heard();
    assert!((heard.trimmed_secs - 3.5).abs() < 0.05, "{heard:?}");
    assert!((heard.episode_secs - 8.0).abs() < 0.05, "{heard:?}");
    assert!((heard.wall_secs - 4.5).abs() < 0.05, "{heard:?}");
    // A seek into the pause lands where asked and plays the rest of it only up to the kept half second.
    p.seek(Duration::from_secs(3)).expect("seek");
    pull(&mut p, 0.75);
    assert!((p.position().as_secs_f64() - 6.25).abs() < 0.05, "{:?}", p.position());
}

#[test]
fn gain_turns_a_quiet_episode_up_and_never_past_the_ceiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("quiet.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 2.0, 440.0, 0.1));
    let peak_with = |db: f64| {
        let mut p = Pipeline::new(MediaDecoder::open(&wav).expect("open"), 1.0);
        p.set_gain_db(db);
        let mut buf = vec![0.0; 4096];
        let mut peak = 0.0f32;
        loop {
            let n = p.fill(&mut buf);
            if n == 0 {
                break peak;
            }
            peak = buf[..n].iter().fold(peak, |m, s| m.max(s.abs()));
        }
    };
    let flat = peak_with(0.0);
    assert!((peak_with(6.0) / flat - 1.995).abs() < 0.02, "+6 dB doubles the level");
    let loud = peak_with(24.0);
    assert!(
        loud <= earmark_player::gain::CEILING + 1e-4 && loud > 0.85,
        "limited at {loud}"
    );
}

/// A loudness measured while an episode plays (or a podcast's new boost) reaches the sound at
/// once: the gain changes mid-stream, and an engine `Effects` for the playing episode applies
/// the same way, turning trimming on without a new pipeline.
#[test]
fn gain_and_trimming_change_while_playing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("quiet.wav");
    write_wav(&wav, RATE, 1, &tone(RATE, 4.0, 440.0, 0.1));
    let mut p = Pipeline::new(MediaDecoder::open(&wav).expect("open"), 1.0);
    let peak_of = |p: &mut Pipeline, secs: f64| {
        let mut buf = vec![0.0; (RATE as f64 * secs) as usize];
        let n = p.fill(&mut buf);
        buf[..n].iter().fold(0.0f32, |m, s| m.max(s.abs()))
    };
    let before = peak_of(&mut p, 1.0);
    earmark_player::engine::Effects {
        trim_silence: false,
        gain_db: 6.0,
    }
    .apply(&mut p);
    let louder = peak_of(&mut p, 1.0);
    assert!((louder / before - 1.995).abs() < 0.02, "{before} then {louder}");
    earmark_player::engine::Effects {
        trim_silence: true,
        gain_db: 12.0,
    }
    .apply(&mut p);
    assert!(p.trims_silence());
    let loudest = peak_of(&mut p, 1.0);
    assert!((loudest / louder - 1.995).abs() < 0.02, "{louder} then {loudest}");
}
