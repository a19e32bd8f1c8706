//! Blog sources, pages, campaigns and tags from the terminal: `source add|refresh`, `sources`,
//! `page add`, `docs`, `doc`, `campaigns`, `campaign add-episode`, `tag`, `untag`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use earmark_core::config::Config;
use earmark_core::docs::{self, CollectionKind, CollectionMember, DocQuery, DocumentId, SourceId};
use earmark_core::model::EpisodeId;
use earmark_core::Library;

use crate::{now, print_json};

/// `earmark-cli source …`
#[derive(Subcommand)]
pub enum SourceAction {
    /// Add a blog (a WordPress site) by its home URL and fetch its whole archive.
    Add {
        /// The blog's home URL.
        url: String,
        /// Put the source and all its posts and pages in this campaign (created on first use).
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Keep the images of a source's posts and pages (or of every document) for offline reading;
    /// the source's later refreshes keep new ones too.
    Archive {
        /// Source id (every document when absent).
        id: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch what changed on one source, or on all of them.
    Refresh {
        /// Source id (all sources when absent).
        id: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

/// `earmark-cli page …`
#[derive(Subcommand)]
pub enum PageAction {
    /// Add web pages by URL: the main content is kept, menus and sidebars are not.
    Add {
        /// One or more page URLs.
        #[arg(required = true)]
        urls: Vec<String>,
        /// Put the pages in this campaign (created on first use), in the order given.
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// `earmark-cli docs`
#[derive(Args)]
pub struct DocsArgs {
    /// Only this campaign's documents, in its order.
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    json: bool,
}

/// `earmark-cli doc`
#[derive(Args)]
pub struct DocArgs {
    /// Document id.
    id: i64,
    #[arg(long)]
    json: bool,
}

/// `earmark-cli campaign …`
#[derive(Subcommand)]
pub enum CampaignAction {
    /// Put an episode in a campaign (created on first use).
    AddEpisode {
        /// Campaign name.
        name: String,
        /// Episode id.
        episode: i64,
    },
    /// Move an episode or a document to another place in its campaign's order (shared archives
    /// carry the order to the team).
    Move {
        /// Campaign name.
        name: String,
        /// What moves: an episode or a document.
        #[arg(value_enum)]
        what: TagTarget,
        /// Its id.
        id: i64,
        /// Its new place, 1 being first (past the end: last).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        to: u32,
    },
    /// Take an episode or a document out of a campaign.
    Remove {
        /// Campaign name.
        name: String,
        /// What goes: an episode or a document.
        #[arg(value_enum)]
        what: TagTarget,
        /// Its id.
        id: i64,
    },
    /// Show one campaign: its documents and episodes.
    Show {
        /// Campaign name.
        name: String,
        #[arg(long)]
        json: bool,
    },
}

/// What a tag goes on.
#[derive(Clone, Copy, ValueEnum)]
pub enum TagTarget {
    /// An episode.
    Episode,
    /// A document (post or page).
    Doc,
}

/// `earmark-cli tag|untag episode|doc ID TAG…`
#[derive(Args)]
pub struct TagArgs {
    /// episode or doc.
    target: TagTarget,
    /// Its id.
    id: i64,
    /// Tags.
    #[arg(required = true)]
    tags: Vec<String>,
}

/// `source add` and `source refresh`.
pub fn source(lib: &mut Library, config: &Config, action: SourceAction) -> Result<ExitCode> {
    let fetcher = config.fetcher()?;
    match action {
        SourceAction::Add { url, campaign, json } => {
            let report = docs::add_source(lib, &fetcher, &url, campaign.as_deref(), now())
                .with_context(|| format!("adding the blog at {url}"))?;
            if json {
                print_json(&report)?;
            } else {
                say!(
                    "{} [source {}]: {} new, {} changed ({} requests, via {})",
                    if report.source.title.is_empty() {
                        &report.source.home_url
                    } else {
                        &report.source.title
                    },
                    report.source.id.0,
                    report.new,
                    report.updated,
                    report.requests,
                    report.source.method.map_or("?", |m| m.as_str())
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        SourceAction::Archive { id, json } => {
            let source = id.map(SourceId);
            if let Some(s) = source {
                lib.set_source_archive(s, true)?;
            }
            let report = docs::images::archive_images(lib, &fetcher, source, now())?;
            if json {
                print_json(&report)?;
            } else {
                say!(
                    "{} documents: {} images kept now ({} bytes), {} already kept, {} could not be kept",
                    report.documents,
                    report.fetched,
                    report.bytes,
                    report.already,
                    report.failed.len()
                );
                for f in &report.failed {
                    say_err!("  {f}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SourceAction::Refresh { id, json } => {
            let results = match id {
                Some(id) => vec![docs::refresh_source(lib, &fetcher, SourceId(id), now())],
                None => docs::refresh_sources(lib, &fetcher, now())?,
            };
            let failed = results.iter().filter(|r| r.is_err()).count();
            if json {
                let rows: Vec<serde_json::Value> = results
                    .iter()
                    .map(|r| match r {
                        Ok(rep) => serde_json::to_value(rep).unwrap_or_default(),
                        Err(e) => serde_json::json!({ "error": e.to_string(), "code": e.code() }),
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                for r in &results {
                    match r {
                        Ok(rep) => say!(
                            "updated  {}: {} new, {} changed",
                            rep.source.home_url,
                            rep.new,
                            rep.updated
                        ),
                        Err(e) => say!("error    {e}"),
                    }
                }
            }
            if failed > 0 {
                say_err!("earmark-cli: {failed} of {} sources failed to refresh", results.len());
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `sources`
pub fn sources(lib: &Library, json: bool) -> Result<ExitCode> {
    let sources = lib.sources()?;
    if json {
        print_json(&sources)?;
    } else if sources.is_empty() {
        say!("No blog sources yet. Try: earmark-cli source add https://blog.example/");
    } else {
        for s in sources {
            let err = s.last_error.map(|e| format!("  [error: {e}]")).unwrap_or_default();
            say!("{:>4}  {}  ({} documents){err}", s.id.0, s.home_url, s.document_count);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `page add`: every URL is tried; exit code 2 when any failed (the others are kept).
pub fn page(lib: &mut Library, config: &Config, action: PageAction) -> Result<ExitCode> {
    let PageAction::Add { urls, campaign, json } = action;
    let fetcher = config.fetcher()?;
    let outcomes = docs::add_pages(lib, &fetcher, &urls, campaign.as_deref(), now())?;
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if json {
        print_json(&outcomes)?;
    } else {
        for o in &outcomes {
            match (&o.document, &o.error) {
                (Some(d), _) => say!(
                    "{}  {:>5}  {}  ({})",
                    if o.existed { "updated" } else { "added  " },
                    d.id.0,
                    d.title,
                    o.url
                ),
                (None, Some(e)) => say!("failed          {}: {e}", o.url),
                (None, None) => {}
            }
        }
    }
    if failed > 0 {
        say_err!("earmark-cli: {failed} of {} pages could not be added", outcomes.len());
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// `docs [--campaign NAME]`
pub fn list(lib: &Library, args: DocsArgs) -> Result<ExitCode> {
    let rows = lib.documents(&DocQuery {
        campaign: args.campaign.as_deref(),
        ..DocQuery::default()
    })?;
    if args.json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        say!("No documents yet. Try: earmark-cli page add URL, or earmark-cli source add URL");
    } else {
        for d in rows {
            let date = d
                .published
                .as_deref()
                .map_or("          ", |p| p.get(..10).unwrap_or(p));
            say!("{:>6}  {:<4}  {date}  {}", d.id.0, d.kind.as_str(), d.title);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `doc ID`
pub fn show(lib: &Library, args: DocArgs) -> Result<ExitCode> {
    let d = lib.document(DocumentId(args.id))?;
    if args.json {
        print_json(&d)?;
    } else {
        say!("{}\n{}", d.title, d.url);
        if let Some(p) = &d.published {
            say!("Published {p}");
        }
        if !d.tags.is_empty() {
            say!("Tags: {}", d.tags.join(", "));
        }
        say!("\n{}", d.text);
    }
    Ok(ExitCode::SUCCESS)
}

/// `campaigns`
pub fn campaigns(lib: &Library, json: bool) -> Result<ExitCode> {
    let list = lib.collections(Some(CollectionKind::Campaign))?;
    if json {
        print_json(&list)?;
    } else if list.is_empty() {
        say!("No campaigns yet. Try: earmark-cli page add URL --campaign NAME");
    } else {
        for c in list {
            say!(
                "{:>4}  {}  ({} documents, {} episodes)",
                c.id.0,
                c.name,
                c.document_count,
                c.episode_count
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The episode or document `id` names, by what the command said it is.
fn member(what: TagTarget, id: i64) -> CollectionMember {
    match what {
        TagTarget::Episode => CollectionMember::Episode(EpisodeId(id)),
        TagTarget::Doc => CollectionMember::Document(DocumentId(id)),
    }
}

/// `campaign add-episode|show`
pub fn campaign(lib: &mut Library, action: CampaignAction) -> Result<ExitCode> {
    match action {
        CampaignAction::AddEpisode { name, episode } => {
            let id = lib.collection_ensure(&name, CollectionKind::Campaign, now())?;
            lib.collection_add_episode(id, EpisodeId(episode))?;
            say!("Episode {episode} is in the campaign {name}.");
        }
        CampaignAction::Move { name, what, id, to } => {
            let c = lib.collection_by_name(&name)?;
            let place = usize::try_from(to - 1).unwrap_or(usize::MAX);
            lib.collection_move(c.id, member(what, id), place)?;
            say!("Moved to place {to} in {}.", c.name);
        }
        CampaignAction::Remove { name, what, id } => {
            let c = lib.collection_by_name(&name)?;
            if !lib.collection_remove(c.id, member(what, id))? {
                return Err(earmark_core::Error::NotFound(format!("that item in the campaign {}", c.name)).into());
            }
            say!("Taken out of {}.", c.name);
        }
        CampaignAction::Show { name, json } => {
            let c = lib.collection_by_name(&name)?;
            let view = lib.collection_view(c.id)?;
            if json {
                print_json(&view)?;
            } else {
                say!("{} ({})", view.collection.name, view.collection.kind.as_str());
                for d in &view.documents {
                    say!("  doc     {:>6}  {}", d.id.0, d.title);
                }
                for e in view.episodes.iter().chain(&view.linked_episodes) {
                    say!("  episode {:>6}  {}", e.id.0, e.title);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tag` (add = true) and `untag`.
pub fn tag(lib: &mut Library, args: TagArgs, add: bool) -> Result<ExitCode> {
    let tags: Vec<&str> = args.tags.iter().map(String::as_str).collect();
    let now_tags = match (args.target, add) {
        (TagTarget::Episode, true) => {
            lib.tag_episode(EpisodeId(args.id), &tags)?;
            lib.episode_tags(EpisodeId(args.id))?
        }
        (TagTarget::Episode, false) => {
            lib.untag_episode(EpisodeId(args.id), &tags)?;
            lib.episode_tags(EpisodeId(args.id))?
        }
        (TagTarget::Doc, true) => {
            lib.tag_document(DocumentId(args.id), &tags)?;
            lib.document_tags(DocumentId(args.id))?
        }
        (TagTarget::Doc, false) => {
            lib.untag_document(DocumentId(args.id), &tags)?;
            lib.document_tags(DocumentId(args.id))?
        }
    };
    say!(
        "Tags now: {}",
        if now_tags.is_empty() {
            "(none)".to_owned()
        } else {
            now_tags.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
