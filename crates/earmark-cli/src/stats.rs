//! `earmark-cli stats`: listening statistics, and the one place `play` turns what the player heard
//! into a statistics record.

use anyhow::Result;
use earmark_core::model::EpisodeId;
use earmark_core::stats::{Listened, StatsLine};
use earmark_core::Library;
use earmark_player::pipeline::Heard;

/// Adds what `play` heard (and, with `finished` 1, an episode played to its end) to the
/// statistics, counted on the listener's own calendar day.
pub fn record(lib: &mut Library, id: EpisodeId, heard: Heard, finished: u32) -> Result<()> {
    if heard.is_empty() && finished == 0 {
        return Ok(());
    }
    let today = earmark_core::chrono::Local::now().date_naive();
    let listened = Listened {
        wall_secs: heard.wall_secs,
        episode_secs: heard.episode_secs,
        trimmed_secs: heard.trimmed_secs,
        finished,
    };
    lib.record_listening(id, today, listened)?;
    Ok(())
}

/// `1 h 02 min`, `4 min 05 s`, `12 s`: the scale a person reads statistics at.
fn span(secs: f64) -> String {
    let sign = if secs < 0.0 { "-" } else { "" };
    let s = secs.abs().round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{sign}{h} h {m:02} min")
    } else if m > 0 {
        format!("{sign}{m} min {s:02} s")
    } else {
        format!("{sign}{s} s")
    }
}

fn line(label: &str, l: &StatsLine) -> String {
    format!(
        "{label:<28} {:>14}  {:>4} finished  {:>12} saved by speed  {:>12} by trimming",
        span(l.listened_secs),
        l.episodes_finished,
        span(l.saved_by_speed_secs),
        span(l.saved_by_trimming_secs)
    )
}

/// Prints the statistics (as JSON with `--json`).
pub fn show(lib: &Library, json: bool) -> Result<()> {
    let stats = lib.listening_stats()?;
    if json {
        return crate::print_json(&stats);
    }
    if stats.by_podcast.is_empty() {
        say!("Nothing listened to yet. Play an episode (earmark-cli play EPISODE) and it counts here.");
        return Ok(());
    }
    say!("{}", line("All listening", &stats.total));
    say!("\nBy podcast");
    for p in &stats.by_podcast {
        let title: String = p.title.chars().take(28).collect();
        say!("{}", line(&title, &p.line));
    }
    say!("\nBy year");
    for y in &stats.by_year {
        say!("{}", line(&y.period, &y.line));
    }
    say!("\nBy month");
    for m in &stats.by_month {
        say!("{}", line(&m.period, &m.line));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_at_a_human_scale() {
        assert_eq!(span(12.4), "12 s");
        assert_eq!(span(245.0), "4 min 05 s");
        assert_eq!(span(3720.0), "1 h 02 min");
        assert_eq!(span(-90.0), "-1 min 30 s");
    }
}
