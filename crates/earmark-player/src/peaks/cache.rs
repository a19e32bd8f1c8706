//! The peaks cache: one small file per media file, trusted only when every check passes.
//!
//! Layout (little-endian): magic `EMKPEAKS`, version u32, reserved u32, source size u64, source
//! mtime seconds i64 and nanoseconds u32, sample rate u32, frames per bucket u32, path length u32,
//! total frames u64, bucket count u64, FNV-1a 64 checksum u64 of everything else in the file, the
//! source's absolute path (UTF-8 or raw bytes), then the buckets as (min i16, max i16) pairs.
//! A file whose magic, version, length, counts, checksum, path, size or mtime disagree is
//! ignored and recomputed; it is replaced atomically (temp file, fsync, rename).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::{Peak, Peaks, PeaksError, BUCKETS_PER_SECOND};

const MAGIC: &[u8; 8] = b"EMKPEAKS";
/// Bump when the layout or the way peaks are computed changes: old files are then recomputed.
const VERSION: u32 = 1;
const HEADER_LEN: usize = 72;
const CHECKSUM_AT: usize = 64;
/// Paths longer than this are not ours.
const MAX_PATH_LEN: usize = 64 * 1024;

/// What identifies one version of a media file: its size and modification time. A file
/// re-downloaded or edited gets new peaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the Unix epoch (negative before it).
    pub mtime_secs: i64,
    /// The sub-second part of the modification time.
    pub mtime_nanos: u32,
}

impl SourceStamp {
    /// Reads the stamp of `path` now.
    pub fn of(path: &Path) -> Result<Self, PeaksError> {
        let io = |source| PeaksError::Source {
            path: path.to_owned(),
            source,
        };
        let meta = fs::metadata(path).map_err(io)?;
        let modified = meta.modified().map_err(io)?;
        let (mtime_secs, mtime_nanos) = match modified.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(before) => {
                let d = before.duration();
                (-(d.as_secs() as i64), d.subsec_nanos())
            }
        };
        Ok(SourceStamp {
            size: meta.len(),
            mtime_secs,
            mtime_nanos,
        })
    }
}

/// The cache file for `source` in `cache_dir`: named by a hash of the source's absolute path.
pub fn cache_path(source: &Path, cache_dir: &Path) -> PathBuf {
    let key = path_bytes(source);
    cache_dir.join(format!("waveform-{:016x}.peaks", fnv1a(FNV_SEED, &key)))
}

/// The cached peaks of `source`, or None when there are none or they cannot be trusted (stale,
/// for another file, damaged, from another version).
pub fn load_cached(source: &Path, stamp: &SourceStamp, cache_dir: &Path) -> Option<Peaks> {
    let path = cache_path(source, cache_dir);
    let bytes = fs::read(&path).ok()?;
    match parse(&bytes, &path_bytes(source), stamp) {
        Ok(peaks) => Some(peaks),
        Err(why) => {
            tracing::debug!(cache = %path.display(), why, "waveform cache not used");
            None
        }
    }
}

