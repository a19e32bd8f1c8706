//! RSS 0.9x/2.0 (and RSS 1.0) through the `rss` crate, mapped to Earmark's feed model.

use std::io::Read;

use quick_xml::events::Event;
use rss::extension::itunes::{ITunesChannelExtension, ITunesItemExtension};
use rss::extension::ExtensionMap;
use url::Url;

use super::{
    absolute, dates, duration, episode_type, explicit_flag, identity, non_empty, number, podcast20, ParsedFeed,
    ParsedItem,
};
use crate::error::FeedError;
use crate::html;

/// Feeds at least this big are parsed in pieces, one thread per core (up to [`MAX_PIECES`]).
const PIECES_MIN_BYTES: usize = 1 << 20;
/// The most threads one feed is parsed on.
const MAX_PIECES: usize = 8;

/// Parses RSS text (already UTF-8, entity-free).
pub fn parse(text: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    if text.len() >= PIECES_MIN_BYTES {
        let threads = crate::worker_threads(MAX_PIECES);
        if let Some(feed) = parse_in_pieces(text, base, threads) {
            return Ok(feed);
        }
    }
    parse_whole(text, base)
}

/// The whole document in one read.
fn parse_whole(text: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    let whole = read_channel(text.as_bytes(), base, Some(text)).map_err(|e| FeedError::Malformed(e.to_string()))?;
    Ok(feed_of(&whole.channel, &whole.prefix, base, whole.items))
}

/// A big feed parsed on several threads, each reading a run of whole items (see
/// [`split`](super::split)). `None` whenever the result might differ from reading the document
/// whole: a piece that fails to parse, channel elements between or after items, an item with
/// several enclosures. The caller then reads it whole, which also gives the usual error.
fn parse_in_pieces(text: &str, base: &Url, threads: usize) -> Option<ParsedFeed> {
    let cuts = super::split::cuts(text, threads)?;
    let pieces = super::split::pieces(text, &cuts);
    let read: Vec<Option<(Piece, usize)>> = std::thread::scope(|s| {
        let later: Vec<_> = pieces[1..]
            .iter()
            .map(|parts| s.spawn(move || read_piece(parts, base)))
            .collect();
        let first = read_piece(&pieces[0], base);
        std::iter::once(first)
            .chain(later.into_iter().map(|h| h.join().ok().flatten()))
            .collect()
    });
    let mut read = read.into_iter();
    let (first, first_tags) = read.next()??;
    let mut items = first.items;
    let mut with_enclosure = first.with_enclosure;
    let mut tags = first_tags;
    for piece in read {
        let (mut piece, piece_tags) = piece?;
        piece.channel.namespaces.clear();
        if piece.channel != rss::Channel::default() {
            return None;
        }
        with_enclosure += piece.with_enclosure;
        tags += piece_tags;
        items.append(&mut piece.items);
    }
    // The rss crate keeps only one enclosure per item; picking among several needs the whole
    // document (see `enclosure_lists`).
    if tags > with_enclosure {
        return None;
    }
    Some(feed_of(&first.channel, &first.prefix, base, items))
}

/// One read of a channel, whole document or piece: the channel's own elements (items taken
/// out), its items mapped, how many of them had an enclosure, and its Podcasting 2.0 prefix.
struct Piece {
    channel: rss::Channel,
    items: Vec<ParsedItem>,
    with_enclosure: usize,
    prefix: String,
}

/// Reads one piece; beside it, how many `<enclosure` tags its own run of the document has (counted
/// here, on the piece's thread, rather than over the whole document afterwards).
fn read_piece(parts: &[&str; 4], base: &Url) -> Option<(Piece, usize)> {
    let tags = enclosure_tags(parts[2]);
    let reader = parts[0]
        .as_bytes()
        .chain(parts[1].as_bytes())
        .chain(parts[2].as_bytes())
        .chain(parts[3].as_bytes());
    read_channel(reader, base, None).ok().map(|piece| (piece, tags))
}

/// Reads a channel and maps its items. `whole` is the whole document when that is what is read:
/// only then can an item with several enclosures be given the best of them.
fn read_channel(reader: impl std::io::BufRead, base: &Url, whole: Option<&str>) -> Result<Piece, rss::Error> {
    let mut channel = rss::Channel::read_from(reader)?;
    // Items are taken out of the channel and their notes moved, not copied: each item's
    // remains are freed as it is mapped, so the feed's notes are held once.
    let rss_items = std::mem::take(&mut channel.items);
    let with_enclosure = rss_items.iter().filter(|i| i.enclosure().is_some()).count();
    let prefix = podcast20::prefix(channel.namespaces());
    let media = media_prefix(channel.namespaces());
    let lists = whole.and_then(|text| enclosure_lists(text, &rss_items, with_enclosure, base));
    let items = rss_items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let listed = lists.as_ref().and_then(|l| l.get(i)).map(Vec::as_slice);
            map_item(item, base, &prefix, &media, listed)
        })
        .collect();
    Ok(Piece {
        channel,
        items,
        with_enclosure,
        prefix,
    })
}

