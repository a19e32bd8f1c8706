//! Downloading one media file so that a finished file is never half-written: bytes go to a
//! `.part` file beside the destination; an interrupted download resumes with HTTP `Range` and
//! `If-Range` (so a file that changed on the server restarts instead of splicing two versions);
//! the length is checked; the file is fsync'd and renamed into place. File names are made here,
//! never taken from the network.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, LOCATION, RANGE};
use reqwest::StatusCode;
use url::Url;

use crate::error::{io_at, Error, FetchError, Result};
use crate::fetch::Fetcher;

/// Attempts per download (the first and the retries after drops and 5xx answers).
const ATTEMPTS: u32 = 5;
/// First wait between attempts; doubles each time.
const BACKOFF: Duration = Duration::from_millis(200);
/// Below this many bytes a second over a whole deadline window, a download counts as stalled.
const STALLED_RATE: u64 = 1024;
/// Bytes read and written at a time.
const CHUNK: usize = 256 * 1024;

/// The smallest feed-declared enclosure length taken at its word. Feeds often put placeholders
/// (`0`, `1`, `12345`) or the duration in seconds in `length`; no real episode is this small.
pub const PLAUSIBLE_ENCLOSURE_LENGTH: u64 = 100_000;

/// A transfer with no length from the server that ends below this fraction of the feed's
/// plausible enclosure length is suspected of being cut short (1/2: feeds are often off by a
/// bitrate or a re-encode, rarely by half).
const SUSPECT_FRACTION: u64 = 2;

/// How a download ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// The file is complete at the destination.
    Done {
        /// Its size in bytes.
        bytes: u64,
    },
    /// Stopped on request; the `.part` file is kept for a later resume.
    Cancelled {
        /// Bytes already in the `.part` file.
        bytes: u64,
    },
}

/// The `.part` file for a destination.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_owned();
    p.push(".part");
    PathBuf::from(p)
}

/// What one request ended with.
enum Step {
    /// Start over at once (the server's file changed, or a 416 for a stale part).
    Restart,
    /// The body ended; `announced` says whether the server gave the full length.
    Ended { bytes: u64, announced: bool },
    /// Stopped on request.
    Cancelled { bytes: u64 },
}

/// Whether a transfer that ended at `bytes` with no length from the server looks cut short
/// against the feed's `expected` length. Implausible feed lengths are ignored.
pub fn looks_truncated(bytes: u64, expected: Option<u64>) -> bool {
    expected.is_some_and(|e| e >= PLAUSIBLE_ENCLOSURE_LENGTH && bytes < e / SUSPECT_FRACTION)
}

fn meta_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_owned();
    p.push(".part.meta");
    PathBuf::from(p)
}

impl Fetcher {
    /// Downloads `url` to `dest`, resuming a `.part` left by an earlier attempt. `progress` gets
    /// (bytes so far, total when known) after every chunk; `cancel` stops it between chunks.
    pub fn download(
        &self,
        url: &Url,
        dest: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
        cancel: &AtomicBool,
    ) -> Result<Finished> {
        self.download_expecting(url, dest, None, progress, cancel)
    }

