//! `earmark-cli share`: a shared team archive through a folder (Nextcloud, Dropbox, Syncthing, a
//! network drive) or an automerge-repo sync server, merged by Automerge.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use earmark_core::share::{self, ShareReport};
use earmark_core::Library;

use crate::{now, print_json};

/// `share` subcommands.
#[derive(Args)]
pub struct ShareArgs {
    #[command(subcommand)]
    action: ShareAction,
}

#[derive(Subcommand)]
enum ShareAction {
    /// Start a shared archive in FOLDER from this library. FOLDER may instead be a sync server's
    /// address (ws://… or wss://…, an automerge-repo sync server behind your team's own login):
    /// the archive's address to give the team is printed.
    Create {
        folder: PathBuf,
        /// The archive's name, e.g. "Researching Reform".
        #[arg(long)]
        name: String,
        /// Who this library's changes are shown as made by (default: your user name).
        #[arg(long = "as")]
        person: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Join the shared archive in FOLDER, or at a sync server address a teammate gave
    /// (ws[s]://…#automerge:…); what this library has is shared too.
    Join {
        folder: PathBuf,
        #[arg(long = "as")]
        person: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Merge what others changed and write what changed here.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// The archive, the last sync, the folder's size.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Write a snapshot and remove the files it covers.
    Compact,
    /// Stop sharing (this library keeps everything; the folder stays for the others).
    Leave,
}

/// The name this library's changes are signed with: the one given, else the login name (the core
/// signs a blank one as "someone").
fn person(given: Option<String>) -> String {
    given.or_else(|| std::env::var("USER").ok()).unwrap_or_default()
}

fn print_report(r: &ShareReport, json: bool) -> Result<()> {
    if json {
        return print_json(r);
    }
    say!(
        "Sent: {} subscriptions, {} bookmarks, {} link decisions, {} tags, {} blogs, {} pages, {} collections",
        r.sent.subscriptions,
        r.sent.bookmarks,
        r.sent.decisions,
        r.sent.tags,
        r.sent.sources,
        r.sent.pages,
        r.sent.collections
    );
    say!(
        "Received: {} subscriptions, {} bookmarks, {} link decisions, {} tags, {} blogs, {} pages, {} collections ({} files merged)",
        r.received.subscriptions,
        r.received.bookmarks,
        r.received.decisions,
        r.received.tags,
        r.received.sources,
        r.received.pages,
        r.received.collections,
        r.files_merged
    );
    crate::sync::say_leftovers(
        r.waiting,
        "shared items wait for an episode or post this library does not have yet",
        &r.skipped,
        "Skipped",
    );
    Ok(())
}

/// Runs `share …`.
pub fn run(lib: &mut Library, args: ShareArgs) -> Result<ExitCode> {
    match args.action {
        ShareAction::Create {
            folder,
            name,
            person: p,
            json,
        } => {
            let r = share::create(lib, &folder, &name, &person(p), now())?;
            if !json {
                // For a server, the address now holds the archive's id: the one to pass around.
                let at = lib
                    .share_status()?
                    .folder
                    .unwrap_or_else(|| folder.display().to_string());
                say!("Sharing {name:?} through {at}");
            }
            print_report(&r, json)?;
        }
        ShareAction::Join {
            folder,
            person: p,
            json,
        } => {
            let r = share::join(lib, &folder, &person(p), now())?;
            if !json {
                say!("Joined the archive in {}", folder.display());
            }
            print_report(&r, json)?;
        }
        ShareAction::Sync { json } => print_report(&share::sync(lib, now())?, json)?,
        ShareAction::Status { json } => {
            let s = lib.share_status()?;
            if json {
                print_json(&s)?;
            } else if !s.shared {
                say!("Not shared (earmark-cli share create FOLDER --name NAME, or share join FOLDER)");
            } else {
                let at = s.folder.unwrap_or_default();
                say!(
                    "Sharing {:?} as {}",
                    s.name.unwrap_or_default(),
                    s.person.unwrap_or_default()
                );
                // A server's address is what a teammate joins with; a folder is each one's copy.
                if s.on_server {
                    say!("Teammates join with: {at}");
                } else {
                    say!("Folder: {at} ({} files, {} bytes)", s.folder_files, s.folder_bytes);
                }
                say!("Last sync: {}", s.last_sync.as_deref().unwrap_or("never"));
                if let Some(e) = s.last_error {
                    say!("Last attempt failed: {e}");
                }
                say!(
                    "Shared: {} subscriptions, {} bookmarks, {} link decisions, {} tags, {} blogs, {} pages, {} collections",
                    s.items.subscriptions,
                    s.items.bookmarks,
                    s.items.decisions,
                    s.items.tags,
                    s.items.sources,
                    s.items.pages,
                    s.items.collections,
                );
            }
        }
        ShareAction::Compact => {
            let removed = share::compact(lib, now())?;
            say!("Wrote a snapshot; removed {removed} files it covers");
        }
        ShareAction::Leave => {
            share::leave(lib)?;
            say!("Stopped sharing; this library keeps everything, and the folder stays for the others");
        }
    }
    Ok(ExitCode::SUCCESS)
}