/// How many `<enclosure` tags a run of the document has (the rss crate keeps one per item).
fn enclosure_tags(text: &str) -> usize {
    memchr::memmem::find_iter(text.as_bytes(), b"<enclosure").count()
}

/// The feed's own fields from its channel, around its mapped items.
fn feed_of(channel: &rss::Channel, prefix: &str, base: &Url, items: Vec<ParsedItem>) -> ParsedFeed {
    // `itunes:` elements in a feed that forgot to declare the namespace land in the plain
    // extension map under their prefix; read them from there.
    let undeclared = channel.itunes_ext().is_none().then(|| {
        channel
            .extensions()
            .get("itunes")
            .map(|m| ITunesChannelExtension::from_map(m.clone()))
    });
    let itunes = channel.itunes_ext().or(undeclared.as_ref().and_then(Option::as_ref));
    ParsedFeed {
        title: html::title_text(channel.title()),
        link: absolute(base, Some(channel.link())),
        description: non_empty(Some(channel.description()))
            .or_else(|| non_empty(itunes.and_then(|i| i.summary())))
            .unwrap_or_default(),
        author: non_empty(itunes.and_then(|i| i.author())).or_else(|| non_empty(channel.managing_editor())),
        image_url: absolute(base, itunes.and_then(|i| i.image()))
            .or_else(|| absolute(base, channel.image().map(|i| i.url()))),
        language: non_empty(channel.language()),
        explicit: explicit_flag(itunes.and_then(|i| i.explicit())),
        new_feed_url: absolute(base, itunes.and_then(|i| i.new_feed_url())),
        podcast20: podcast20::read(channel.extensions(), prefix, base),
        items,
        duplicates_dropped: 0,
    }
}

/// One enclosure candidate: URL (absolute), MIME type, claimed length.
type Media = (String, Option<String>, Option<i64>);

fn map_item(mut item: rss::Item, base: &Url, prefix: &str, media: &str, listed: Option<&[Media]>) -> ParsedItem {
    let content = take_non_empty(&mut item.content);
    let description = take_non_empty(&mut item.description);
    let undeclared = item.itunes_ext().is_none().then(|| {
        item.extensions()
            .get("itunes")
            .map(|m| ITunesItemExtension::from_map(m.clone()))
    });
    let itunes = item.itunes_ext().or(undeclared.as_ref().and_then(Option::as_ref));
    // Every `<enclosure>` when the item has several (the rss crate keeps only the last), else the
    // one the rss crate read, else Media RSS `media:content`.
    let (enclosure_url, enclosure_type, enclosure_length) = listed
        .filter(|l| l.len() > 1)
        .and_then(choose)
        .or_else(|| {
            item.enclosure().and_then(|e| {
                Some((
                    absolute(base, Some(e.url()))?,
                    non_empty(Some(e.mime_type())),
                    number(Some(e.length())).filter(|n| *n > 0),
                ))
            })
        })
        .or_else(|| choose(&media_content(item.extensions(), media, base)))
        .map_or((None, None, None), |(u, t, l)| (Some(u), t, l));
    let link = absolute(base, item.link());
    let raw_title = item.title().or_else(|| itunes.and_then(|i| i.subtitle())).unwrap_or("");
    let title = html::title_text(raw_title);
    let date_raw = item
        .pub_date()
        .map(str::to_owned)
        .or_else(|| item.dublin_core_ext().and_then(|dc| dc.dates().first().cloned()));
    let notes_raw = content
        .or(description)
        .or_else(|| non_empty(itunes.and_then(|i| i.summary())))
        .unwrap_or_default();
    let guid = identity(
        item.guid().map(|g| g.value()),
        enclosure_url.as_deref(),
        link.as_deref(),
        &title,
        date_raw.as_deref(),
    );
    ParsedItem {
        guid,
        title,
        link,
        published: date_raw.as_deref().and_then(dates::parse),
        duration_secs: itunes.and_then(|i| i.duration()).and_then(duration::parse),
        enclosure_url,
        enclosure_type,
        enclosure_length,
        notes_raw,
        image_url: absolute(base, itunes.and_then(|i| i.image())),
        author: non_empty(itunes.and_then(|i| i.author())).or_else(|| non_empty(item.author())),
        episode_number: number(itunes.and_then(|i| i.episode())),
        season: number(itunes.and_then(|i| i.season())),
        episode_type: episode_type(itunes.and_then(|i| i.episode_type())),
        explicit: explicit_flag(itunes.and_then(|i| i.explicit())),
        podcast20: podcast20::read(item.extensions(), prefix, base),
    }
}

