//! The one rule for `file:` URLs that come from a feed: honoured only when the feed is itself a
//! local file the listener chose. The feed parser drops them from remote feeds as it reads; these
//! checks repeat the rule where stored URLs are used, for libraries written before the parser
//! checked and for libraries imported from elsewhere.

use crate::model::{EpisodeDetail, Podcast20};

/// Whether the feed at `feed_url` may name files on this computer.
pub fn feed_may_name_files(feed_url: &str) -> bool {
    is_file_url(feed_url)
}

/// Whether `url` names a local file.
pub fn is_file_url(url: &str) -> bool {
    url.trim_start()
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
}

fn keep(url: &Option<String>) -> bool {
    url.as_deref().is_none_or(|u| !is_file_url(u))
}

/// Removes every local path from an episode of a remote feed.
pub(crate) fn drop_from_episode(detail: &mut EpisodeDetail) {
    if !keep(&detail.episode.enclosure_url) {
        detail.episode.enclosure_url = None;
    }
    if !keep(&detail.image_url) {
        detail.image_url = None;
    }
    drop_from_podcast20(&mut detail.podcast20);
}

/// Removes every local path from Podcasting 2.0 data of a remote feed.
pub(crate) fn drop_from_podcast20(p: &mut Podcast20) {
    if p.chapters.as_ref().is_some_and(|c| is_file_url(&c.url)) {
        p.chapters = None;
    }
    p.transcripts.retain(|t| !is_file_url(&t.url));
    p.funding.retain(|f| !is_file_url(&f.url));
    for person in &mut p.persons {
        if !keep(&person.href) {
            person.href = None;
        }
        if !keep(&person.img) {
            person.img = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_recognised_in_any_case() {
        assert!(is_file_url("file:///etc/passwd"));
        assert!(is_file_url(" FILE:///x"));
        assert!(!is_file_url("https://a.example/file:x"));
        assert!(!is_file_url("fil"));
        assert!(feed_may_name_files("file:///home/me/feed.xml"));
        assert!(!feed_may_name_files("https://a.example/feed.xml"));
    }
}
