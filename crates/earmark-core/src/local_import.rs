//! Audio and video files from this computer as a podcast of their own ("local media"): files or
//! whole folders are imported under a name, titled, dated and pictured from their own tags, and
//! then play, bookmark, clip and link like any episode. The podcast is an ordinary subscription
//! to a feed Earmark writes in the library folder (`local/NAME/feed.xml`) whose enclosures are
//! `file:` URLs, so everything that works on a feed works here, and `local_files` lets exactly
//! such a feed name files. Files are copied into that folder or referenced where they are; a
//! referenced file that is moved or deleted is reported when it is played
//! (`Error::LocalFileMissing`) and listed by [`Library::missing_local_files`].

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{EpisodeId, PodcastId};

/// The extensions imported, with the MIME type the feed gives them. Opus is left out: the
/// player cannot decode it.
const KINDS: [(&str, &str); 11] = [
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("m4b", "audio/mp4"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("flac", "audio/flac"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
];

/// How deep a folder is walked: deep enough for any music or recordings tree, and a stop for a
/// link loop.
const MAX_DEPTH: usize = 12;

/// Whether the files stay where they are or are copied into the library folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Keep {
    /// Copied into `local/NAME/media/`: the library holds them, and moving the originals
    /// changes nothing.
    Copy,
    /// Played from where they are: no space used, but moving them breaks the link (reported).
    Reference,
}

/// What a file's own tags say (read by `earmark_shell::tags` with Symphonia's probe).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalTags {
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Date as tagged (`2021`, `2021-03-04`, RFC 3339).
    pub date: Option<String>,
    /// Comment or description.
    pub comment: Option<String>,
    /// Cover art: MIME type and bytes.
    pub cover: Option<(String, Vec<u8>)>,
    /// Length in seconds.
    pub duration_secs: Option<f64>,
}

/// A file to import with its tags.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// Where it is.
    pub path: PathBuf,
    /// What it says about itself.
    pub tags: LocalTags,
}

/// What an import did, for `earmark-cli import-local --json` and the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LocalReport {
    /// The local podcast.
    pub podcast_id: PodcastId,
    /// Its title.
    pub title: String,
    /// Episodes added.
    pub added: u32,
    /// Files already in it (the same file imported before).
    pub already: u32,
    /// Files not imported, each with the reason.
    pub skipped: Vec<String>,
}

/// One episode of a local podcast as its manifest keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    guid: String,
    title: String,
    author: Option<String>,
    description: Option<String>,
    /// RFC 3339.
    published: Option<String>,
    duration_secs: Option<f64>,
    url: String,
    mime: String,
    length: u64,
}

/// The media files among `paths`: files with a media extension as given, and those found in
/// folders (walked in name order, hidden files and folders left out, links not followed). What
/// cannot be read is listed with the reason.
pub fn media_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        walk(p, 0, &mut found, &mut skipped, true);
    }
    (found, skipped)
}

fn walk(p: &Path, depth: usize, found: &mut Vec<PathBuf>, skipped: &mut Vec<String>, named: bool) {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => return skipped.push(format!("{}: {e}", p.display())),
    };
    let hidden = p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    if hidden && !named {
        return;
    }
    // A link named by the user is followed once; links met inside folders are not.
    let meta = if meta.file_type().is_symlink() && named {
        match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => return skipped.push(format!("{}: {e}", p.display())),
        }
    } else {
        meta
    };
    if meta.is_dir() {
        if depth >= MAX_DEPTH {
            return skipped.push(format!("{}: folders nested too deep", p.display()));
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
            Err(e) => return skipped.push(format!("{}: {e}", p.display())),
        };
        entries.sort();
        for e in entries {
            walk(&e, depth + 1, found, skipped, false);
        }
    } else if meta.is_file() {
        if kind(p).is_some() {
            found.push(p.to_owned());
        } else if named {
            skipped.push(format!("{}: not an audio or video file Earmark plays", p.display()));
        }
    }
}

/// The lowercase extension and MIME type of a media file.
fn kind(p: &Path) -> Option<(&'static str, &'static str)> {
    let ext = p.extension()?.to_str()?.to_ascii_lowercase();
    KINDS.iter().find(|(e, _)| *e == ext).copied()
}

/// A name for paths: ASCII letters and digits, the rest as single dashes, at most 60 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "local".into()
    } else {
        out
    }
}

