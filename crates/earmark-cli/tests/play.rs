//! `earmark-cli play` through a real audio path: a PulseAudio null sink that this test starts
//! itself (it plays in real time, unlike ALSA's null device), reached through ALSA's pulse plugin.
//! Covers resume after `kill -9`, segment playback, speed, and "no audio output".

use earmark_test_support::media::{mp3_from_wav, sox_join, sox_wav};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Shared with the end-to-end tests; this file uses only part of it.
#[allow(dead_code)]
use earmark_test_support::pulse;

use pulse::{alsa_config, start_pulse, Pulse};

use earmark_test_support::media_server;

use media_server::{Behaviour, MediaServer};

/// A library with one 30-second episode whose media is a local MP3.
fn library_with_episode() -> (tempfile::TempDir, PathBuf) {
    let (dir, library, ()) = library_with(|_| ("tone.mp3".to_owned(), ()));
    (dir, library)
}

/// A library with one 30-second MP3 episode; `enclosure` turns the MP3's bytes into the
/// enclosure URL the feed gives, and whatever serves it (returned as the third value).
fn library_with<T>(enclosure: impl FnOnce(Vec<u8>) -> (String, T)) -> (tempfile::TempDir, PathBuf, T) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("tone.wav");
    sox_wav(&wav, 1, &["synth", "30", "sine", "330", "vol", "0.3"]);
    let mp3 = dir.path().join("tone.mp3");
    mp3_from_wav(&wav, &mp3, 96);
    let (url, extra) = enclosure(std::fs::read(&mp3).expect("read mp3"));
    let library = subscribed_library(
        dir.path(),
        &format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Tone</title><item><title>Thirty seconds</title>\
             <guid>tone-1</guid><enclosure url=\"{url}\" type=\"audio/mpeg\" length=\"1\"/></item></channel></rss>"
        ),
    );
    (dir, library, extra)
}

/// `feed` written as `feed.xml` in `dir`, and the library at `dir/library` subscribed to it.
fn subscribed_library(dir: &Path, feed: &str) -> PathBuf {
    let path = dir.join("feed.xml");
    std::fs::write(&path, feed).expect("feed");
    let library = dir.join("library");
    let out = cli(&library, None)
        .arg("subscribe")
        .arg(&path)
        .output()
        .expect("subscribe");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    library
}

/// A library whose one episode is served over HTTP by a local server behaving as `how`; also
/// returns the server and the MP3's bytes.
fn library_streamed(how: Behaviour) -> (tempfile::TempDir, PathBuf, MediaServer, Vec<u8>) {
    let (dir, library, (server, bytes)) = library_with(|bytes| {
        let server = MediaServer::start(bytes.clone(), how);
        (server.url("tone.mp3"), (server, bytes))
    });
    (dir, library, server, bytes)
}

fn cli(library: &Path, pulse: Option<&Pulse>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_earmark-cli"));
    c.arg("--library").arg(library);
    c.env_remove("PULSE_SERVER");
    if let Some(p) = pulse {
        c.env("ALSA_CONFIG_PATH", &p.alsa_conf);
    }
    c
}

