//! Archiving the images of posts and pages, so a document reads offline with its pictures.
//!
//! Only raster images are kept (PNG, JPEG, GIF, WebP, recognised by their first bytes, never by
//! a header or a name from the network: an SVG can carry script). Each goes to the library's
//! `doc-images/` folder under a name made from the hash of its URL, written to a temporary file
//! and renamed. The stored HTML keeps the original addresses; [`Library::document_offline_html`]
//! points archived ones at the local copies (`docimg://localhost/<name>`) when a page is shown.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use super::model::{DocumentId, SourceId};
use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::library::{rfc3339, Library};

/// The URL scheme the app serves archived images under.
pub const SCHEME: &str = "docimg";

/// Images larger than this are not archived (a page's picture, not a download).
pub const MAX_IMAGE_BYTES: usize = 15 * 1024 * 1024;

/// What archiving did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ArchiveReport {
    /// Documents looked at.
    pub documents: u64,
    /// Images fetched and stored now.
    pub fetched: u64,
    /// Images already archived before.
    pub already: u64,
    /// Images that could not be kept, each with its URL and why.
    pub failed: Vec<String>,
    /// Bytes stored now.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The kind of a raster image from its first bytes; `None` for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

/// Whether `name` is one Earmark made (32 hex digits and a known extension): the app serves
/// nothing else from the folder.
pub fn is_archive_name(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && matches!(ext, "png" | "jpg" | "gif" | "webp")
}

/// The web addresses of the images in a document's (sanitised) HTML.
pub fn image_urls(html: &str) -> Vec<String> {
    let doc = crate::html::parse_fragment(html);
    let Ok(sel) = scraper::Selector::parse("img[src]") else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for img in doc.select(&sel) {
        if let Some(src) = img.value().attr("src") {
            if let Ok(u) = Url::parse(src) {
                if matches!(u.scheme(), "http" | "https") {
                    out.insert(u.to_string());
                }
            }
        }
    }
    out.into_iter().collect()
}

fn file_name(url: &str, ext: &str) -> String {
    format!("{:032x}.{ext}", xxhash_rust::xxh3::xxh3_128(url.as_bytes()))
}

impl Library {
    /// The folder archived images live in.
    pub fn doc_images_dir(&self) -> PathBuf {
        self.dir().join("doc-images")
    }

    /// The local copy of an archived image, if there is one.
    pub fn archived_image(&self, url: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT file_name FROM document_images WHERE url = ?1", [url], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// A document's HTML with archived images pointed at their local copies, for reading offline.
    pub fn document_offline_html(&self, id: DocumentId) -> Result<String> {
        let html = self.document(id)?.html;
        let mut out = html.clone();
        for url in image_urls(&html) {
            if let Some(name) = self.archived_image(&url)? {
                let local = format!("{SCHEME}://localhost/{name}");
                // ammonia writes attribute values escaped; match both spellings of the address.
                out = out.replace(
                    &format!("src=\"{}\"", url.replace('&', "&amp;")),
                    &format!("src=\"{local}\""),
                );
                out = out.replace(&format!("src=\"{url}\""), &format!("src=\"{local}\""));
            }
        }
        Ok(out)
    }

    /// Whether a source's images are kept for offline reading.
    pub fn source_archived(&self, id: SourceId) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT archive FROM sources WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// Marks a source as archived (its new documents' images are kept on each refresh).
    pub fn set_source_archive(&mut self, id: SourceId, on: bool) -> Result<()> {
        let n = self
            .conn()
            .execute("UPDATE sources SET archive = ?2 WHERE id = ?1", params![id.0, on])?;
        if n == 0 {
            return Err(Error::NotFound(format!("source {}", id.0)));
        }
        Ok(())
    }
}

/// Fetches and keeps the images of every document of `source` (or of every document), skipping
/// those already kept. One image failing (404, not an image, too large) is reported and the rest
/// go on; only a library or disk error stops the run.
pub fn archive_images(
    lib: &mut Library,
    fetcher: &Fetcher,
    source: Option<SourceId>,
    now: DateTime<Utc>,
) -> Result<ArchiveReport> {
    let docs: Vec<(String, String)> = {
        let mut stmt = lib
            .conn()
            .prepare("SELECT url, html_clean FROM documents WHERE (?1 IS NULL OR source_id = ?1) ORDER BY id")?;
        let rows = stmt.query_map([source.map(|s| s.0)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let dir = lib.doc_images_dir();
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    let mut report = ArchiveReport {
        documents: docs.len() as u64,
        ..ArchiveReport::default()
    };
    let mut seen = BTreeSet::new();
    for (doc_url, html) in docs {
        // The post named its images: a public post never sends Earmark to the user's network.
        let fetcher = fetcher.named_by(&doc_url);
        for url in image_urls(&html) {
            if !seen.insert(url.clone()) {
                continue;
            }
            if lib.archived_image(&url)?.is_some() {
                report.already += 1;
                continue;
            }
            let parsed = match Url::parse(&url) {
                Ok(u) => u,
                Err(e) => {
                    report.failed.push(format!("{url}: {e}"));
                    continue;
                }
            };
            let body = match fetcher.get(&parsed) {
                Ok(f) => f.body,
                Err(e) => {
                    report.failed.push(format!("{url}: {e}"));
                    continue;
                }
            };
            if body.len() > MAX_IMAGE_BYTES {
                report
                    .failed
                    .push(format!("{url}: larger than {} MB", MAX_IMAGE_BYTES / (1024 * 1024)));
                continue;
            }
            let Some(ext) = sniff(&body) else {
                report.failed.push(format!("{url}: not a PNG, JPEG, GIF or WebP image"));
                continue;
            };
            let name = file_name(&url, ext);
            let path = dir.join(&name);
            let tmp = dir.join(format!("{name}.part"));
            let io = |source: std::io::Error| {
                if source.kind() == std::io::ErrorKind::StorageFull {
                    Error::DiskFull { path: path.clone() }
                } else {
                    Error::Io {
                        path: path.clone(),
                        source,
                    }
                }
            };
            let write = (|| {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&body)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            })();
            if let Err(e) = write {
                let _ = std::fs::remove_file(&tmp);
                return Err(io(e));
            }
            lib.conn().execute(
                "INSERT OR REPLACE INTO document_images (url, file_name, bytes, fetched_at) VALUES (?1, ?2, ?3, ?4)",
                params![url, name, body.len() as i64, rfc3339(now)],
            )?;
            report.fetched += 1;
            report.bytes += body.len() as u64;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_images_are_recognised() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(sniff(b"GIF89a...."), Some("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_are_ours_or_refused() {
        let name = file_name("https://example.org/a.png?x=1", "png");
        assert!(is_archive_name(&name), "{name}");
        for bad in [
            "../etc/passwd",
            "0123.png",
            "0123456789abcdef0123456789abcdef.svg",
            "0123456789ABCDEF0123456789abcdef.png",
            "0123456789abcdef0123456789abcdef.png/..",
            "",
        ] {
            assert!(!is_archive_name(bad), "{bad}");
        }
    }

    #[test]
    fn image_addresses_are_found_once_and_only_on_the_web() {
        let html = r#"<p><img src="https://a.example/x.png"><img src="https://a.example/x.png">
            <img src="data:image/png;base64,AAAA"><img src="http://b.example/y.jpg?a=1&amp;b=2"></p>"#;
        assert_eq!(
            image_urls(html),
            vec![
                "http://b.example/y.jpg?a=1&b=2".to_owned(),
                "https://a.example/x.png".to_owned()
            ]
        );
    }
}
