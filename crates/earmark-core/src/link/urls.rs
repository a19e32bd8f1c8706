//! URLs as evidence: the same page is written many ways (http or https, with or without `www.`,
//! a trailing slash, tracking parameters), so links are compared in one normal form; and the
//! URLs an HTML fragment points at are found by a small scanner, because it runs over every
//! document of the archive in a full link pass.

use url::Url;

/// How a document refers to a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Reference {
    /// An ordinary link (`<a href>`).
    Link,
    /// Media or a player in the page: `<audio>`, `<source>`, `<video>`, `<embed>`, `<iframe>`,
    /// `<object>`, or a URL carried inside a player's own URL.
    Embed,
}

impl Reference {
    /// How the reference is stored in the link index.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Query parameters that only track clicks; they never change which page is meant.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid" | "gclid" | "mc_cid" | "mc_eid" | "ref" | "source" | "share" | "igshid" | "amp" | "_ga"
        )
}

/// The normal form two URLs share when they name the same page: no scheme, no `www.`, lower-case
/// host, no default port, no fragment, no trailing slash, no tracking parameters, the remaining
/// parameters sorted. `None` for anything that is not an http(s) URL.
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 4096 {
        return None;
    }
    // Protocol-relative URLs (`//host/path`) are common in embeds.
    let parsed = if let Some(rest) = raw.strip_prefix("//") {
        Url::parse(&format!("https://{rest}")).ok()?
    } else {
        Url::parse(raw).ok()?
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut out = String::with_capacity(raw.len());
    out.push_str(host);
    if let Some(port) = parsed.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let path = parsed.path().trim_end_matches('/');
    out.push_str(path);
    let mut params: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !params.is_empty() {
        params.sort();
        out.push('?');
        let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&joined.join("&"));
    }
    Some(out)
}

/// Every URL an HTML fragment refers to, normalised, with how it refers to it. URLs inside a
/// player's URL (`player.example/embed?url=https%3A%2F%2F…mp3`) count as embedded too. Bare URLs in
/// the text count as links. The scanner never fails: broken markup yields what could be read.
pub fn references(html: &str) -> Vec<(String, Reference)> {
    let mut out: Vec<(String, Reference)> = Vec::new();
    let push = |url: &str, how: Reference, out: &mut Vec<(String, Reference)>| {
        if let Some(n) = normalize(&decode_entities(url)) {
            if !out.iter().any(|(u, h)| *u == n && *h == how) {
                out.push((n, how));
            }
        }
    };
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        let start = i + off + 1;
        let end = match lower[start..].find('>') {
            Some(e) => start + e,
            None => lower.len(),
        };
        let name_end = bytes[start..end]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(end, |p| start + p);
        let name = &lower[start..name_end];
        let how = match name {
            "a" | "link" => Some(Reference::Link),
            "audio" | "source" | "video" | "embed" | "iframe" | "object" | "param" | "track" => Some(Reference::Embed),
            _ => None,
        };
        if let Some(how) = how {
            for attr in ["href", "src", "data", "value", "data-src"] {
                if let Some(v) = attribute(&html[name_end..end], &lower[name_end..end], attr) {
                    push(v, how, &mut out);
                    if how == Reference::Embed || attr != "href" {
                        for inner in nested_urls(v) {
                            push(&inner, Reference::Embed, &mut out);
                        }
                    }
                }
            }
        }
        i = end.min(lower.len());
        if i >= lower.len() {
            break;
        }
    }
    for bare in bare_urls(html) {
        push(bare, Reference::Link, &mut out);
    }
    out
}

/// The `title` of each player an HTML fragment embeds (`<iframe>`, `<embed>`, `<object>`, `<video>`,
/// `<audio>`). A player pasted through oEmbed carries the title its host gives the episode
/// ("Spotify Embed: Growing Up Adopted", "Growing Up Adopted | Voice of the Child"), so it says
/// which episode plays even when the player's own address means nothing outside the host.
pub fn player_titles(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        let start = i + off + 1;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let name_end = bytes[start..end]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(end, |p| start + p);
        if matches!(
            &lower[start..name_end],
            "iframe" | "embed" | "object" | "video" | "audio"
        ) {
            if let Some(t) = attribute(&html[name_end..end], &lower[name_end..end], "title") {
                let t = crate::html::to_text(t).trim().to_owned();
                if !t.is_empty() && !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        i = end;
        if i >= lower.len() {
            break;
        }
    }
    out
}

/// The value of `name="…"` (or single-quoted, or bare) within a tag's attribute text.
/// `text` and `lower` are the same slice, original and lower-cased.
fn attribute<'a>(text: &'a str, lower: &str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(p) = lower[from..].find(name) {
        let at = from + p;
        from = at + name.len();
        // The attribute name must stand alone (`src`, not `data-src` when asking for `src`).
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        if !before_ok {
            continue;
        }
        let rest = lower[from..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            continue;
        };
        let value_start = lower.len() - after_eq.trim_start().len();
        let quote = text.as_bytes().get(value_start).copied();
        return match quote {
            Some(q @ (b'"' | b'\'')) => {
                let body = &text[value_start + 1..];
                let close = body.find(q as char).unwrap_or(body.len());
                Some(&body[..close])
            }
            Some(_) => {
                let body = &text[value_start..];
                let close = body.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(body.len());
                Some(&body[..close])
            }
            None => None,
        };
    }
    None
}

