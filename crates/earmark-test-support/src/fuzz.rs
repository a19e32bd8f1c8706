//! A mutation fuzzer that runs on stable Rust inside `cargo test` (cargo-fuzz needs a nightly
//! toolchain, which this project's machines do not have). No coverage feedback: it mutates seed
//! inputs (bit flips, interesting bytes, splices between seeds, tokens from a dictionary, and
//! repeats of a chunk, which is how nesting and size bombs are made) and runs the target on each,
//! for a time budget.
//!
//! What counts as a failure: a panic, or one input taking longer than the slow limit. A stack
//! overflow aborts the whole process, which fails the test too; the input being run is written to
//! `CARGO_TARGET_TMPDIR/fuzz/<target>.current` before each run so it survives the abort. A failing
//! input is saved under `CARGO_TARGET_TMPDIR/fuzz/crashes/`; once fixed, copy it into
//! `tests/fixtures/fuzz/<target>/`, where every file is run again on each run.
//!
//! Callers pass their `CARGO_TARGET_TMPDIR` (known only when an integration test is compiled) as
//! the work directory.
//!
//! Settings (environment): `EARMARK_FUZZ_SECS` (budget per target, default 2 s: the test
//! command's short run), `EARMARK_FUZZ_SEED` (default: fixed per target, so a run repeats),
//! `EARMARK_FUZZ_SLOW_SECS` (per-input limit, default 10 s in a debug build, 2 s optimised;
//! inputs reach a few MB). A longer run:
//! `EARMARK_FUZZ_SECS=600 EARMARK_FUZZ_SEED=$RANDOM cargo test --release -p earmark-core --test fuzz`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::rng::Rng;

const INTERESTING: [u8; 12] = [0, 0xff, 0x7f, 0x80, b'<', b'>', b'&', b'"', b'/', b'\n', b';', 0x1b];

/// One mutation of `input`, using `seeds` for splices and `dict` for tokens.
pub fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[&[u8]]) {
    let at = |rng: &mut Rng, v: &Vec<u8>| rng.below(v.len() + 1);
    match rng.below(9) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        2 if !input.is_empty() => {
            let i = rng.below(input.len());
            let n = rng.below((input.len() - i).min(64)) + 1;
            input.drain(i..i + n);
        }
        3 if !dict.is_empty() => {
            let token = dict[rng.below(dict.len())];
            let i = at(rng, input);
            input.splice(i..i, token.iter().copied());
        }
        4 if !seeds.is_empty() => {
            let other = &seeds[rng.below(seeds.len())];
            if !other.is_empty() {
                let from = rng.below(other.len());
                let n = rng.below((other.len() - from).min(256)) + 1;
                let i = at(rng, input);
                input.splice(i..i, other[from..from + n].iter().copied());
            }
        }
        5 if !input.is_empty() => {
            // A chunk repeated many times: nesting bombs, huge attribute lists, long lines.
            let i = rng.below(input.len());
            let n = rng.below((input.len() - i).min(24)) + 1;
            let chunk = input[i..i + n].to_vec();
            let times = [2, 10, 100, 1_000, 20_000][rng.below(5)];
            let mut bomb = Vec::with_capacity(chunk.len() * times);
            for _ in 0..times {
                bomb.extend_from_slice(&chunk);
            }
            input.splice(i..i, bomb);
        }
        6 if !dict.is_empty() => {
            // A dictionary token nested deeply.
            let token = dict[rng.below(dict.len())];
            let times = [50, 500, 5_000][rng.below(3)];
            let i = at(rng, input);
            let deep: Vec<u8> = token.iter().copied().cycle().take(token.len() * times).collect();
            input.splice(i..i, deep);
        }
        7 if input.len() > 1 => {
            let n = rng.below(input.len());
            input.truncate(n);
        }
        _ => {
            let i = at(rng, input);
            input.insert(i, rng.next_u64() as u8);
        }
    }
    // Keep inputs bounded: bombs are interesting up to a few MB, not beyond.
    input.truncate(4 << 20);
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs `run` on every file of `fixtures/fuzz/<name>/` (the regression corpus), on every seed, then
/// on mutations for the time budget. Panics, with the saved input's path, on the first failure.
pub fn fuzz(name: &str, work: &Path, fixtures: &Path, seeds: &[Vec<u8>], dict: &[&[u8]], run: impl Fn(&[u8])) -> u64 {
    let budget = Duration::from_secs_f64(env_f64("EARMARK_FUZZ_SECS", 2.0));
    let slow = Duration::from_secs_f64(env_f64(
        "EARMARK_FUZZ_SLOW_SECS",
        if cfg!(debug_assertions) { 10.0 } else { 2.0 },
    ));
    let seed = std::env::var("EARMARK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fingerprint(name.as_bytes()));
    let dir = work.join("fuzz");
    let _ = std::fs::create_dir_all(dir.join("crashes"));
    let current = dir.join(format!("{name}.current"));
    let check = |input: &[u8]| {
        let _ = std::fs::write(&current, input);
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(input)));
        let took = started.elapsed();
        let why = match outcome {
            Err(e) => Some(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panic".into()),
            ),
            Ok(()) if took > slow => Some(format!("took {took:?}, over the {slow:?} limit")),
            Ok(()) => None,
        };
        if let Some(why) = why {
            let saved = dir
                .join("crashes")
                .join(format!("{name}-{:016x}.bin", fingerprint(input)));
            let _ = std::fs::write(&saved, input);
            panic!(
                "fuzz target {name} failed ({why}) on a {} byte input saved at {} (seed {seed})",
                input.len(),
                saved.display()
            );
        }
    };
    let mut regressions: Vec<PathBuf> = std::fs::read_dir(fixtures.join(name))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    regressions.sort();
    for path in &regressions {
        if let Ok(bytes) = std::fs::read(path) {
            check(&bytes);
        }
    }
    for s in seeds {
        check(s);
    }
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        let mut input = seeds.get(rng.below(seeds.len())).cloned().unwrap_or_default();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut input, seeds, dict);
        }
        check(&input);
        runs += 1;
    }
    let _ = std::fs::remove_file(&current);
    eprintln!("fuzz {name}: {runs} inputs in {:?} (seed {seed})", started.elapsed());
    runs
}
