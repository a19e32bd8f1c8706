//! Playback benchmarks, printed as one table beside the goals and, for decoding, beside ffmpeg
//! decoding the same file in the same run.
//!
//! Run: `cargo bench -p earmark-player --bench playback`. The media is generated on the spot by
//! ffmpeg (a 5-minute 128 kb/s stereo 44.1 kHz MP3 of a tone plus speech-like noise bursts,
//! stream-copied twelve times into one 60-minute file); nothing is downloaded. Everything runs
//! in-process with no audio device except the last rows, which open a real device (a private
//! PulseAudio null sink reached through ALSA, as in the CLI's tests, when `pulseaudio` is
//! installed; else the default device) in child processes of this binary, so that each open is
//! the first of its process, as in `earmark-cli play`. CPU time is the pulling thread's own
//! (`/proc/thread-self/schedstat`); the pipeline is single-threaded.

use earmark_test_support::bench::{median, ms, Table};
use earmark_test_support::media::{self, ffmpeg, has};
use earmark_test_support::rng::Rng;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use earmark_player::stream::{open_pipeline, StreamConfig};
use earmark_player::{MediaDecoder, Output, Pipeline};

use earmark_test_support::media_server;

#[allow(dead_code)] // Only the start-up half of the shared helper is used here.
use earmark_test_support::pulse;

