//! `earmark://episode/<id>?t=<seconds>` links: a bookmark copied as a link opens the app at that
//! moment. Parsing is strict (the link may come from anywhere): only this one shape is accepted.

use crate::model::EpisodeId;

/// The app's URL scheme.
pub const SCHEME: &str = "earmark";

/// Where a link points: an episode and a time in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppLink {
    /// The episode.
    pub episode: EpisodeId,
    /// Seconds from its start (0 when the link has no `t`).
    pub secs: f64,
}

/// The link for a moment of an episode (time to the millisecond).
pub fn format(episode: EpisodeId, secs: f64) -> String {
    let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
    let t = (secs * 1000.0).round() / 1000.0;
    format!("{SCHEME}://episode/{}?t={t}", episode.0)
}

/// Reads a link; `None` for anything that is not exactly an episode link with a sane time.
pub fn parse(text: &str) -> Option<AppLink> {
    let url = url::Url::parse(text.trim()).ok()?;
    if url.scheme() != SCHEME || url.host_str() != Some("episode") {
        return None;
    }
    let mut segments = url.path_segments()?;
    let id: i64 = segments.next()?.parse().ok()?;
    if id <= 0 || segments.next().is_some_and(|s| !s.is_empty()) {
        return None;
    }
    let mut secs = 0.0;
    for (k, v) in url.query_pairs() {
        if k == "t" {
            let t: f64 = v.parse().ok()?;
            if !t.is_finite() || !(0.0..=1.0e7).contains(&t) {
                return None;
            }
            secs = t;
        }
    }
    Some(AppLink {
        episode: EpisodeId(id),
        secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip() {
        let s = format(EpisodeId(42), 754.2);
        assert_eq!(s, "earmark://episode/42?t=754.2");
        assert_eq!(
            parse(&s),
            Some(AppLink {
                episode: EpisodeId(42),
                secs: 754.2
            })
        );
        assert_eq!(parse("earmark://episode/7").map(|l| l.secs), Some(0.0));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "https://episode/1?t=1",
            "earmark://podcast/1",
            "earmark://episode/abc",
            "earmark://episode/-1",
            "earmark://episode/0",
            "earmark://episode/1/extra",
            "earmark://episode/1?t=-5",
            "earmark://episode/1?t=NaN",
            "earmark://episode/1?t=inf",
            "earmark://episode/1?t=1e99",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