    /// [`Fetcher::download`] with the length the feed declared for the enclosure, which guards
    /// against a truncated transfer when the server sends no length of its own.
    ///
    /// The rule: a length from the server (`Content-Length`, or the total of a `Content-Range`)
    /// is authoritative and checked exactly. When the server sends none and the body ends below
    /// half of a plausible feed length (see [`looks_truncated`]), the end is treated like a
    /// dropped connection: the download resumes with `Range`. It is accepted (with a logged
    /// warning) once the server confirms the size: a 416 or 206 naming that total, or the same
    /// size again on the next attempt (a cut connection does not stop twice at the same byte).
    /// When every attempt ends short at different places it fails with
    /// [`Error::Truncated`] and the `.part` is kept for a later resume. A body longer than the
    /// feed says, or a feed length that is implausible (missing, 0, 1, the duration in seconds),
    /// is accepted as it is.
    pub fn download_expecting(
        &self,
        url: &Url,
        dest: &Path,
        expected: Option<u64>,
        progress: &mut dyn FnMut(u64, Option<u64>),
        cancel: &AtomicBool,
    ) -> Result<Finished> {
        let part = part_path(dest);
        let meta = meta_path(dest);
        let mut last_error: Option<Error> = None;
        // The size of the last transfer that ended suspiciously short.
        let mut short_end: Option<u64> = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
            }
            match self.download_once(url, &part, &meta, progress, cancel) {
                Ok(Step::Ended { bytes, announced }) => {
                    if !announced && looks_truncated(bytes, expected) {
                        if short_end != Some(bytes) {
                            short_end = Some(bytes);
                            last_error = Some(Error::Truncated {
                                got: bytes,
                                expected: expected.unwrap_or(0),
                            });
                            continue;
                        }
                        tracing::warn!(
                            "{url}: {bytes} bytes where the feed says {} bytes; the server ended at the same \
                             byte twice, so the feed's length is taken to be wrong",
                            expected.unwrap_or(0)
                        );
                    }
                    let file = File::open(&part).map_err(io_at(&part))?;
                    file.sync_all().map_err(io_at(&part))?;
                    std::fs::rename(&part, dest).map_err(io_at(dest))?;
                    if let Some(dir) = dest.parent() {
                        // The rename itself must reach the disk too.
                        if let Ok(d) = File::open(dir) {
                            let _ = d.sync_all();
                        }
                    }
                    let _ = std::fs::remove_file(&meta);
                    return Ok(Finished::Done { bytes });
                }
                Ok(Step::Cancelled { bytes }) => return Ok(Finished::Cancelled { bytes }),
                Ok(Step::Restart) => {
                    last_error = None;
                    continue;
                }
                Err(e) if retryable(&e) => {
                    tracing::debug!("download attempt {} failed: {e}", attempt + 1);
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            FetchError::Other {
                url: url.to_string(),
                detail: "the download did not complete".into(),
            }
            .into()
        }))
    }

    /// One request.
    fn download_once(
        &self,
        url: &Url,
        part: &Path,
        meta: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
        cancel: &AtomicBool,
    ) -> Result<Step> {
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let validator = std::fs::read_to_string(meta).ok().filter(|v| !v.trim().is_empty());
        let resp = self.send_following(url, have, validator.as_deref())?;
        let status = resp.status();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
        };
        let (mut file, mut written, total) = match status {
            StatusCode::PARTIAL_CONTENT if have > 0 => {
                let (start, total) = header(CONTENT_RANGE)
                    .and_then(parse_content_range)
                    .unwrap_or((u64::MAX, None));
                if start != have {
                    // A range we did not ask for: throw the part away and start clean.
                    reset(part, meta)?;
                    return Ok(Step::Restart);
                }
                let file = OpenOptions::new().append(true).open(part).map_err(io_at(part))?;
                (file, have, total)
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                let total = header(CONTENT_RANGE)
                    .and_then(|v| v.rsplit('/').next())
                    .and_then(|n| n.parse::<u64>().ok());
                if have > 0 && total == Some(have) {
                    return Ok(Step::Ended {
                        bytes: have,
                        announced: true,
                    });
                }
                reset(part, meta)?;
                return Ok(Step::Restart);
            }
            s if s.is_success() => {
                // A full answer: either a first download, the server ignoring Range, or the file
                // changed (If-Range did not match). Start the part again.
                let validator = header(ETAG)
                    .filter(|e| !e.starts_with("W/"))
                    .or_else(|| header(LAST_MODIFIED));
                std::fs::write(meta, validator.unwrap_or("")).map_err(io_at(meta))?;
                let file = File::create(part).map_err(io_at(part))?;
                (file, 0, resp.content_length())
            }
            StatusCode::GONE | StatusCode::NOT_FOUND => {
                // Not retried: asking again will not bring the file back.
                return Err(Error::MediaMissing {
                    status: status.as_u16(),
                    url: url.to_string(),
                });
            }
            s => {
                return Err(FetchError::Status {
                    status: s.as_u16(),
                    url: url.to_string(),
                }
                .into())
            }
        };
        let mut resp = resp;
        let mut buf = vec![0u8; CHUNK];
        // Media may be big and lines slow, so no deadline for the whole file; but a window of
        // `deadline` that brings less than STALLED_RATE a second is a server trickling bytes: the
        // download stops (resumable) instead of holding its slot for ever.
        let window = self.config().deadline;
        let mut window_start = std::time::Instant::now();
        let mut window_bytes = 0u64;
        loop {
            if cancel.load(Ordering::Relaxed) {
                file.flush().map_err(io_at(part))?;
                return Ok(Step::Cancelled { bytes: written });
            }
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    file.flush().map_err(io_at(part))?;
                    return Err(FetchError::Other {
                        url: url.to_string(),
                        detail: format!("connection lost: {e}"),
                    }
                    .into());
                }
            };
            file.write_all(&buf[..n]).map_err(io_at(part))?;
            written += n as u64;
            window_bytes += n as u64;
            let in_window = window_start.elapsed();
            if in_window > window {
                if (window_bytes as f64) < STALLED_RATE as f64 * in_window.as_secs_f64() {
                    file.flush().map_err(io_at(part))?;
                    return Err(FetchError::TooSlow {
                        url: url.to_string(),
                        received: window_bytes,
                        after: in_window,
                    }
                    .into());
                }
                window_start = std::time::Instant::now();
                window_bytes = 0;
            }
            if total.is_some_and(|t| written > t) {
                reset(part, meta)?;
                return Err(Error::LengthMismatch {
                    expected: total.unwrap_or(0),
                    got: written,
                });
            }
            progress(written, total);
        }
        file.flush().map_err(io_at(part))?;
        match total {
            Some(t) if written < t => Err(FetchError::Other {
                url: url.to_string(),
                detail: format!("the connection closed after {written} of {t} bytes"),
            }
            .into()),
            _ => Ok(Step::Ended {
                bytes: written,
                announced: total.is_some(),
            }),
        }
    }

    /// GET with a Range from `have`, following redirects by hand (they are common on media hosts).
    fn send_following(&self, url: &Url, have: u64, validator: Option<&str>) -> Result<reqwest::blocking::Response> {
        let (client, public) = self.client_for(url);
        let mut url = url.clone();
        for _ in 0..=self.config().max_redirects {
            self.check_hop(&url, public)?;
            let mut req = client.get(url.clone());
            if have > 0 {
                req = req.header(RANGE, format!("bytes={have}-"));
                if let Some(v) = validator {
                    req = req.header(IF_RANGE, v.trim());
                }
            }
            let resp = req.send().map_err(|e| self.classify(&url, &e))?;
            if resp.status().is_redirection() {
                let next = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l.trim()).ok())
                    .ok_or_else(|| FetchError::Status {
                        status: resp.status().as_u16(),
                        url: url.to_string(),
                    })?;
                url = next;
                continue;
            }
            return Ok(resp);
        }
        Err(FetchError::TooManyRedirects(self.config().max_redirects).into())
    }
}