/// Frames per pull, as the output path pulls them (`output::BLOCK_FRAMES`).
const BLOCK_FRAMES: usize = 512;
const START_RUNS: usize = 21;
const SEEK_TARGETS: usize = 20;
/// Whole-file passes (ours at 1x and 2x, decoder alone, ffmpeg): each takes seconds, so few.
const LONG_RUNS: usize = 5;
const OPEN_RUNS: usize = 5;
/// Where the "resume" start seeks to: 41:17, past the middle of the file.
const RESUME_AT: Duration = Duration::from_secs(41 * 60 + 17);
const CHILD_FLAG: &str = "--earmark-child";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        let arg = |k: usize| args.get(i + k).map(String::as_str).unwrap_or("");
        return child(arg(1), arg(2));
    }
    let started = Instant::now();
    let mut table = Table::default();

    let Some(mp3) = media::sixty_minute_mp3()? else {
        println!("ffmpeg missing: cannot generate the test media (scripts/setup installs it); nothing measured");
        return Ok(());
    };
    let secs = MediaDecoder::open(&mp3)?
        .duration()
        .ok_or("the generated MP3 has no duration")?
        .as_secs_f64();
    println!(
        "media: {:.1} min, {:.1} MB, 128 kb/s stereo 44.1 kHz MP3 (generated in {:.1} s)",
        secs / 60.0,
        std::fs::metadata(&mp3)?.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    start_bench(&mp3, &mut table)?;
    stream_bench(&mp3, &mut table)?;
    seek_bench(&mp3, secs, &mut table)?;
    throughput_bench(&mp3, secs, &mut table)?;
    open_bench(&mp3, &mut table)?;

    table.print();
    println!("\n(bench wall time {:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------- table

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

fn elapsed_ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The `n`th field (1-based, as in proc(5)) of `/proc/self/stat` as clock ticks, in seconds
/// (100 ticks per second on Linux).
fn stat_secs(fields: &[usize]) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name start at field 3.
    let rest: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
    let mut ticks = 0u64;
    for n in fields {
        ticks += rest.get(n - 3)?.parse::<u64>().ok()?;
    }
    Some(ticks as f64 / 100.0)
}

/// CPU time (user + system) of this process's waited-for children: cutime + cstime.
fn children_cpu_secs() -> f64 {
    stat_secs(&[16, 17]).unwrap_or(f64::NAN)
}

/// CPU time this thread has used: `/proc/thread-self/schedstat` (nanoseconds), else the process's
/// utime + stime from `/proc/self/stat` (clock ticks, 100 per second on Linux). The pipeline is
/// single-threaded and runs on this thread, so either is its cost.
fn cpu_secs() -> f64 {
    if let Some(ns) = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
    {
        return ns as f64 / 1e9;
    }
    stat_secs(&[14, 15]).unwrap_or(f64::NAN)
}

// ---------------------------------------------------------------- media

// ---------------------------------------------------------------- 1. time to first sample

/// Open, build the pipeline, optionally seek, and fill one output block: what happens between
/// "play" and the first sample handed to the device. Returns milliseconds.
fn first_block(mp3: &Path, speed: f64, resume: Option<Duration>) -> Res<f64> {
    let mut block = vec![0.0f32; BLOCK_FRAMES * 2];
    let t = Instant::now();
    let decoder = MediaDecoder::open(mp3)?;
    let mut p = Pipeline::new(decoder, speed);
    if let Some(at) = resume {
        p.seek(at)?;
    }
    let n = p.fill(&mut block);
    let took = elapsed_ms(t);
    if n != block.len() {
        return Err(format!("first fill gave {n} samples").into());
    }
    std::hint::black_box(&block);
    Ok(took)
}

fn start_bench(mp3: &Path, table: &mut Table) -> Res<()> {
    let cases: [(&str, f64, Option<Duration>, bool); 3] = [
        ("from the start, 1x", 1.0, None, true),
        ("resume at 41:17 (seek), 1x", 1.0, Some(RESUME_AT), true),
        ("from the start, 1.5x (WSOLA)", 1.5, None, false),
    ];
    for (label, speed, resume, goal) in cases {
        let runs = (0..START_RUNS)
            .map(|_| first_block(mp3, speed, resume))
            .collect::<Res<Vec<f64>>>()?;
        let m = median(runs.clone());
        table.row(
            &format!("play -> first {BLOCK_FRAMES}-frame block, local MP3: {label}"),
            ms(m),
            if goal { "< 30 ms" } else { "" },
            format!("first run {}, max {}", ms(runs[0]), ms(max(&runs))),
            goal.then_some(m < 30.0),
        );
    }
    Ok(())
}

/// Play → first block when the episode streams from a local HTTP server (127.0.0.1), at full
/// speed and through a 2 MB/s link, from the start and resuming past the middle (a Range request).
/// The output thread would play silence until the gate opens; this waits for the gate, then fills.
fn stream_bench(mp3: &Path, table: &mut Table) -> Res<()> {
    let bytes = std::fs::read(mp3)?;
    let len = bytes.len() as u64;
    let local = median(
        (0..START_RUNS)
            .map(|_| first_block(mp3, 1.0, None))
            .collect::<Res<Vec<f64>>>()?,
    );
    for (link, rate) in [("127.0.0.1, unthrottled", None), ("a 2 MB/s link", Some(2_000_000))] {
        let server = media_server::MediaServer::start(
            bytes.clone(),
            media_server::Behaviour {
                ranges: true,
                bytes_per_sec: rate,
                content_type: Some("audio/mpeg".into()),
                ..media_server::Behaviour::default()
            },
        );
        let url = server.url("episode.mp3");
        for (label, resume) in [("from the start", None), ("resume at 41:17 (Range)", Some(RESUME_AT))] {
            let mut runs = Vec::new();
            let mut fetched = Vec::new();
            for _ in 0..OPEN_RUNS * 2 {
                let mut block = vec![0.0f32; BLOCK_FRAMES * 2];
                let t = Instant::now();
                let (mut p, handle) = open_pipeline(&url, StreamConfig::default(), 1.0)?;
                if let Some(at) = resume {
                    p.seek(at)?;
                }
                while p.waiting() {
                    std::thread::sleep(Duration::from_micros(200));
                }
                let n = p.fill(&mut block);
                runs.push(elapsed_ms(t));
                fetched.push(handle.stats().fetched as f64);
                if n != block.len() {
                    return Err(format!("first streamed fill gave {n} samples").into());
                }
            }
            let m = median(runs.clone());
            table.row(
                &format!("play -> first block, streamed over {link}: {label}"),
                ms(m),
                "",
                format!(
                    "{:.1}x local start ({}); fetched {:.0} kB of {:.0} MB by then; max {}",
                    m / local,
                    ms(local),
                    median(fetched) / 1e3,
                    len as f64 / 1e6,
                    ms(max(&runs))
                ),
                None,
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- 2. seek

fn seek_bench(mp3: &Path, secs: f64, table: &mut Table) -> Res<()> {
    let mut p = Pipeline::new(MediaDecoder::open(mp3)?, 1.0);
    let mut block = vec![0.0f32; BLOCK_FRAMES * 2];
    p.fill(&mut block);
    let mut rng = Rng::new(0x0005_EEC0_FFEE);
    let mut all = Vec::with_capacity(SEEK_TARGETS);
    let (mut fwd, mut back) = (Vec::new(), Vec::new());
    let mut worst_error = 0.0f64;
    let mut last = 0.0;
    for _ in 0..SEEK_TARGETS {
        let target = rng.unit() * (secs - 1.0);
        let t = Instant::now();
        let reached = p.seek(Duration::from_secs_f64(target))?;
        let n = p.fill(&mut block);
        let took = elapsed_ms(t);
        if n != block.len() {
            return Err(format!("fill after a seek to {target:.1} s gave {n} samples").into());
        }
        worst_error = worst_error.max((reached.as_secs_f64() - target).abs());
        all.push(took);
        if target >= last {
            fwd.push(took);
        } else {
            back.push(took);
        }
        last = target;
    }
    let m = median(all.clone());
    table.row(
        &format!("seek + first fill, 60-min MP3 ({SEEK_TARGETS} random targets, fixed seed)"),
        ms(m),
        "< 20 ms",
        format!(
            "max {}; fwd med {} ({}), back med {} ({}); worst error {:.1} ms",
            ms(max(&all)),
            ms(median(fwd.clone())),
            fwd.len(),
            ms(median(back.clone())),
            back.len(),
            worst_error * 1000.0
        ),
        Some(m < 20.0),
    );
    Ok(())
}

// ---------------------------------------------------------------- 3 + 4. throughput and CPU

struct Pass {
    wall: f64,
    cpu: f64,
}

/// Pulls the whole file through the pipeline in output-sized blocks.
fn pull_all(mp3: &Path, speed: f64) -> Res<Pass> {
    pull_all_with(mp3, speed, false)
}

/// `pull_all`, optionally shortening silences as "trim silence" does.
fn pull_all_with(mp3: &Path, speed: f64, trim: bool) -> Res<Pass> {
    let mut block = vec![0.0f32; BLOCK_FRAMES * 2];
    let (t, c) = (Instant::now(), cpu_secs());
    let mut p = Pipeline::new(MediaDecoder::open(mp3)?, speed);
    if trim {
        p.set_trim_silence(Some(earmark_player::trim::TrimSilence::default()));
    }
    let mut total = 0usize;
    loop {
        let n = p.fill(&mut block);
        if n == 0 {
            break;
        }
        total += n;
    }
    let pass = Pass {
        wall: t.elapsed().as_secs_f64(),
        cpu: cpu_secs() - c,
    };
    if let Some(d) = p.damage() {
        return Err(format!("the pipeline stopped early: {d}").into());
    }
    std::hint::black_box((total, &block));
    Ok(pass)
}

/// Pulls the whole file through the decoder alone (no stretcher, no volume).
fn decode_all(mp3: &Path) -> Res<Pass> {
    let mut block = vec![0.0f32; 4096 * 2];
    let (t, c) = (Instant::now(), cpu_secs());
    let mut d = MediaDecoder::open(mp3)?;
    while d.read(&mut block) > 0 {}
    std::hint::black_box(&block);
    Ok(Pass {
        wall: t.elapsed().as_secs_f64(),
        cpu: cpu_secs() - c,
    })
}

/// ffmpeg decoding the same file to nothing, single-threaded, as f32 like ours. Wall and CPU
/// seconds of the whole subprocess (its start-up is a few tens of milliseconds of seconds).
fn ffmpeg_decode(mp3: &Path) -> Res<Pass> {
    let (t, c) = (Instant::now(), children_cpu_secs());
    let status = ffmpeg()
        .args(["-nostdin", "-threads", "1", "-i"])
        .arg(mp3)
        .args(["-map", "0:a", "-c:a", "pcm_f32le", "-threads", "1", "-f", "null", "-"])
        .status()?;
    if !status.success() {
        return Err("ffmpeg failed to decode".into());
    }
    Ok(Pass {
        wall: t.elapsed().as_secs_f64(),
        cpu: children_cpu_secs() - c,
    })
}

fn throughput_bench(mp3: &Path, secs: f64, table: &mut Table) -> Res<()> {
    let (mut ours, mut dec, mut ff, mut twice, mut trimmed) = (vec![], vec![], vec![], vec![], vec![]);
    // Interleaved, so load from elsewhere on the machine falls on all alike.
    for _ in 0..LONG_RUNS {
        ours.push(pull_all(mp3, 1.0)?);
        trimmed.push(pull_all_with(mp3, 1.0, true)?);
        ff.push(ffmpeg_decode(mp3)?);
        dec.push(decode_all(mp3)?);
        twice.push(pull_all(mp3, 2.0)?);
    }
    let xrt = |wall: f64| secs / wall;
    let ours_x = median(ours.iter().map(|p| xrt(p.wall)).collect());
    let dec_x = median(dec.iter().map(|p| xrt(p.wall)).collect());
    let ff_x = median(ff.iter().map(|p| xrt(p.wall)).collect());
    let ratio = ours_x / ff_x;
    let cpu_ratio = median(ff.iter().map(|p| p.cpu).collect()) / median(ours.iter().map(|p| p.cpu).collect());
    table.row(
        "decode 60-min MP3 at 1x, whole pipeline (Pipeline::fill)",
        format!("{ours_x:.0}x real time"),
        ">= 0.8x ffmpeg",
        format!("{ratio:.2}x ffmpeg (ours/ffmpeg, wall); {cpu_ratio:.2}x by CPU time"),
        Some(ratio >= 0.8),
    );
    table.row(
        "  decoder alone (MediaDecoder::read)",
        format!("{dec_x:.0}x real time"),
        "",
        format!("{:.2}x ffmpeg", dec_x / ff_x),
        None,
    );
    table.row(
        "  ffmpeg -threads 1 -i FILE -c:a pcm_f32le -f null - (subprocess wall)",
        format!("{ff_x:.0}x real time"),
        "",
        "1.0x (reference)".into(),
        None,
    );
    let minutes = secs / 60.0;
    let per_min = |v: &[Pass]| median(v.iter().map(|p| p.cpu / minutes).collect());
    let one = per_min(&ours);
    table.row(
        "CPU per minute of episode audio, playback at 1x",
        format!("{:.3} s", one),
        "< 0.5 s",
        format!("{:.2}% of one core", one / 60.0 * 100.0),
        Some(one < 0.5),
    );
    let trim = per_min(&trimmed);
    let overhead = (trim - one) / one * 100.0;
    table.row(
        "  with trim silence on (every frame checked)",
        format!("{trim:.3} s"),
        "< 10% over playback",
        format!("{overhead:+.1}% of playback CPU"),
        Some(overhead < 10.0),
    );
    let two = per_min(&twice);
    table.row(
        "CPU per minute of episode audio, playback at 2x (WSOLA)",
        format!("{:.3} s", two),
        "",
        format!(
            "{:.3} s per minute listened; {:.2}% of one core",
            two * 2.0,
            two * 2.0 / 60.0 * 100.0
        ),
        None,
    );
    let wsola = median(twice.iter().map(|p| xrt(p.wall)).collect());
    table.row(
        "  2x pipeline throughput",
        format!("{wsola:.0}x real time"),
        "",
        format!("{:.2}x ffmpeg decode", wsola / ff_x),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------- 5. opening the device

/// In a child process: opens the default device, then drops it, then opens it again; prints the
/// three times in milliseconds (the last NaN if the second open failed), or `none <why>` when
/// there is no device.
fn child(mode: &str, arg: &str) -> Res<()> {
    if mode == "segment" {
        return segment_child(arg);
    }
    if mode != "open" {
        return Err(format!("unknown child mode {mode:?}").into());
    }
    let t = Instant::now();
    let out = match Output::open_default() {
        Ok(o) => o,
        Err(e) => {
            println!("none {e}");
            return Ok(());
        }
    };
    let open = elapsed_ms(t);
    let t = Instant::now();
    drop(out);
    let close = elapsed_ms(t);
    let t = Instant::now();
    let second = match Output::open_default() {
        Ok(o) => {
            let took = elapsed_ms(t);
            drop(o);
            took
        }
        Err(_) => f64::NAN,
    };
    println!("{open} {close} {second}");
    Ok(())
}

/// In a child process: opens the device, plays the first 0.1 s of `mp3` (as `earmark-cli play
/// --to 0.1` does) and prints milliseconds from `play` until the playback has ended, i.e. until
/// the device has pulled past the segment; after the initial pre-fill that needs the device to
/// be consuming audio.
fn segment_child(mp3: &str) -> Res<()> {
    let mut p = Pipeline::new(MediaDecoder::open(Path::new(mp3))?, 1.0);
    p.set_stop_at(Some(Duration::from_millis(100)));
    let out = Output::open_default()?;
    let t = Instant::now();
    let playback = out.play(p);
    while playback.state() != earmark_player::State::Ended {
        if t.elapsed() > Duration::from_secs(10) {
            return Err("the device never pulled past the first 0.1 s".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("{}", elapsed_ms(t));
    Ok(())
}

/// Runs one child of this binary against the device; returns its stdout.
fn run_child(pulse: Option<&pulse::Pulse>, args: &[&std::ffi::OsStr]) -> Res<String> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg(CHILD_FLAG).args(args);
    if let Some(p) = pulse {
        cmd.env_remove("PULSE_SERVER").env("ALSA_CONFIG_PATH", &p.alsa_conf);
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("child {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn open_bench(mp3: &Path, table: &mut Table) -> Res<()> {
    let server = has("pulseaudio", "--version").then(pulse::start_pulse);
    let device = if server.is_some() {
        "PulseAudio null sink via ALSA"
    } else {
        "default device"
    };
    let (mut open, mut close, mut again, mut process) = (vec![], vec![], vec![], vec![]);
    for _ in 0..OPEN_RUNS {
        let t = Instant::now();
        let text = run_child(server.as_ref(), &["open".as_ref()])?;
        process.push(elapsed_ms(t));
        if let Some(why) = text.strip_prefix("none") {
            table.row(
                "Output::open_default()",
                "-".into(),
                "",
                format!("no audio device: skipped ({})", why.trim()),
                None,
            );
            return Ok(());
        }
        let f: Vec<f64> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if f.len() != 3 {
            return Err(format!("open child printed {text:?}").into());
        }
        open.push(f[0]);
        close.push(f[1]);
        again.push(f[2]);
    }
    table.row(
        &format!("Output::open_default(), first in its process ({device})"),
        ms(median(open.clone())),
        "",
        format!("max {}; {OPEN_RUNS} child processes", ms(max(&open))),
        None,
    );
    table.row("  dropping the Output", ms(median(close)), "", String::new(), None);
    table.row(
        "  second open_default() in the same process",
        ms(median(again)),
        "",
        String::new(),
        None,
    );
    table.row(
        "  whole child process (start, open, close, open, close, exit)",
        ms(median(process)),
        "",
        String::new(),
        None,
    );

    // Where `earmark-cli play`'s fixed cost goes: not into opening the device (above) but into
    // waiting for the device to start consuming. PulseAudio's null sink renders in 2-second
    // blocks while no client asks for less latency (BLOCK_USEC in module-null-sink.c), so a new
    // stream's pre-fill sits until the sink's current block ends: a stall of 0-2 s.
    let Some(server) = server else { return Ok(()) };
    let segment = |table: &mut Table, label: &str| -> Res<()> {
        let runs = (0..OPEN_RUNS)
            .map(|_| {
                let text = run_child(Some(&server), &["segment".as_ref(), mp3.as_os_str()])?;
                text.parse::<f64>()
                    .map_err(|_| format!("segment child printed {text:?}").into())
            })
            .collect::<Res<Vec<f64>>>()?;
        let min = runs.iter().copied().fold(f64::NAN, f64::min);
        table.row(
            &format!("play 0.1 s segment on the device until it ended: {label}"),
            ms(median(runs.clone())),
            "",
            format!("min {}, max {}; {OPEN_RUNS} child processes", ms(min), ms(max(&runs))),
            None,
        );
        Ok(())
    };
    segment(table, "idle null sink")?;
    if !has("pacat", "--version") {
        return Ok(());
    }
    // The pulse helper puts the server's socket next to the ALSA configuration it writes.
    let socket = server.alsa_conf.with_file_name("native");
    let mut keeper = Command::new("pacat")
        .args(["--latency-msec=20", "--raw", "/dev/zero"])
        .env("PULSE_SERVER", format!("unix:{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Wait out the block the sink was in when the keeper joined.
    std::thread::sleep(Duration::from_millis(2100));
    let result = segment(table, "null sink kept at 20 ms by a pacat client");
    let _ = keeper.kill();
    let _ = keeper.wait();
    result
}
