//! How an action from another app finds the episode it is about. Other apps key episodes by media
//! URL, and hosts wrap those URLs in measurement redirects that come and go; so URLs are compared
//! in a normal form with the redirect prefixes and query noise taken off.

/// Measurement services that put their host in front of the real media URL: `host/path-prefix/`
/// then the real URL without its scheme. The prefix may be followed by ids, counted in segments.
const TRACKING_PREFIXES: &[(&str, &str, usize)] = &[
    ("dts.podtrac.com", "/redirect.", 0),
    ("www.podtrac.com", "/pts/redirect.", 0),
    ("podtrac.com", "/pts/redirect.", 0),
    ("chtbl.com", "/track/", 1),
    ("chrt.fm", "/track/", 1),
    ("pdst.fm", "/e/", 0),
    ("op3.dev", "/e/", 0),
    ("op3.dev", "/e,", 0),
    ("pfx.vpixl.com", "/", 1),
    ("arttrk.com", "/p/", 1),
    ("verifi.podscribe.com", "/rss/p/", 0),
    ("pscrb.fm", "/rss/p/", 0),
    ("mgln.ai", "/e/", 1),
    ("claritaspod.com", "/measure/", 0),
    ("injector.simplecastaudio.com", "/", 1),
    ("clrtpod.com", "/m/", 0),
    ("tracking.swap.fm", "/track/", 1),
    ("prfx.byspotify.com", "/e/", 0),
    ("podcasts.captivate.fm", "/media/", 0),
];

/// Query parameters that only say who asked (never which file).
const NOISE_PARAMS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "ref",
    "from",
    "source",
    "aid",
    "awcollectionid",
    "awepisodeid",
    "feed",
    "listeningsessionid",
    "_from",
    "updated",
];

/// The comparable form of a media or feed URL: no scheme, lower-case host without `www.`, the
/// measurement prefixes removed (repeatedly: they nest), no fragment, no noise parameters, no
/// trailing slash.
pub fn normal_url(url: &str) -> String {
    let mut rest = strip_scheme(url.trim());
    while let Some(next) = strip_one_prefix(rest) {
        rest = strip_scheme(next);
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let (host, path) = path.split_once('/').unwrap_or((path, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut out = format!("{host}/{}", path.trim_end_matches('/'));
    if let Some(q) = query {
        let mut kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                let key = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
                !kv.is_empty() && !NOISE_PARAMS.contains(&key.as_str())
            })
            .collect();
        kept.sort_unstable();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

/// The media file's own name (the last path segment, without query), for matching within one
/// podcast when a host moved its files.
pub fn file_name(url: &str) -> Option<String> {
    let n = normal_url(url);
    let path = n.split('?').next()?;
    let (_, name) = path.rsplit_once('/')?;
    (name.len() >= 5 && name.contains('.')).then(|| name.to_ascii_lowercase())
}

fn strip_scheme(s: &str) -> &str {
    for scheme in ["https://", "http://", "HTTPS://", "HTTP://"] {
        if let Some(r) = s.strip_prefix(scheme) {
            return r;
        }
    }
    s
}

fn strip_one_prefix(s: &str) -> Option<&str> {
    let (host, _) = s.split_once('/')?;
    let host = host.to_ascii_lowercase();
    for &(h, prefix, ids) in TRACKING_PREFIXES {
        if host != h {
            continue;
        }
        let Some(mut rest) = s[h.len()..].strip_prefix(prefix) else {
            continue;
        };
        if prefix.ends_with('.') {
            // `redirect.mp3/` or `redirect.m4a/`: skip the extension.
            rest = rest.split_once('/').map(|(_, r)| r)?;
        }
        for _ in 0..ids {
            rest = rest.split_once('/').map(|(_, r)| r)?;
        }
        // What is left must start with a host (a dot in it), else this was a real file there.
        let next_host = strip_scheme(rest).split('/').next().unwrap_or("");
        if next_host.contains('.') {
            return Some(rest);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_prefixes_and_noise_come_off() {
        let plain = normal_url("https://media.example.org/shows/ep12.mp3");
        assert_eq!(plain, "media.example.org/shows/ep12.mp3");
        for wrapped in [
            "https://dts.podtrac.com/redirect.mp3/media.example.org/shows/ep12.mp3",
            "http://www.podtrac.com/pts/redirect.mp3/media.example.org/shows/ep12.mp3",
            "https://chtbl.com/track/ABC123/media.example.org/shows/ep12.mp3",
            "https://pdst.fm/e/chtbl.com/track/X9/media.example.org/shows/ep12.mp3",
            "https://op3.dev/e/https://media.example.org/shows/ep12.mp3",
            "https://pfx.vpixl.com/6qj4J/media.example.org/shows/ep12.mp3",
            "https://media.example.org/shows/ep12.mp3?utm_source=rss&aid=x#t=10",
            "HTTP://WWW.Media.Example.org/shows/ep12.mp3/",
            "https://www.media.example.org/shows/ep12.mp3",
        ] {
            assert_eq!(normal_url(wrapped), plain, "{wrapped}");
        }
    }

    #[test]
    fn meaningful_differences_stay() {
        assert_ne!(
            normal_url("https://m.example/ep12.mp3"),
            normal_url("https://m.example/ep13.mp3")
        );
        assert_ne!(
            normal_url("https://m.example/get?id=12"),
            normal_url("https://m.example/get?id=13")
        );
        assert_eq!(
            normal_url("https://m.example/get?b=2&id=12"),
            normal_url("https://m.example/get?id=12&b=2")
        );
        // A file that merely lives on a tracking host is not cut.
        assert_eq!(normal_url("https://chtbl.com/track/about"), "chtbl.com/track/about");
    }

    #[test]
    fn file_names_match_across_hosts() {
        assert_eq!(
            file_name("https://old-cdn.example/a/ep12.mp3?x=1"),
            file_name("https://new.example/b/EP12.mp3")
        );
        assert_eq!(file_name("https://m.example/"), None);
        assert_eq!(file_name("https://m.example/get"), None);
    }
}
