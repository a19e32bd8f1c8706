//! Podcast hosts' own addresses for one episode. A blog post about an episode rarely links the
//! feed's MP3: it embeds the host's player (Anchor, Spotify, Libsyn, Buzzsprout, Podbean), links
//! the episode on Apple Podcasts, or embeds the YouTube video of a video episode. Those addresses
//! carry an id of the episode that the feed's own addresses often carry too (Anchor's `-e1abc2d`
//! in the item link, YouTube's video id in the notes), so both sides reduce to one key.
//!
//! Everything here works on URLs already in [`super::urls::normalize`]'s form: no scheme, no
//! `www.`, parameters sorted.

/// The prefix that keeps episode keys apart from URLs in the linker's URL index.
pub const KEY_PREFIX: &str = "key:";

/// The key naming one episode on a podcast host, when `url` (normalised) is an address of one
/// episode there: `key:anchor:e1abc2d`, `key:youtube:dQw4w9WgXcQ`, `key:spotify:…`,
/// `key:apple:…`, `key:buzzsprout:…`, `key:libsyn:…`, `key:podbean:…`.
pub fn episode_key(url: &str) -> Option<String> {
    let (host, rest) = url.split_once('/').unwrap_or((url, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
    };
    let key = |host: &str, id: &str| {
        let ok =
            !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        ok.then(|| format!("{KEY_PREFIX}{host}:{}", id.to_ascii_lowercase()))
    };
    match host {
        // anchor.fm/<show>/episodes/<slug>, anchor.fm/<show>/embed/episodes/<slug>[/a-…],
        // podcasters.spotify.com/pod/show/<show>/episodes/<slug> (and creators.spotify.com).
        "anchor.fm" | "podcasters.spotify.com" | "creators.spotify.com" => {
            let at = segs.iter().position(|s| *s == "episodes")?;
            let slug = segs.get(at + 1)?;
            // The slug ends in "-e" and the episode's id; the title part may be edited later.
            let id = slug.rsplit_once("-e").map(|(_, id)| id).filter(|id| id.len() >= 5);
            match id {
                Some(id) => key("anchor", &format!("e{id}")),
                None => key("anchor", slug),
            }
        }
        "open.spotify.com" => {
            let at = segs.iter().position(|s| *s == "episode")?;
            key("spotify", segs.get(at + 1)?)
        }
        "podcasts.apple.com" | "itunes.apple.com" => key("apple", param("i")?),
        "youtube.com" | "m.youtube.com" | "youtube-nocookie.com" | "music.youtube.com" => match segs.first() {
            Some(&"watch") => key("youtube", param("v")?),
            Some(&"embed") | Some(&"shorts") | Some(&"live") | Some(&"v") => key("youtube", segs.get(1)?),
            _ => None,
        },
        "youtu.be" => key("youtube", segs.first()?),
        // buzzsprout.com/<show>/<episode>[-slug][.mp3|.js] and www.buzzsprout.com/<show>/episodes/<episode>.
        "buzzsprout.com" => {
            let seg = match segs.as_slice() {
                [_, "episodes", e, ..] => *e,
                [_, e, ..] => *e,
                _ => return None,
            };
            let digits: String = seg.chars().take_while(|c| c.is_ascii_digit()).collect();
            (digits.len() >= 4).then(|| key("buzzsprout", &digits)).flatten()
        }
        // html5-player.libsyn.com/embed/episode/id/<id>/…
        h if h.ends_with("libsyn.com") => {
            let at = segs.iter().position(|s| *s == "id")?;
            let id = segs.get(at + 1)?;
            id.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| key("libsyn", id))
                .flatten()
        }
        // www.podbean.com/media/share/pb-<id>, the player's ?i=<id>-pb, <show>.podbean.com/e/<slug>.
        h if h.ends_with("podbean.com") => {
            if let Some(i) = param("i") {
                return key("podbean", i.trim_end_matches("-pb").trim_start_matches("pb-"));
            }
            if let Some(at) = segs.iter().position(|s| *s == "share") {
                return key("podbean", segs.get(at + 1)?.trim_start_matches("pb-"));
            }
            let at = segs.iter().position(|s| *s == "e")?;
            key("podbean", segs.get(at + 1)?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::urls::normalize;

    fn k(u: &str) -> Option<String> {
        episode_key(&normalize(u).expect("url"))
    }

    #[test]
    fn the_feed_and_the_player_reduce_to_one_key() {
        let item = "https://podcasters.spotify.com/pod/show/voiceofthechild/episodes/Children-in-Care-e2a1b3c";
        let embed = "https://anchor.fm/voiceofthechild/embed/episodes/Children-in-Care-e2a1b3c/a-a9k2l1";
        let renamed = "https://anchor.fm/voiceofthechild/episodes/Kids-in-Care-e2a1b3c";
        assert_eq!(k(item).as_deref(), Some("key:anchor:e2a1b3c"));
        assert_eq!(k(embed), k(item));
        assert_eq!(k(renamed), k(item), "the title part of the slug may change");
        assert_eq!(
            k("https://youtu.be/AbCdEfGhIjK"),
            k("https://www.youtube.com/watch?v=AbCdEfGhIjK&t=30")
        );
        assert_eq!(
            k("https://www.youtube.com/embed/AbCdEfGhIjK?rel=0"),
            k("https://youtu.be/AbCdEfGhIjK")
        );
        assert_eq!(
            k("https://podcasts.apple.com/gb/podcast/voice-of-the-child/id1505737900?i=1000512345678").as_deref(),
            Some("key:apple:1000512345678")
        );
        assert_eq!(
            k("https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk?utm_source=generator"),
            k("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk")
        );
        assert_eq!(
            k("https://www.buzzsprout.com/123456/9876543-a-title.mp3"),
            k("https://www.buzzsprout.com/123456/9876543?client_source=small_player")
        );
        assert_eq!(
            k("https://html5-player.libsyn.com/embed/episode/id/18234567/height/90/").as_deref(),
            Some("key:libsyn:18234567")
        );
    }

    #[test]
    fn show_pages_are_not_episodes() {
        for show in [
            "https://podcasters.spotify.com/pod/show/voiceofthechild",
            "https://anchor.fm/voiceofthechild",
            "https://podcasts.apple.com/gb/podcast/voice-of-the-child/id1505737900",
            "https://open.spotify.com/show/2x7mKq",
            "https://www.youtube.com/@researchingreform",
            "https://example.com/episodes/Children-in-Care-e2a1b3c",
        ] {
            assert_eq!(k(show), None, "{show}");
        }
    }
}
