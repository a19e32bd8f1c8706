//! RSS 0.9x/2.0 (and RSS 1.0) through the `rss` crate, mapped to Earmark's feed model.

use url::Url;

use super::{
    absolute, dates, duration, episode_type, explicit_flag, identity, non_empty, number, podcast20,
    ParsedFeed, ParsedItem,
};
use crate::error::FeedError;
use crate::html;

/// Parses RSS text (already UTF-8, entity-free).
pub fn parse(text: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    let channel = rss::Channel::read_from(text.as_bytes())
        .map_err(|e| FeedError::Malformed(e.to_string()))?;
    let prefix = podcast20::prefix(channel.namespaces());
    let itunes = channel.itunes_ext();
    let items = channel
        .items()
        .iter()
        .map(|item| map_item(item, base, &prefix))
        .collect();
    Ok(ParsedFeed {
        title: html::title_text(channel.title()),
        link: absolute(base, Some(channel.link())),
        description: non_empty(Some(channel.description()))
            .or_else(|| non_empty(itunes.and_then(|i| i.summary())))
            .unwrap_or_default(),
        author: non_empty(itunes.and_then(|i| i.author()))
            .or_else(|| non_empty(channel.managing_editor())),
        image_url: absolute(base, itunes.and_then(|i| i.image()))
            .or_else(|| absolute(base, channel.image().map(|i| i.url()))),
        language: non_empty(channel.language()),
        explicit: explicit_flag(itunes.and_then(|i| i.explicit())),
        new_feed_url: absolute(base, itunes.and_then(|i| i.new_feed_url())),
        podcast20: podcast20::read(channel.extensions(), &prefix, base),
        items,
    })
}

fn map_item(item: &rss::Item, base: &Url, prefix: &str) -> ParsedItem {
    let itunes = item.itunes_ext();
    let enclosure_url = item.enclosure().and_then(|e| absolute(base, Some(e.url())));
    let link = absolute(base, item.link());
    let raw_title = item
        .title()
        .or_else(|| itunes.and_then(|i| i.subtitle()))
        .unwrap_or("");
    let title = html::title_text(raw_title);
    let date_raw = item.pub_date().map(str::to_owned).or_else(|| {
        item.dublin_core_ext()
            .and_then(|dc| dc.dates().first().cloned())
    });
    let notes_raw = non_empty(item.content())
        .or_else(|| non_empty(item.description()))
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
        enclosure_type: item
            .enclosure()
            .and_then(|e| non_empty(Some(e.mime_type()))),
        enclosure_length: item
            .enclosure()
            .and_then(|e| number(Some(e.length())))
            .filter(|n| *n > 0),
        notes_text: html::to_text(&notes_raw),
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
