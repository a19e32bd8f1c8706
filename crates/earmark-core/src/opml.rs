//! OPML import and export: the list of subscriptions every podcast app can read and write.

use chrono::{DateTime, Utc};
use quick_xml::events::Event;

use crate::error::{Error, Result};
use crate::feed::prolog;
use crate::library::Library;
use crate::model::PodcastId;

/// One subscription named in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// The feed URL (`xmlUrl`).
    pub feed_url: String,
    /// Its title (`title`, else `text`).
    pub title: String,
}

/// Reads the feed outlines of an OPML document, at any depth, in document order.
pub fn parse(bytes: &[u8]) -> Result<Vec<Outline>> {
    prolog::refuse_entities(bytes).map_err(|e| Error::Opml(e.to_string()))?;
    let text = prolog::decode(bytes).map_err(|e| Error::Opml(e.to_string()))?;
    prolog::refuse_entities(text.as_bytes()).map_err(|e| Error::Opml(e.to_string()))?;
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut out = Vec::new();
    let mut saw_opml = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.name();
                if name.as_ref().eq_ignore_ascii_case(b"opml") {
                    saw_opml = true;
                }
                if !name.as_ref().eq_ignore_ascii_case(b"outline") {
                    continue;
                }
                let mut url = None;
                let mut title = None;
                let mut text_attr = None;
                for attr in e.attributes().flatten() {
                    let value = attr
                        .decoded_and_normalized_value(quick_xml::XmlVersion::default(), reader.decoder())
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default();
                    match attr.key.as_ref() {
                        k if k.eq_ignore_ascii_case(b"xmlUrl") => url = Some(value),
                        b"title" => title = Some(value),
                        b"text" => text_attr = Some(value),
                        _ => {}
                    }
                }
                if let Some(url) = url.filter(|u| !u.is_empty()) {
                    let title = title.filter(|t| !t.is_empty()).or(text_attr).unwrap_or_default();
                    out.push(Outline { feed_url: url, title });
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(Error::Opml(format!(
                    "not valid XML at byte {}: {e}",
                    reader.buffer_position()
                )))
            }
        }
    }
    if !saw_opml {
        return Err(Error::Opml("not an OPML document (no <opml> element)".into()));
    }
    Ok(out)
}

/// What an OPML import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The podcasts added, in the file's order (feeds already subscribed are not repeated).
    pub added: Vec<PodcastId>,
    /// Feeds left out because they name a file on this computer: an OPML file may come from
    /// anyone, and a local feed's own `file:` addresses are read from disk, so local feeds are
    /// subscribed only by choosing them (`earmark-cli subscribe PATH`, `import-local`).
    pub skipped_local: Vec<String>,
}

/// Adds every outline's web feed to the library (without fetching). Refresh afterwards to fetch
/// them.
pub fn import(lib: &mut Library, outlines: &[Outline], now: DateTime<Utc>) -> Result<Imported> {
    let mut done = Imported::default();
    for o in outlines {
        let url = url::Url::parse(&o.feed_url).map_err(|_| Error::Opml(format!("bad feed URL {:?}", o.feed_url)))?;
        match url.scheme() {
            "http" | "https" => {}
            "file" => {
                done.skipped_local.push(o.feed_url.clone());
                continue;
            }
            _ => return Err(Error::Opml(format!("unsupported feed URL {:?}", o.feed_url))),
        }
        let (id, created) = lib.add_podcast(url.as_str(), &o.title, now)?;
        if created {
            done.added.push(id);
        }
    }
    Ok(done)
}

/// Writes the library's subscriptions as OPML 2.0.
pub fn export(lib: &Library, now: DateTime<Utc>) -> Result<String> {
    use quick_xml::escape::escape;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    s.push_str("    <title>Earmark subscriptions</title>\n");
    s.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        now.to_rfc2822()
    ));
    for p in lib.podcasts()? {
        s.push_str(&format!(
            "    <outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{u}\"",
            t = escape(p.title.as_str()),
            u = escape(p.feed_url.as_str())
        ));
        if let Some(link) = &p.link {
            s.push_str(&format!(" htmlUrl=\"{}\"", escape(link.as_str())));
        }
        s.push_str("/>\n");
    }
    s.push_str("  </body>\n</opml>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opml_file_cannot_subscribe_to_files_on_this_computer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("library");
        let outlines = parse(
            br#"<opml version="2.0"><body><outline text="Web" xmlUrl="https://a.example/feed"/>
            <outline text="Passwords" xmlUrl="file:///etc/passwd"/></body></opml>"#,
        )
        .expect("parses");
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let done = import(&mut lib, &outlines, at).expect("import");
        assert_eq!(done.added.len(), 1);
        assert_eq!(done.skipped_local, vec!["file:///etc/passwd".to_owned()]);
        let feeds: Vec<String> = lib
            .podcasts()
            .expect("podcasts")
            .into_iter()
            .map(|p| p.feed_url)
            .collect();
        assert_eq!(feeds, vec!["https://a.example/feed".to_owned()]);
    }

    #[test]
    fn nested_outlines_are_found() {
        let doc = br#"<?xml version="1.0"?><opml version="1.0"><body><outline text="Group">
            <outline text="A &amp; B" xmlUrl="https://a.example/feed"/><outline title="C" xmlURL="http://c.example/rss"/>
            </outline><outline text="no url"/></body></opml>"#;
        let got = parse(doc).expect("parses");
        assert_eq!(
            got,
            vec![
                Outline {
                    feed_url: "https://a.example/feed".into(),
                    title: "A & B".into()
                },
                Outline {
                    feed_url: "http://c.example/rss".into(),
                    title: "C".into()
                },
            ]
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse(b"<html><body>hi</body></html>").is_err());
        assert!(parse(b"<opml><body><outline").is_err());
    }
}