/// A tagged date: RFC 3339, `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let day = |y: i32, m: u32, d: u32| {
        NaiveDate::from_ymd_opt(y, m, d)?
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
    };
    let parts: Vec<&str> = s.get(..10.min(s.len()))?.split('-').collect();
    let y: i32 = parts.first()?.parse().ok().filter(|y| (1000..=9999).contains(y))?;
    let m: u32 = parts.get(1).and_then(|m| m.parse().ok()).unwrap_or(1);
    let d: u32 = parts.get(2).and_then(|d| d.parse().ok()).unwrap_or(1);
    day(y, m, d)
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Writes `bytes` to `path` whole or not at all (temporary name, fsync, rename).
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_owned(),
        source: e,
    };
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The feed for a local podcast's manifest.
fn feed_xml(title: &str, author: Option<&str>, cover: Option<&str>, items: &[Item]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>\n",
    );
    x.push_str(&format!("<title>{}</title>\n", escape(title)));
    x.push_str("<description>Files imported from this computer.</description>\n");
    if let Some(a) = author {
        x.push_str(&format!("<itunes:author>{}</itunes:author>\n", escape(a)));
    }
    if let Some(c) = cover {
        x.push_str(&format!("<itunes:image href=\"{}\"/>\n", escape(c)));
    }
    for i in items {
        x.push_str("<item>");
        x.push_str(&format!("<title>{}</title>", escape(&i.title)));
        x.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", escape(&i.guid)));
        if let Some(p) = i
            .published
            .as_deref()
            .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
        {
            x.push_str(&format!("<pubDate>{}</pubDate>", p.to_rfc2822()));
        }
        if let Some(a) = &i.author {
            x.push_str(&format!("<itunes:author>{}</itunes:author>", escape(a)));
        }
        if let Some(d) = &i.description {
            x.push_str(&format!("<description>{}</description>", escape(d)));
        }
        if let Some(s) = i.duration_secs {
            x.push_str(&format!("<itunes:duration>{}</itunes:duration>", s.round() as u64));
        }
        x.push_str(&format!(
            "<enclosure url=\"{}\" type=\"{}\" length=\"{}\"/>",
            escape(&i.url),
            i.mime,
            i.length
        ));
        x.push_str("</item>\n");
    }
    x.push_str("</channel></rss>\n");
    x
}

fn file_url(p: &Path) -> Result<String> {
    url::Url::from_file_path(p)
        .map(String::from)
        .map_err(|()| Error::Invalid(format!("{} is not an absolute path", p.display())))
}

impl Library {
    /// The folder a local podcast called `name` lives in.
    pub fn local_folder(&self, name: &str) -> PathBuf {
        self.dir().join("local").join(slug(name))
    }