/// Moves a string out of the item, trimmed, when it has anything but whitespace (no copy unless
/// there was whitespace to trim).
fn take_non_empty(field: &mut Option<String>) -> Option<String> {
    let s = field.take()?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == s.len() {
        Some(s)
    } else {
        Some(trimmed.to_owned())
    }
}

/// The Media RSS namespace.
const MEDIA_RSS: &str = "http://search.yahoo.com/mrss/";

/// Which prefix the document bound Media RSS to (usually `media`).
fn media_prefix(namespaces: &std::collections::BTreeMap<String, String>) -> String {
    namespaces
        .iter()
        .find(|(_, uri)| uri.trim_end_matches('/') == MEDIA_RSS.trim_end_matches('/'))
        .map_or_else(|| "media".to_owned(), |(p, _)| p.clone())
}

/// `media:content` elements, direct or inside `media:group`, in that order.
fn media_content(ext: &ExtensionMap, prefix: &str, base: &Url) -> Vec<Media> {
    let Some(map) = ext.get(prefix) else {
        return Vec::new();
    };
    let direct = map.get("content").into_iter().flatten();
    let grouped = map
        .get("group")
        .into_iter()
        .flatten()
        .flat_map(|g| g.children().get("content").into_iter().flatten());
    direct
        .chain(grouped)
        .filter_map(|e| {
            let attr = |k: &str| e.attrs().get(k).map(String::as_str);
            Some((
                absolute(base, attr("url"))?,
                non_empty(attr("type")),
                number(attr("fileSize")).filter(|n| *n > 0),
            ))
        })
        .collect()
}

/// The episode's medium among several: the first audio or video, else the first.
fn choose(candidates: &[Media]) -> Option<Media> {
    let is_media = |t: &Option<String>| {
        t.as_deref().is_some_and(|t| {
            let t = t.trim().to_ascii_lowercase();
            t.starts_with("audio/") || t.starts_with("video/")
        })
    };
    candidates
        .iter()
        .find(|c| is_media(&c.1))
        .or_else(|| candidates.first())
        .cloned()
}