fn reset(part: &Path, meta: &Path) -> Result<()> {
    for p in [part, meta] {
        match std::fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(p)(e)),
        }
    }
    Ok(())
}

/// Worth another attempt: network trouble and server errors, not a 404 or a full disk.
fn retryable(e: &Error) -> bool {
    match e {
        Error::Fetch(FetchError::Status { status, .. }) => *status >= 500,
        Error::Fetch(FetchError::Connect { .. } | FetchError::Timeout { .. } | FetchError::Other { .. }) => true,
        _ => false,
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL when given).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = rest.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

/// A safe file name for an episode's media: "Podcast - Title [id].ext". Nothing from the network
/// decides a path: no separators, no `..`, no reserved names, a bounded length; the extension
/// comes from the MIME type, else a short alphanumeric one from the URL, else `bin`.
pub fn media_file_name(podcast: &str, title: &str, episode_id: i64, mime: Option<&str>, url: &str) -> String {
    let ext = mime
        .and_then(
            |m| match m.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
                "audio/mpeg" | "audio/mp3" => Some("mp3"),
                "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/aac" => Some("m4a"),
                "video/mp4" => Some("mp4"),
                "video/x-m4v" => Some("m4v"),
                "audio/ogg" | "audio/vorbis" => Some("ogg"),
                "audio/opus" => Some("opus"),
                "audio/flac" | "audio/x-flac" => Some("flac"),
                "audio/wav" | "audio/x-wav" | "audio/wave" => Some("wav"),
                _ => None,
            },
        )
        .map(str::to_owned)
        .or_else(|| {
            let path = Url::parse(url).ok()?.path().to_owned();
            let ext = path.rsplit('/').next()?.rsplit_once('.')?.1.to_ascii_lowercase();
            (!ext.is_empty() && ext.len() <= 5 && ext.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(ext)
        })
        .unwrap_or_else(|| "bin".to_owned());
    let stem = format!("{} - {}", clean(podcast, 60), clean(title, 100));
    format!("{stem} [{episode_id}].{ext}")
}

fn clean(s: &str, max_chars: usize) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | ',' | '(' | ')' | '\'' | '&' | '!') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let collapsed = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed: String = collapsed
        .trim_matches(|c: char| c == '.' || c == ' ' || c == '_')
        .chars()
        .take(max_chars)
        .collect();
    let trimmed = trimmed.trim_end().to_owned();
    let upper = trimmed.to_ascii_uppercase();
    let reserved = matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit());
    if trimmed.is_empty() {
        "untitled".to_owned()
    } else if reserved {
        format!("_{trimmed}")
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        let n = media_file_name(
            "Voice of the Child",
            "../../etc/passwd: a \"bad\" <title>",
            7,
            Some("audio/mpeg"),
            "https://x/y.mp3",
        );
        assert_eq!(n, "Voice of the Child - etc_passwd_ a _bad_ _title [7].mp3");
        assert!(!n.contains('/') && !n.contains('\\'));
        assert_eq!(
            media_file_name("CON", "", 1, None, "https://h/a/b.M4A?x=1"),
            "_CON - untitled [1].m4a"
        );
        assert_eq!(
            media_file_name("Show", "Ep", 2, None, "https://h/a/noext"),
            "Show - Ep [2].bin"
        );
        assert_eq!(
            media_file_name("Show", "Ep", 3, None, "https://h/a/b.exe%2F..%2Fx"),
            "Show - Ep [3].bin"
        );
        let long = "x".repeat(500);
        assert!(media_file_name(&long, &long, 4, Some("video/mp4"), "").chars().count() < 200);
        assert_eq!(clean("aux", 10), "_aux");
        assert_eq!(clean("COM1", 10), "_COM1");
        assert_eq!(clean("...", 10), "untitled");
    }

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