    /// Imports `files` into the local podcast called `name` (made on first use; later imports
    /// add to it). `modified` gives a file's time when its tags have no date.
    pub fn import_local(
        &mut self,
        name: &str,
        files: Vec<LocalFile>,
        keep: Keep,
        modified: impl Fn(&Path) -> Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<LocalReport> {
        let title = name.trim();
        if title.is_empty() || title.chars().any(char::is_control) || title.chars().count() > 200 {
            return Err(Error::Invalid("a local podcast needs a one-line name".into()));
        }
        let folder = self.local_folder(title);
        let media = folder.join("media");
        let io = |p: &Path| {
            let p = p.to_owned();
            move |e: std::io::Error| Error::Io { path: p, source: e }
        };
        std::fs::create_dir_all(&media).map_err(io(&media))?;
        let manifest = folder.join("items.json");
        let mut items: Vec<Item> = match std::fs::read(&manifest) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Invalid(format!("{}: {e}", manifest.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(&manifest)(e)),
        };
        let (mut added, mut already) = (0u32, 0u32);
        let mut skipped = Vec::new();
        let mut cover_path: Option<PathBuf> = ["cover.jpg", "cover.png"]
            .iter()
            .map(|n| folder.join(n))
            .find(|p| p.is_file());
        let mut author: Option<String> = None;
        for f in files {
            let Some((ext, mime)) = kind(&f.path) else {
                skipped.push(format!(
                    "{}: not an audio or video file Earmark plays",
                    f.path.display()
                ));
                continue;
            };
            let source = match std::fs::canonicalize(&f.path).and_then(|p| std::fs::metadata(&p).map(|m| (p, m))) {
                Ok((p, m)) if m.is_file() => (p, m.len()),
                Ok(_) => {
                    skipped.push(format!("{}: not a regular file", f.path.display()));
                    continue;
                }
                Err(e) => {
                    skipped.push(format!("{}: {e}", f.path.display()));
                    continue;
                }
            };
            let (path, length) = source;
            let guid = format!(
                "local-{:016x}",
                xxhash_rust::xxh3::xxh3_64(format!("{}\n{length}", path.display()).as_bytes())
            );
            if items.iter().any(|i| i.guid == guid) {
                already += 1;
                continue;
            }
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("episode")
                .to_owned();
            let url = match keep {
                Keep::Reference => file_url(&path)?,
                Keep::Copy => {
                    let dest = media.join(format!("{:04}-{}.{ext}", items.len() + 1, slug(&stem)));
                    let tmp = dest.with_extension("partial");
                    let copied = std::fs::copy(&path, &tmp)
                        .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                        .and_then(|()| std::fs::rename(&tmp, &dest));
                    if let Err(e) = copied {
                        let _ = std::fs::remove_file(&tmp);
                        if e.raw_os_error() == Some(28) {
                            return Err(Error::DiskFull { path: dest });
                        }
                        skipped.push(format!("{}: could not copy it: {e}", f.path.display()));
                        continue;
                    }
                    file_url(&dest)?
                }
            };
            let t = f.tags;
            if cover_path.is_none() {
                if let Some((mime, bytes)) = &t.cover {
                    let name = if mime.contains("png") { "cover.png" } else { "cover.jpg" };
                    let p = folder.join(name);
                    write_whole(&p, bytes)?;
                    cover_path = Some(p);
                }
            }
            if author.is_none() {
                author.clone_from(&t.artist);
            }
            items.push(Item {
                guid,
                title: t.title.unwrap_or(stem),
                author: t.artist,
                description: t.comment,
                published: t
                    .date
                    .as_deref()
                    .and_then(parse_date)
                    .or_else(|| modified(&path))
                    .map(|d| d.to_rfc3339()),
                duration_secs: t.duration_secs.filter(|d| d.is_finite() && *d > 0.0),
                url,
                mime: mime.to_owned(),
                length,
            });
            added += 1;
        }
        let json = serde_json::to_vec_pretty(&items).map_err(|e| Error::Invalid(e.to_string()))?;
        write_whole(&manifest, &json)?;
        let cover_url = cover_path.as_deref().map(file_url).transpose()?;
        let feed_path = folder.join("feed.xml");
        write_whole(
            &feed_path,
            feed_xml(title, author.as_deref(), cover_url.as_deref(), &items).as_bytes(),
        )?;
        let feed_url = file_url(&feed_path)?;
        let base = url::Url::parse(&feed_url).map_err(|e| Error::Invalid(e.to_string()))?;
        let bytes = std::fs::read(&feed_path).map_err(io(&feed_path))?;
        let parsed = crate::feed::parse(&bytes, &base)?;
        let (id, created) = self.add_podcast(&feed_url, title, now)?;
        if !created {
            self.set_subscribed(id, true, now)?;
        }
        self.store_feed(id, &parsed, now)?;
        Ok(LocalReport {
            podcast_id: id,
            title: title.to_owned(),
            added,
            already,
            skipped,
        })
    }

    /// The episodes of `podcast` whose own local file is gone (moved or deleted), with where it was.
    pub fn missing_local_files(&self, podcast: PodcastId) -> Result<Vec<(EpisodeId, PathBuf)>> {
        let mut out = Vec::new();
        for e in self.episodes(Some(podcast))? {
            let Some(path) = e
                .enclosure_url
                .as_deref()
                .and_then(crate::download::records::file_url_path)
            else {
                continue;
            };
            if !path.is_file() && self.downloaded_file(e.id)?.is_none() {
                out.push((e.id, path));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dates_are_read_safely() {
        assert_eq!(slug("My Recordings / 2024"), "my-recordings-2024");
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("ünïcode"), "n-code");
        assert_eq!(slug("   "), "local");
        assert_eq!(
            parse_date("2021").map(|d| d.to_rfc3339()).as_deref(),
            Some("2021-01-01T12:00:00+00:00")
        );
        assert_eq!(
            parse_date("2021-03-04").map(|d| d.to_rfc3339()).as_deref(),
            Some("2021-03-04T12:00:00+00:00")
        );
        assert!(parse_date("2021-03-04T10:00:00Z").is_some());
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("20").is_none());
    }
}