/// Writes the cache file for `source` atomically: a reader sees the old file or the new one.
pub fn store_cached(source: &Path, stamp: &SourceStamp, cache_dir: &Path, peaks: &Peaks) -> Result<(), PeaksError> {
    let path = cache_path(source, cache_dir);
    let io = |source| PeaksError::CacheWrite {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(cache_dir).map_err(io)?;
    let bytes = serialize(&path_bytes(source), stamp, peaks);
    let mut tmp = tempfile::Builder::new()
        .prefix(".waveform-")
        .suffix(".tmp")
        .tempfile_in(cache_dir)
        .map_err(io)?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(())
}

/// The absolute path as bytes (relative paths are resolved so one file has one cache entry).
fn path_bytes(source: &Path) -> Vec<u8> {
    let abs = std::path::absolute(source).unwrap_or_else(|_| source.to_owned());
    abs.as_os_str().as_encoded_bytes().to_vec()
}

fn serialize(path: &[u8], stamp: &SourceStamp, peaks: &Peaks) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + path.len() + peaks.buckets.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&stamp.size.to_le_bytes());
    out.extend_from_slice(&stamp.mtime_secs.to_le_bytes());
    out.extend_from_slice(&stamp.mtime_nanos.to_le_bytes());
    out.extend_from_slice(&peaks.sample_rate.to_le_bytes());
    out.extend_from_slice(&peaks.frames_per_bucket.to_le_bytes());
    out.extend_from_slice(&(path.len() as u32).to_le_bytes());
    out.extend_from_slice(&peaks.total_frames.to_le_bytes());
    out.extend_from_slice(&(peaks.buckets.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // checksum, filled in below
    out.extend_from_slice(path);
    for p in &peaks.buckets {
        out.extend_from_slice(&p.min.to_le_bytes());
        out.extend_from_slice(&p.max.to_le_bytes());
    }
    let sum = checksum(&out);
    out[CHECKSUM_AT..CHECKSUM_AT + 8].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Reads and checks a cache file; the error says why it was refused (for the debug log).
fn parse(bytes: &[u8], path: &[u8], stamp: &SourceStamp) -> Result<Peaks, &'static str> {
    if bytes.len() < HEADER_LEN {
        return Err("too short");
    }
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(b)
    };
    if &bytes[..8] != MAGIC {
        return Err("not a peaks file");
    }
    if u32_at(8) != VERSION {
        return Err("another version");
    }
    let path_len = u32_at(44) as usize;
    let count = u64_at(56);
    if path_len > MAX_PATH_LEN || count > (bytes.len() as u64) / 4 {
        return Err("impossible sizes");
    }
    let count = count as usize;
    if bytes.len() != HEADER_LEN + path_len + count * 4 {
        return Err("wrong length");
    }
    if u64_at(CHECKSUM_AT) != checksum(bytes) {
        return Err("checksum mismatch");
    }
    if &bytes[HEADER_LEN..HEADER_LEN + path_len] != path {
        return Err("for another file");
    }
    let found = SourceStamp {
        size: u64_at(16),
        mtime_secs: u64_at(24) as i64,
        mtime_nanos: u32_at(32),
    };
    if found != *stamp {
        return Err("stale: the media file changed");
    }
    let sample_rate = u32_at(36);
    let frames_per_bucket = u32_at(40);
    let total_frames = u64_at(48);
    let expected_fpb = ((sample_rate + BUCKETS_PER_SECOND / 2) / BUCKETS_PER_SECOND).max(1);
    if sample_rate == 0 || frames_per_bucket != expected_fpb {
        return Err("another resolution");
    }
    if total_frames.div_ceil(u64::from(frames_per_bucket)) != count as u64 {
        return Err("bucket count disagrees with the length");
    }
    let buckets = bytes[HEADER_LEN + path_len..]
        .chunks_exact(4)
        .map(|c| Peak {
            min: i16::from_le_bytes([c[0], c[1]]),
            max: i16::from_le_bytes([c[2], c[3]]),
        })
        .collect();
    Ok(Peaks::from_parts(sample_rate, frames_per_bucket, total_frames, buckets))
}

/// FNV-1a over the file with the checksum field read as zeros.
fn checksum(bytes: &[u8]) -> u64 {
    let h = fnv1a(FNV_SEED, &bytes[..CHECKSUM_AT]);
    let h = fnv1a(h, &[0u8; 8]);
    fnv1a(h, &bytes[CHECKSUM_AT + 8..])
}

/// 64-bit FNV-1a: enough to catch a torn or damaged file; not a defence against forgery (the
/// cache lives in the user's own folder).
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The FNV-1a 64-bit offset basis.
const FNV_SEED: u64 = 0xcbf2_9ce4_8422_2325;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Peaks {
        Peaks::from_parts(
            44_100,
            441,
            441 * 3 - 5,
            vec![
                Peak { min: -5, max: 7 },
                Peak { min: -300, max: 32767 },
                Peak::default(),
            ],
        )
    }

    const STAMP: SourceStamp = SourceStamp {
        size: 1234,
        mtime_secs: 1_700_000_000,
        mtime_nanos: 42,
    };

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let bytes = serialize(b"/a/b.mp3", &STAMP, &sample());
        assert_eq!(parse(&bytes, b"/a/b.mp3", &STAMP), Ok(sample()));
        // Any single flipped byte is caught (checksum, magic or length).
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(parse(&bad, b"/a/b.mp3", &STAMP).is_err(), "flip at {i} accepted");
        }
        for cut in [0, 10, HEADER_LEN, bytes.len() - 1] {
            assert!(parse(&bytes[..cut], b"/a/b.mp3", &STAMP).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(parse(&longer, b"/a/b.mp3", &STAMP).is_err());
        assert_eq!(parse(&bytes, b"/a/c.mp3", &STAMP), Err("for another file"));
        let touched = SourceStamp {
            mtime_nanos: 43,
            ..STAMP
        };
        assert_eq!(
            parse(&bytes, b"/a/b.mp3", &touched),
            Err("stale: the media file changed")
        );
    }
}