/// http(s) URLs carried inside another URL, percent-encoded or not (players take the media URL
/// as a parameter).
fn nested_urls(url: &str) -> Vec<String> {
    let decoded: String = percent_decode(url);
    let mut found = Vec::new();
    // Skip the URL's own scheme.
    let body_start = decoded.find("://").map_or(0, |p| p + 3);
    for scheme in ["http://", "https://"] {
        let mut from = body_start;
        while let Some(p) = decoded[from..].find(scheme) {
            let s = from + p;
            let e = decoded[s..]
                .find(|c: char| c.is_whitespace() || c == '&' || c == '"' || c == '\'' || c == '<')
                .map_or(decoded.len(), |x| s + x);
            found.push(decoded[s..e].to_owned());
            from = e;
        }
    }
    found
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `&amp;` in attribute values is the common case; other references are left alone.
fn decode_entities(s: &str) -> String {
    if s.contains('&') {
        s.replace("&amp;", "&").replace("&#38;", "&")
    } else {
        s.to_owned()
    }
}

/// URLs written as plain text (outside tags), e.g. in plain show notes.
pub fn bare_urls(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("http") {
        let s = from + p;
        let rest = &text[s..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            from = s + 4;
            continue;
        }
        // Inside an attribute (preceded by a quote or `=`): the tag scanner has it.
        let prev = text[..s].chars().next_back();
        let e = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']'))
            .map_or(text.len(), |x| s + x);
        if !matches!(prev, Some('"' | '\'' | '=')) {
            out.push(text[s..e].trim_end_matches(['.', ',', ';', ':', '!', '?']));
        }
        from = e.max(s + 4);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn players_say_what_their_host_titled_them() {
        let html = r#"<p>Listen:</p>
            <iframe title="Spotify Embed: Children&#8217;s Voices in Court" src="https://open.spotify.com/embed/episode/x"></iframe>
            <IFRAME TITLE='Growing Up Adopted | Voice of the Child' src="https://www.youtube.com/embed/y"></IFRAME>
            <iframe class="youtube-player" src="https://www.youtube.com/embed/z"></iframe>
            <img title="Not a player" src="a.png">
            <iframe title="Spotify Embed: Children&#8217;s Voices in Court" src="again"></iframe>
            <video title="  " src="v.mp4"></video>"#;
        assert_eq!(
            player_titles(html),
            [
                "Spotify Embed: Children\u{2019}s Voices in Court",
                "Growing Up Adopted | Voice of the Child"
            ]
        );
        assert!(
            player_titles("<iframe title=").is_empty(),
            "cut-off markup reads as nothing"
        );
    }

    #[test]
    fn equal_pages_normalise_alike() {
        let a = normalize("https://www.Example.org/2021/05/post/?utm_source=x&utm_medium=y#top");
        let b = normalize("http://example.org/2021/05/post");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("example.org/2021/05/post"));
        assert_eq!(
            normalize("https://e.org/?p=12&utm_campaign=z").as_deref(),
            Some("e.org?p=12")
        );
        assert_ne!(normalize("https://e.org/?p=12"), normalize("https://e.org/?p=13"));
        assert_eq!(normalize("javascript:alert(1)"), None);
        assert_eq!(normalize("mailto:a@b.c"), None);
        assert_eq!(normalize("/relative"), None);
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("//cdn.e.org/a.mp3").as_deref(), Some("cdn.e.org/a.mp3"));
    }

    #[test]
    fn finds_links_embeds_and_urls_inside_players() {
        let html = r#"<p>See <A HREF="https://www.blog.org/ep-1/?utm_source=tw">this</A>.
            <audio controls src='https://cdn.org/ep1.mp3'></audio>
            <audio><source src="https://cdn.org/ep2.mp3" type="audio/mpeg"></audio>
            <iframe src="https://player.org/embed?url=https%3A%2F%2Fcdn.org%2Fep3.mp3&amp;auto=1"></iframe>
            Plain: https://blog.org/plain-post. <a href="javascript:alert(1)">x</a><a data-src="y" href=https://bare.org/x>b</a>"#;
        let refs = references(html);
        let has = |u: &str, h: Reference| refs.iter().any(|(x, y)| x == u && *y == h);
        assert!(has("blog.org/ep-1", Reference::Link), "{refs:?}");
        assert!(has("cdn.org/ep1.mp3", Reference::Embed), "{refs:?}");
        assert!(has("cdn.org/ep2.mp3", Reference::Embed), "{refs:?}");
        assert!(has("cdn.org/ep3.mp3", Reference::Embed), "{refs:?}");
        assert!(has("blog.org/plain-post", Reference::Link), "{refs:?}");
        assert!(has("bare.org/x", Reference::Link), "{refs:?}");
        assert!(!refs.iter().any(|(u, _)| u.contains("alert")), "{refs:?}");
    }

    #[test]
    fn broken_markup_never_panics() {
        for html in [
            "<",
            "<a href=",
            "<a href=\"",
            "<iframe src='https://x.org/?u=%",
            "<a href=\"%E2%82\">",
            "http",
            "https://",
            "<<<>>>",
            "é<a href='https://é.org/ü'>ü</a>",
        ] {
            let _ = references(html);
        }
    }
}