/// Every item's `<enclosure>`s in document order, for feeds where some item has more than one (the
/// rss crate keeps only the last). `None` when no item has several, or when this scan does not
/// see the same items as the rss crate (then its choice stands).
fn enclosure_lists(text: &str, items: &[rss::Item], with_enclosure: usize, base: &Url) -> Option<Vec<Vec<Media>>> {
    if enclosure_tags(text) <= with_enclosure {
        return None;
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Root,
        Channel,
        Item,
        Other,
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Kind> = Vec::new();
    let mut lists: Vec<Vec<Media>> = Vec::new();
    loop {
        let (e, empty) = match reader.read_event().ok()? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let parent = stack.last().copied();
        let name = e.name();
        let kind = match (parent, name.as_ref()) {
            (None, _) => Kind::Root,
            (Some(Kind::Root), b"channel") => Kind::Channel,
            (Some(Kind::Root | Kind::Channel), b"item") => {
                lists.push(Vec::new());
                Kind::Item
            }
            (Some(Kind::Item), b"enclosure") => {
                let mut m: (Option<String>, Option<String>, Option<i64>) = (None, None, None);
                for attr in e.attributes().flatten() {
                    let value = attr
                        .decoded_and_normalized_value(quick_xml::XmlVersion::default(), reader.decoder())
                        .ok()?;
                    match attr.key.as_ref() {
                        b"url" => m.0 = absolute(base, Some(&value)),
                        b"type" => m.1 = non_empty(Some(&value)),
                        b"length" => m.2 = number(Some(&value)).filter(|n| *n > 0),
                        _ => {}
                    }
                }
                if let (Some(url), Some(list)) = (m.0, lists.last_mut()) {
                    list.push((url, m.1, m.2));
                }
                Kind::Other
            }
            _ => Kind::Other,
        };
        if !empty {
            stack.push(kind);
        }
    }
    (lists.len() == items.len()).then_some(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every feed of the conformance corpus, and a generated one with every kind of item field,
    /// read in 2, 3 and 4 pieces: either the pieces are refused or they give exactly what reading
    /// the document whole gives.
    #[test]
    fn a_feed_read_in_pieces_equals_the_feed_read_whole() {
        let base = Url::parse("http://example.com/feed.xml").expect("url");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/podcastparser");
        let mut texts: Vec<(String, String)> = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("corpus") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rss") {
                let bytes = std::fs::read(&path).expect("read");
                if let Ok(text) = crate::feed::prolog::decode(&bytes) {
                    texts.push((path.display().to_string(), text.into_owned()));
                }
            }
        }
        let mut generated = String::from(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" \
             xmlns:podcast=\"https://podcastindex.org/namespace/1.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
             <channel><title>Show &amp; tell</title><link>/home</link><itunes:author>A</itunes:author>",
        );
        for i in 0..30 {
            generated.push_str(&format!(
                "<item><title>Ep {i} <b>bold</b></title><guid>g{i}</guid><link>ep/{i}</link>\
                 <pubDate>Mon, 0{} Jan 2024 10:00:00 GMT</pubDate><itunes:duration>{i}:05</itunes:duration>\
                 <enclosure url=\"m/{i}.mp3\" length=\"{i}00\" type=\"audio/mpeg\"/>\
                 <content:encoded><![CDATA[<p>notes <item> {i}</p>]]></content:encoded>\
                 <podcast:transcript url=\"t/{i}.vtt\" type=\"text/vtt\"/><itunes:episode>{i}</itunes:episode></item>\n",
                i % 9 + 1
            ));
        }
        generated.push_str("</channel></rss>");
        texts.push(("generated".into(), generated.clone()));
        let mut cut = 0;
        for (name, text) in &texts {
            let whole = parse_whole(text, &base);
            for threads in 2..=4 {
                if let Some(pieces) = parse_in_pieces(text, &base, threads) {
                    cut += 1;
                    assert_eq!(whole.as_ref().ok(), Some(&pieces), "{name} in {threads} pieces");
                }
            }
        }
        assert!(
            parse_in_pieces(&generated, &base, 3).is_some(),
            "the generated feed is cut"
        );
        assert!(cut > 20, "only {cut} of the corpus's feeds were cut");
        // Channel elements after the items: read whole.
        let late = generated.replace("</channel>", "<itunes:image href=\"late.jpg\"/></channel>");
        assert_eq!(parse_in_pieces(&late, &base, 2), None);
        // A broken piece: read whole, which reports the error.
        let broken = generated.replace("<title>Ep 25 ", "<title>Ep 25 <i>");
        assert_eq!(parse_in_pieces(&broken, &base, 2), None);
        assert!(parse(&broken, &base).is_err());
        // Several enclosures in an item: read whole, which chooses among them.
        let several = generated.replace(
            "<itunes:episode>28<",
            "<enclosure url=\"v/28.mp4\" type=\"video/mp4\"/><itunes:episode>28<",
        );
        assert_eq!(parse_in_pieces(&several, &base, 2), None);
    }

    fn one(xml: &str) -> ParsedItem {
        let base = Url::parse("http://example.com/feed.xml").expect("url");
        let mut feed = parse(xml, &base).expect("parses");
        feed.items.remove(0)
    }

    #[test]
    fn first_audio_enclosure_wins_over_later_image() {
        let item = one(r#"<rss><channel><item><title>E</title>
            <enclosure url="a.mp3" type="audio/mpeg" length="10"/>
            <enclosure url="b.ogg" type="audio/ogg"/>
            <enclosure url="cover.jpg" type="image/jpeg"/>
            </item><item><title>F</title><enclosure url="f.mp3"/></item></channel></rss>"#);
        assert_eq!(item.enclosure_url.as_deref(), Some("http://example.com/a.mp3"));
        assert_eq!(item.enclosure_length, Some(10));
    }

    #[test]
    fn undeclared_itunes_prefix_and_media_content() {
        let item = one(
            r#"<rss xmlns:media="http://search.yahoo.com/mrss/"><channel><item><title>E</title>
            <itunes:duration>00:20:00</itunes:duration>
            <media:content url="e.mp3" type="audio/mpeg" fileSize="5"/>
            </item></channel></rss>"#,
        );
        assert_eq!(item.duration_secs, Some(1200.0));
        assert_eq!(item.enclosure_url.as_deref(), Some("http://example.com/e.mp3"));
        assert_eq!(item.enclosure_length, Some(5));
    }
}
