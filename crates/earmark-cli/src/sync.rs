//! `earmark-cli sync`: log in to a gPodder sync server (or a Nextcloud with gPodder Sync), sync,
//! and say what the last sync did.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use earmark_core::config::Config;
use earmark_core::sync::{self, SecretStore, SyncReport};
use earmark_core::Library;

use crate::{now, print_json};

/// `sync` with no subcommand syncs now.
#[derive(Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    action: Option<SyncAction>,
    /// Print what was sent and received as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SyncAction {
    /// Set the account: checks it against the server and registers this computer as a device.
    /// The password comes from EARMARK_SYNC_PASSWORD, else a prompt.
    Login {
        /// The server, e.g. https://gpodder.example or https://cloud.example (a Nextcloud).
        url: String,
        /// The user name.
        #[arg(long)]
        user: String,
        /// This computer's device id on the server (default: earmark-<host name>).
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The account, the last sync and what waits to be sent.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Forget the account and its password (what waits to be sent is kept).
    Logout,
}

fn password() -> Result<String> {
    if let Ok(p) = std::env::var("EARMARK_SYNC_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (or app password): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("reading the password")?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !p.is_empty(),
        "no password given (type it, or set EARMARK_SYNC_PASSWORD)"
    );
    Ok(p)
}

/// Runs `sync …`.
pub fn run(lib: &mut Library, config: &Config, args: SyncArgs) -> Result<ExitCode> {
    let secrets = config.secrets();
    match args.action {
        Some(SyncAction::Login {
            url,
            user,
            device,
            json,
        }) => {
            let host = sync::host_name();
            let device = device.unwrap_or_else(|| sync::device_id_for(&host));
            let caption = sync::device_caption(&host);
            let password = password()?;
            let req = sync::LoginRequest {
                server: &url,
                user: &user,
                password: &password,
                device: &device,
                caption: &caption,
                timeout: config.fetch.timeout,
            };
            let (account, store) = sync::login(lib, &secrets, &req, now())?;
            if json {
                print_json(&account)?;
            } else {
                let kept = match store {
                    SecretStore::Keyring => "in the desktop keyring".to_owned(),
                    SecretStore::File(p) => format!("in {} (readable by you only)", p.display()),
                };
                say!(
                    "Logged in to {} as {} ({} API), this computer is device {}; password kept {kept}",
                    account.server,
                    account.user,
                    account.flavour_name(),
                    account.device
                );
            }
        }
        Some(SyncAction::Status { json }) => {
            let status = lib.sync_status()?;
            if json {
                print_json(&status)?;
            } else {
                match &status.account {
                    Some(a) => say!("Syncing with {} as {} (device {})", a.server, a.user, a.device),
                    None => say!("No sync account (earmark-cli sync login URL --user NAME)"),
                }
                say!("Last sync: {}", status.last_sync.as_deref().unwrap_or("never"));
                if let Some(e) = &status.last_error {
                    say!("Last attempt failed: {e}");
                }
                say!(
                    "Waiting to be sent: {} subscription changes, {} episode actions; {} actions from the server wait for their episode",
                    status.pending_subscriptions, status.pending_actions, status.unmatched
                );
            }
        }
        Some(SyncAction::Logout) => {
            sync::logout(lib, &secrets)?;
            say!("Logged out; the password is forgotten. Changes made here stay queued for a later login.");
        }
        None => {
            let report = sync::sync(lib, &secrets, &config.resolver()?, config.fetch.timeout, now())?;
            if args.json {
                print_json(&report)?;
            } else {
                print_report(&report);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The end of a sync's report, the share's too: how many received items wait for something this
/// library does not have yet (`waiting` of them, said as `waits`), then each item that could not be
/// taken, after `problem`.
pub(crate) fn say_leftovers(waiting: u32, waits: &str, problems: &[String], problem: &str) {
    if waiting > 0 {
        say!("{waiting} {waits}");
    }
    for p in problems {
        say!("{problem} {p}");
    }
}

fn print_report(r: &SyncReport) {
    say!(
        "Sent: {} subscriptions added, {} removed, {} episode actions",
        r.sent.subscriptions_added,
        r.sent.subscriptions_removed,
        r.sent.actions
    );
    say!(
        "Received: {} subscriptions added, {} removed, {} episode actions ({} positions moved, {} played/unplayed)",
        r.received.subscriptions_added,
        r.received.subscriptions_removed,
        r.received.actions,
        r.positions_moved,
        r.played_changed
    );
    say_leftovers(
        r.unmatched,
        "actions from the server wait for episodes this library does not have yet",
        &r.failed_subscriptions,
        "Could not add (tried again next sync):",
    );
    if r.queued > 0 {
        say!("{} changes still wait to be sent", r.queued);
    }
}
