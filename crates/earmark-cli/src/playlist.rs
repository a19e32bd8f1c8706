//! `earmark-cli playlist`: named playlists ordered by hand and smart ones (saved filters), and
//! playing through one, moving on within it as each episode ends.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use earmark_core::model::{EpisodeId, PodcastId};
use earmark_core::playlists::{Playlist, RuleOrder, SmartRule};
use earmark_core::Library;

use crate::now;

#[derive(Subcommand)]
pub enum PlaylistAction {
    /// List the playlists with how many episodes each holds.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make a playlist: ordered by hand, or smart with any of the filter options.
    New {
        /// Its name.
        name: String,
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// List a playlist's episodes, in order.
    Show {
        /// Name or id.
        playlist: String,
        #[arg(long)]
        json: bool,
    },
    /// Add episodes to the end of a playlist ordered by hand.
    Add {
        /// Name or id.
        playlist: String,
        /// Episode ids.
        #[arg(required = true)]
        episodes: Vec<i64>,
    },
    /// Take an episode out of a playlist ordered by hand.
    Remove {
        /// Name or id.
        playlist: String,
        /// Episode id.
        episode: i64,
    },
    /// Move an episode of a playlist ordered by hand to a place (1 = first).
    Move {
        /// Name or id.
        playlist: String,
        /// Episode id.
        episode: i64,
        /// The new place, counting from 1.
        position: usize,
    },
    /// Replace a smart playlist's filter.
    Filter {
        /// Name or id.
        playlist: String,
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// Rename a playlist.
    Rename {
        /// Name or id.
        playlist: String,
        /// The new name.
        name: String,
    },
    /// Delete a playlist (its episodes stay in the library).
    Delete {
        /// Name or id.
        playlist: String,
    },
    /// Play a playlist from its first unplayed episode (or from --from), moving on within it.
    Play {
        /// Name or id.
        playlist: String,
        /// Start with this episode instead.
        #[arg(long)]
        from: Option<i64>,
        /// Speed from 0.5 to 3.0; the pitch is kept.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

/// A smart playlist's filter. Giving none of these to `new` makes a playlist ordered by hand.
#[derive(Args)]
pub struct RuleArgs {
    /// Only episodes not played yet.
    #[arg(long)]
    unplayed: bool,
    /// Only downloaded episodes.
    #[arg(long)]
    downloaded: bool,
    /// Only this podcast (id).
    #[arg(long)]
    podcast: Option<i64>,
    /// Only episodes with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only episodes in this campaign or linked to its posts and pages.
    #[arg(long)]
    campaign: Option<String>,
    /// Only episodes shorter than this many minutes.
    #[arg(long, value_name = "MINUTES")]
    shorter_than: Option<u32>,
    /// Oldest first (default: newest first).
    #[arg(long)]
    oldest_first: bool,
    /// At most this many episodes.
    #[arg(long)]
    limit: Option<u32>,
    /// Smart even with no filter: every episode, newest first.
    #[arg(long)]
    smart: bool,
}

impl RuleArgs {
    /// The rule, or none when no option makes the playlist smart.
    fn rule(&self) -> Option<SmartRule> {
        let rule = SmartRule {
            unplayed: self.unplayed,
            downloaded: self.downloaded,
            podcast: self.podcast.map(PodcastId),
            tag: self.tag.clone(),
            campaign: self.campaign.clone(),
            shorter_than_mins: self.shorter_than,
            order: if self.oldest_first {
                RuleOrder::Oldest
            } else {
                RuleOrder::Newest
            },
            limit: self.limit,
        };
        (self.smart || rule != SmartRule::default()).then_some(rule)
    }
}

/// What a rule says, in words, for `list`.
fn describe(p: &Playlist) -> String {
    let Some(r) = &p.rule else {
        return "by hand".into();
    };
    let mut parts = Vec::new();
    if r.unplayed {
        parts.push("unplayed".to_owned());
    }
    if r.downloaded {
        parts.push("downloaded".to_owned());
    }
    if let Some(id) = r.podcast {
        parts.push(format!("podcast {}", id.0));
    }
    if let Some(t) = &r.tag {
        parts.push(format!("tag {t}"));
    }
    if let Some(c) = &r.campaign {
        parts.push(format!("campaign {c}"));
    }
    if let Some(m) = r.shorter_than_mins {
        parts.push(format!("under {m} min"));
    }
    parts.push(
        match r.order {
            RuleOrder::Newest => "newest first",
            RuleOrder::Oldest => "oldest first",
        }
        .to_owned(),
    );
    if let Some(n) = r.limit {
        parts.push(format!("at most {n}"));
    }
    format!("smart: {}", parts.join(", "))
}

/// Runs one `playlist` action.
pub fn run(lib: &mut Library, action: PlaylistAction) -> Result<ExitCode> {
    match action {
        PlaylistAction::List { json } => {
            let all = lib.playlists()?;
            if json {
                crate::print_json(&all)?;
            } else if all.is_empty() {
                say!("No playlists yet. Make one: earmark-cli playlist new NAME (add --unplayed etc. for a smart one)");
            } else {
                for p in &all {
                    say!(
                        "{:>4}  {:<32} {:>5} episodes  {}",
                        p.id.0,
                        p.name,
                        p.episode_count,
                        describe(p)
                    );
                }
            }
        }
        PlaylistAction::New { name, rule } => {
            let id = lib.playlist_create(&name, rule.rule().as_ref(), now())?;
            let p = lib.playlist(id)?;
            say!(
                "Made playlist {} ({}), {} episodes.",
                p.name,
                describe(&p),
                p.episode_count
            );
        }
        PlaylistAction::Show { playlist, json } => {
            let p = lib.playlist_named(&playlist)?;
            let episodes = lib.playlist_episodes(p.id)?;
            if json {
                crate::print_json(&episodes)?;
            } else if episodes.is_empty() {
                say!("{} is empty.", p.name);
            } else {
                for (i, e) in episodes.iter().enumerate() {
                    let mark = if e.played { "✓" } else { " " };
                    say!("{:>3}. {mark} {:>6}  {}", i + 1, e.id.0, e.title);
                }
            }
        }
        PlaylistAction::Add { playlist, episodes } => {
            let p = lib.playlist_named(&playlist)?;
            let ids: Vec<EpisodeId> = episodes.into_iter().map(EpisodeId).collect();
            lib.playlist_add(p.id, &ids)?;
        }
        PlaylistAction::Remove { playlist, episode } => {
            let p = lib.playlist_named(&playlist)?;
            lib.playlist_remove(p.id, EpisodeId(episode))?;
        }
        PlaylistAction::Move {
            playlist,
            episode,
            position,
        } => {
            let p = lib.playlist_named(&playlist)?;
            lib.playlist_move(p.id, EpisodeId(episode), position.saturating_sub(1))?;
        }
        PlaylistAction::Filter { playlist, rule } => {
            let p = lib.playlist_named(&playlist)?;
            let Some(rule) = rule.rule() else {
                bail!("give the filter: --unplayed, --downloaded, --podcast, --tag, --campaign, --shorter-than, --oldest-first, --limit or --smart");
            };
            lib.playlist_set_rule(p.id, &rule)?;
        }
        PlaylistAction::Rename { playlist, name } => {
            let p = lib.playlist_named(&playlist)?;
            lib.playlist_rename(p.id, &name)?;
        }
        PlaylistAction::Delete { playlist } => {
            let p = lib.playlist_named(&playlist)?;
            lib.playlist_delete(p.id)?;
        }
        PlaylistAction::Play { playlist, from, speed } => return play(lib, &playlist, from, speed),
    }
    Ok(ExitCode::SUCCESS)
}

/// Plays through a playlist: each episode from where the listener stopped; when one ends, the
/// next in the playlist. Stopping (Ctrl-C), a damaged file or no audio device ends the run.
fn play(lib: &mut Library, playlist: &str, from: Option<i64>, speed: f64) -> Result<ExitCode> {
    let p = lib.playlist_named(playlist)?;
    let episodes = lib.playlist_episodes(p.id)?;
    let first = match from {
        Some(id) if episodes.iter().any(|e| e.id.0 == id) => EpisodeId(id),
        Some(id) => bail!("episode {id} is not in {}", p.name),
        None => match episodes.iter().find(|e| !e.played).or(episodes.first()) {
            Some(e) => e.id,
            None => bail!("{} is empty", p.name),
        },
    };
    let mut next = Some(first);
    while let Some(id) = next {
        let played = crate::play::play(lib, id, None, None, speed)?;
        if !played.finished {
            return Ok(played.code);
        }
        next = lib.playlist_next(p.id, id)?;
    }
    say_err!("End of {}.", p.name);
    Ok(ExitCode::SUCCESS)
}