/// `earmark-cli play 1 ARGS` through the test's sound server, which must succeed.
fn play_ok(library: &Path, pulse: &Pulse, args: &[&str]) -> std::process::Output {
    let out = cli(library, Some(pulse))
        .args(["play", "1"])
        .args(args)
        .output()
        .expect("play");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn position(library: &Path) -> (f64, bool) {
    let out = cli(library, None)
        .args(["episodes", "--json"])
        .output()
        .expect("episodes");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (
        v[0]["position_secs"].as_f64().expect("position"),
        v[0]["played"].as_bool().expect("played"),
    )
}

#[test]
fn killed_while_playing_resumes_within_five_seconds() {
    let pulse = start_pulse();
    let (_dir, library) = library_with_episode();
    let mut child = cli(&library, Some(&pulse))
        .args(["play", "1"])
        .stderr(Stdio::null())
        .spawn()
        .expect("play");
    std::thread::sleep(Duration::from_millis(5500));
    child.kill().expect("kill -9");
    let _ = child.wait();
    let (pos, played) = position(&library);
    assert!(!played);
    // About 5 s were heard (less start-up); at most 2 s of that may be unsaved.
    assert!(
        (1.5..=5.6).contains(&pos),
        "saved position {pos} s after 5.5 s of real-time playback"
    );

    // Playing again continues from there; --to ends the segment.
    let t = Instant::now();
    let to = format!("{:.2}", pos + 2.0);
    play_ok(&library, &pulse, &["--to", &to]);
    let wall = t.elapsed().as_secs_f64();
    let (after, _) = position(&library);
    assert!(
        (after - (pos + 2.0)).abs() < 0.5,
        "resumed at {pos} and stopped at {after}, wanted {}",
        pos + 2.0
    );
    assert!(
        wall >= 1.8,
        "2 s of audio took {wall:.2} s: the output is not paced in real time"
    );
}

#[test]
fn double_speed_plays_in_half_the_time_and_the_end_marks_played() {
    let pulse = start_pulse();
    let (_dir, library) = library_with_episode();
    // The fixed cost of a play (process start, opening the device, a sound server's start-up
    // stall of up to ~1.5 s, draining), the best of two short plays.
    let mut fixed = f64::MAX;
    for _ in 0..2 {
        let t = Instant::now();
        play_ok(&library, &pulse, &["--from", "0", "--to", "0.1"]);
        fixed = fixed.min(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    play_ok(&library, &pulse, &["--from", "0:24", "--speed", "2"]);
    let wall = t.elapsed().as_secs_f64() - fixed;
    // 6 s of episode at 2x is 3 s of listening; 1x would be 6 s, 3x 2 s. The upper bound leaves
    // room for one start-up stall.
    assert!(
        (2.3..=4.9).contains(&wall),
        "6 s at 2x took {wall:.2} s beyond the {fixed:.2} s fixed cost"
    );
    let (pos, played) = position(&library);
    assert!(played, "reaching the end marks the episode played");
    assert_eq!(pos, 0.0, "a finished episode starts from the top next time");

    // The statistics count what was heard: two 0.1 s plays at 1x and 6 s of episode at 2x.
    let out = cli(&library, None).args(["stats", "--json"]).output().expect("stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let total = &v["total"];
    let listened = total["listened_secs"].as_f64().expect("listened");
    let covered = total["episode_secs"].as_f64().expect("episode");
    let saved = total["saved_by_speed_secs"].as_f64().expect("saved");
    assert!((3.0..=3.5).contains(&listened), "{total}");
    assert!((6.0..=6.5).contains(&covered), "{total}");
    assert!((2.7..=3.2).contains(&saved), "{total}");
    assert_eq!(total["episodes_finished"], 1, "{total}");
    assert_eq!(v["by_podcast"].as_array().map(Vec::len), Some(1), "{v}");
}

#[test]
fn no_audio_device_says_so_and_keeps_the_position() {
    let (dir, library) = library_with_episode();
    // Point ALSA at a sound server that is not there: no device can be opened.
    let conf = dir.path().join("nowhere.conf");
    std::fs::write(&conf, alsa_config(&dir.path().join("no-such-socket"))).expect("conf");
    let before = position(&library);
    let out = cli(&library, None)
        .env("ALSA_CONFIG_PATH", &conf)
        .args(["play", "1"])
        .output()
        .expect("play");
    assert_eq!(out.status.code(), Some(3), "exit code for no audio output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no audio output"), "{stderr}");
    assert_eq!(position(&library), before, "the position is untouched");
}

#[test]
fn bad_play_arguments_are_refused() {
    let (_dir, library) = library_with_episode();
    for args in [
        &["play", "1", "--speed", "5"][..],
        &["play", "1", "--from", "soon"],
        &["play", "1", "--from", "10", "--to", "5"],
        &["play", "99"],
    ] {
        let out = cli(&library, None).args(args).output().expect("play");
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error"), "{args:?}");
    }
}

#[test]
fn an_episode_not_downloaded_streams_and_seeks_with_a_range_request() {
    let pulse = start_pulse();
    // 20 kB/s: faster than the 96 kbit/s episode plays (12 kB/s), far slower than fetching it all.
    let (_dir, library, server, _) = library_streamed(Behaviour {
        ranges: true,
        bytes_per_sec: Some(20_000),
        content_type: Some("audio/mpeg".into()),
        ..Behaviour::default()
    });

    play_ok(&library, &pulse, &["--to", "2"]);
    let (pos, _) = position(&library);
    assert!((pos - 2.0).abs() < 0.5, "streamed to {pos} s");

    // 26 s in is ~310 kB: reached in order that would take 15 s; a Range request gets there at once.
    let t = Instant::now();
    play_ok(&library, &pulse, &["--from", "0:26", "--to", "0:28"]);
    let wall = t.elapsed().as_secs_f64();
    let (pos, _) = position(&library);
    assert!((pos - 28.0).abs() < 0.5, "stopped at {pos} s");
    assert!(wall < 10.0, "2 s from 26 s in took {wall:.1} s");
    let jumped = server.range_starts().into_iter().any(|from| from > 200_000);
    assert!(jumped, "a Range request near 26 s: {:?}", server.ranges_asked());
}

#[test]
fn a_stream_heard_to_its_end_is_kept_as_the_download() {
    let pulse = start_pulse();
    let (_dir, library, server, original) = library_streamed(Behaviour {
        ranges: true,
        ..Behaviour::default()
    });
    let out = play_ok(&library, &pulse, &["--from", "0:29"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Kept the streamed episode"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(
        &cli(&library, None)
            .args(["downloads", "--json"])
            .output()
            .expect("downloads")
            .stdout,
    )
    .expect("json");
    assert_eq!(rows[0]["state"], "done", "{rows}");
    // The kept file is the server's file, byte for byte, and the next play reads it from disk.
    let kept = std::fs::read_dir(library.join("media"))
        .expect("the media folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "mp3"))
        .expect("a kept mp3 in the library's media folder");
    assert_eq!(std::fs::read(&kept).expect("read kept"), original);
    drop(server);
    play_ok(&library, &pulse, &["--from", "0:29"]);
}

#[test]
fn a_playlist_plays_through_moving_on_as_each_episode_ends() {
    let pulse = start_pulse();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut items = String::new();
    for (i, secs) in [(1, "1.5"), (2, "1"), (3, "1")] {
        let wav = dir.path().join(format!("t{i}.wav"));
        sox_wav(&wav, 1, &["synth", secs, "sine", "330", "vol", "0.3"]);
        items.push_str(&format!(
            "<item><title>Part {i}</title><guid>p{i}</guid><enclosure url=\"t{i}.wav\" type=\"audio/wav\" length=\"1\"/></item>"
        ));
    }
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Parts</title>{items}</channel></rss>"),
    )
    .expect("feed");
    let library = dir.path().join("library");
    let run = |args: &[&str]| {
        let out = cli(&library, Some(&pulse)).args(args).output().expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&["subscribe", feed.to_str().expect("utf-8 path")]);
    let eps = run(&["episodes", "--json"]);
    let eps: serde_json::Value = serde_json::from_slice(&eps.stdout).expect("json");
    let id = |t: &str| {
        eps.as_array()
            .expect("array")
            .iter()
            .find(|e| e["title"] == t)
            .expect("episode")["id"]
            .to_string()
    };
    // By hand: part 3, then part 1; part 2 is not in it.
    run(&["playlist", "new", "Two parts"]);
    run(&["playlist", "add", "Two parts", &id("Part 3"), &id("Part 1")]);
    let out = run(&["playlist", "play", "Two parts"]);
    let said = String::from_utf8_lossy(&out.stderr);
    let (three, one) = (said.find("Finished Part 3"), said.find("Finished Part 1"));
    assert!(three.is_some() && one.is_some() && three < one, "{said}");
    assert!(!said.contains("Part 2") && said.contains("End of Two parts"), "{said}");
    let eps: serde_json::Value = serde_json::from_slice(&run(&["episodes", "--json"]).stdout).expect("json");
    let played: Vec<(String, bool)> = eps
        .as_array()
        .expect("array")
        .iter()
        .map(|e| (e["title"].as_str().expect("title").to_owned(), e["played"] == true))
        .collect();
    assert!(played.iter().all(|(t, p)| *p == (t != "Part 2")), "{played:?}");
    // Both finished episodes count in the statistics.
    let stats: serde_json::Value = serde_json::from_slice(&run(&["stats", "--json"]).stdout).expect("json");
    assert_eq!(stats["total"]["episodes_finished"], 2, "{stats}");
}

/// A library whose one episode is a local WAV (mono, 44.1 kHz): the pieces sox makes from each
/// list of effect arguments, one after the other.
fn library_of_wav(dir: &Path, pieces: &[&[&str]]) -> PathBuf {
    let mut parts = Vec::new();
    for (i, effects) in pieces.iter().enumerate() {
        let part = dir.join(format!("part{i}.wav"));
        sox_wav(&part, 1, effects);
        parts.push(part);
    }
    let wav = dir.join("ep.wav");
    if parts.len() == 1 {
        std::fs::rename(&parts[0], &wav).expect("rename");
    } else {
        sox_join(&parts, &wav);
    }
    subscribed_library(
        dir,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wav</title><item><title>The episode</title>\
         <guid>w</guid><enclosure url=\"ep.wav\" type=\"audio/wav\" length=\"1\"/></item></channel></rss>",
    )
}

fn ok_json(library: &Path, args: &[&str]) -> serde_json::Value {
    let out = cli(library, None).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn loudness_is_measured_and_kept_and_a_podcast_can_be_boosted() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 1 kHz tone at -20 dBFS: -23 LUFS, so it plays 7 dB up.
    let library = library_of_wav(dir.path(), &[&["synth", "12", "sine", "1000", "vol", "0.1"]]);
    let rows = ok_json(&library, &["loudness", "1", "--json"]);
    let row = &rows[0];
    assert!(
        (row["integrated_lufs"].as_f64().expect("lufs") + 23.0).abs() < 0.5,
        "{rows}"
    );
    assert!((row["gain_db"].as_f64().expect("gain") - 7.0).abs() < 0.5, "{rows}");
    let sound = ok_json(
        &library,
        &[
            "sound",
            "--podcast",
            "1",
            "--trim-silence",
            "on",
            "--boost",
            "3",
            "--json",
        ],
    );
    assert_eq!(sound["trim_silence"], true, "{sound}");
    assert_eq!(sound["volume_boost_db"], 3.0, "{sound}");
    assert_eq!(sound["even_loudness"], true, "{sound}");
    let off = ok_json(&library, &["sound", "--even-loudness", "off", "--json"]);
    assert_eq!(off["even_loudness"], false);
    // Nonsense is refused with a reason, and an episode with nothing to measure says why.
    let out = cli(&library, None)
        .args(["sound", "--podcast", "1", "--boost", "40"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 12"));
    let out = cli(&library, None).args(["loudness", "999"]).output().expect("run");
    assert!(!out.status.success());
}

#[test]
fn trimmed_silence_plays_shorter_and_is_counted() {
    let pulse = start_pulse();
    let dir = tempfile::tempdir().expect("tempdir");
    // 1 s of tone, 5 s of silence, 1 s of tone.
    let tone: &[&str] = &["synth", "1", "sine", "440", "vol", "0.3"];
    let pause: &[&str] = &["trim", "0", "5"];
    let library = library_of_wav(dir.path(), &[tone, pause, tone]);
    ok_json(&library, &["sound", "--podcast", "1", "--trim-silence", "on", "--json"]);
    let t = Instant::now();
    let out = cli(&library, Some(&pulse)).args(["play", "1"]).output().expect("play");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wall = t.elapsed().as_secs_f64();
    // 7 s with 4.5 s of silence trimmed is 2.5 s of sound; 7 s would mean nothing was trimmed.
    assert!(wall < 5.5, "7 s with its pause trimmed took {wall:.2} s");
    let (pos, played) = position(&library);
    assert!(played && pos == 0.0, "played to the end in episode time");
    let stats = ok_json(&library, &["stats", "--json"]);
    let trimmed = stats["total"]["saved_by_trimming_secs"].as_f64().expect("trimmed");
    assert!((trimmed - 4.5).abs() < 0.3, "{stats}");
}
