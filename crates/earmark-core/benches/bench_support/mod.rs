//! Shared by the library benches: a library filled with podcasts the way a refresh stores them.

use earmark_core::chrono::{DateTime, Utc};
use earmark_core::feed::{ParsedFeed, ParsedItem};
use earmark_core::library::Library;

/// Stores `podcasts` podcasts of `episodes` hour-long episodes each, one a day, as parsed feeds
/// (`https://bench.example/{p}/feed`, guids `p{p}e{e}`), so the benches measure real rows.
pub fn fill_podcasts(
    lib: &mut Library,
    podcasts: usize,
    episodes: usize,
    t0: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    for p in 0..podcasts {
        let (id, _) = lib.add_podcast(&format!("https://bench.example/{p}/feed"), &format!("Podcast {p}"), t0)?;
        let items = (0..episodes)
            .map(|e| ParsedItem {
                guid: format!("p{p}e{e}"),
                title: format!("Episode {e} of podcast {p}"),
                duration_secs: Some(3600.0),
                published: DateTime::from_timestamp(1_600_000_000 + (e as i64) * 86_400, 0),
                ..ParsedItem::default()
            })
            .collect();
        let feed = ParsedFeed {
            title: format!("Podcast {p}"),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, t0)?;
    }
    Ok(())
}
