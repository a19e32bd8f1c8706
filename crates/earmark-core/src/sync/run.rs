//! One sync, in the order that loses nothing: pull the server's subscription changes and episode
//! actions and apply them (newest wins), then send what waits here. Pulling first means a state the
//! server has newer is applied, and so no longer waits to be sent, before anything goes out.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::http::{Server, UPLOAD_BATCH};
use super::secret::{SecretStore, Secrets};
use super::wire::{format_time, OutAction};
use super::{Account, Flavour, SyncError, SyncReport};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::resolve::{is_web_feed, subscribe, Resolver};

/// How far back to ask a server that counts `since` in the actions' own time (the Nextcloud app):
/// an action another device uploads late, but made within this window, is still seen.
const ACTION_TIME_LOOKBACK_SECS: i64 = 7 * 24 * 3600;
/// How often a sync with a gPodder-API server asks for the last [`ACTION_TIME_LOOKBACK_SECS`]
/// of actions instead of only those since its cursor. Servers of that API disagree on whether
/// `since` counts upload time (gpodder.net, podsync) or the actions' own time, and nothing in
/// their answers says which. On an upload-time server the sweep only sees again what was seen
/// (applying it changes nothing); on an action-time one it finds another device's late uploads,
/// which the cursor alone would miss for good. Other syncs stay one small request.
const SWEEP_EVERY_SECS: i64 = 24 * 3600;

/// What a login needs.
pub struct LoginRequest<'a> {
    /// The server's base URL.
    pub server: &'a str,
    /// The user name.
    pub user: &'a str,
    /// The password or app password.
    pub password: &'a str,
    /// This device's id on the server (see [`device_id_for`]).
    pub device: &'a str,
    /// What other apps show for this device.
    pub caption: &'a str,
    /// The deadline for each request.
    pub timeout: Duration,
}

/// This computer's name (for the device id and the caption other apps show), empty if unknown.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

/// What other apps show for this device.
pub fn device_caption(host: &str) -> String {
    if host.is_empty() {
        "Earmark".to_owned()
    } else {
        format!("Earmark on {host}")
    }
}

/// A device id gPodder servers accept (letters, digits and dashes: some servers split at a dot)
/// made from the computer's name.
pub fn device_id_for(host: &str) -> String {
    let clean: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let clean = clean.trim_matches('-');
    if clean.is_empty() {
        "earmark-desktop".to_owned()
    } else {
        format!("earmark-{clean}")
    }
}

/// Checks the account against the server (which API it speaks, that the password works),
/// registers this device, keeps the password in `secrets` and the account in the library.
pub fn login(
    lib: &mut Library,
    secrets: &Secrets,
    req: &LoginRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(Account, SecretStore)> {
    if req.device.is_empty()
        || !req
            .device
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SyncError::Invalid(format!("device id {:?}: use letters, digits, - and _", req.device)).into());
    }
    let server = Server::new(req.server, req.user, req.password, req.timeout)?;
    let flavour = server.detect()?;
    if flavour == Flavour::Gpodder {
        server.register_device(req.device, req.caption)?;
    }
    let account = Account {
        server: server.base().to_owned(),
        user: req.user.to_owned(),
        device: req.device.to_owned(),
        flavour,
    };
    let store = secrets.save(&account.server, &account.user, req.password)?;
    lib.set_sync_account(&account, now)?;
    Ok((account, store))
}

/// Forgets the account and its password; what waits to be sent stays for a later login.
pub fn logout(lib: &mut Library, secrets: &Secrets) -> Result<()> {
    if let Some((account, _)) = lib.sync_account()? {
        secrets.forget(&account.server, &account.user)?;
    }
    lib.clear_sync_account()
}

/// Syncs once. On an error the reason is recorded for `sync status` and Settings, and everything
/// waiting to be sent stays waiting.
pub fn sync(
    lib: &mut Library,
    secrets: &Secrets,
    resolver: &Resolver,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<SyncReport> {
    let (account, since) = lib.sync_account()?.ok_or(SyncError::NotLoggedIn)?;
    let password = secrets.load(&account.server, &account.user)?;
    let server = Server::new(&account.server, &account.user, &password, timeout)?;
    let mut report = SyncReport::default();
    let outcome = steps(lib, &server, &account, since, resolver, now, &mut report);
    report.requests = server.requests();
    let status = lib.sync_status()?;
    report.queued = status.pending_subscriptions + status.pending_actions;
    match outcome {
        Ok(()) => {
            lib.record_sync_end(now, None)?;
            Ok(report)
        }
        Err(e) => {
            lib.record_sync_end(now, Some(&e.to_string()))?;
            Err(e)
        }
    }
}

fn steps(
    lib: &mut Library,
    server: &Server,
    account: &Account,
    since: i64,
    resolver: &Resolver,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<()> {
    pull_subscriptions(lib, server, account, resolver, now, report)?;
    push_subscriptions(lib, server, account, report)?;
    let sweep = account.flavour == Flavour::Gpodder && now.timestamp() - lib.actions_swept_at()? >= SWEEP_EVERY_SECS;
    let ask = match account.flavour {
        Flavour::Gpodder if sweep && since > 0 => (since - ACTION_TIME_LOOKBACK_SECS).max(1),
        Flavour::Gpodder => since,
        Flavour::Nextcloud if since > 0 => (since - ACTION_TIME_LOOKBACK_SECS).max(1),
        Flavour::Nextcloud => 0,
    };
    let (actions, timestamp) = server.pull_actions(account.flavour, ask)?;
    report.received.actions = u32::try_from(actions.len()).unwrap_or(u32::MAX);
    let applied = lib.apply_actions(actions)?;
    report.positions_moved = applied.positions_moved;
    report.played_changed = applied.played_changed;
    report.unmatched = applied.unmatched;
    lib.set_actions_since(timestamp)?;
    if sweep {
        lib.set_actions_swept_at(now.timestamp())?;
    }
    push_actions(lib, server, account, report)
}

fn pull_subscriptions(
    lib: &mut Library,
    server: &Server,
    account: &Account,
    resolver: &Resolver,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<()> {
    let devices = match account.flavour {
        Flavour::Nextcloud => vec![String::new()],
        Flavour::Gpodder => {
            // Subscriptions are per device: this device's list sees what other devices added only
            // by reading theirs. A server whose device list fails still syncs this device's own.
            let mut d = match server.devices() {
                Ok(d) => d,
                Err(SyncError::ServerFailed(_) | SyncError::Status { .. } | SyncError::BadAnswer(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            if !d.contains(&account.device) {
                d.push(account.device.clone());
            }
            d
        }
    };
    // url -> subscribe?; across devices in one sync, an add wins over a remove (losing nothing).
    let mut wanted: BTreeMap<String, bool> = BTreeMap::new();
    let mut cursors = Vec::new();
    for device in &devices {
        let cursor = lib.device_cursor(device)?;
        // This device's own list only tells it news once: when it starts from nothing.
        if device == &account.device && cursor.is_some() && account.flavour == Flavour::Gpodder {
            continue;
        }
        let changes = server.pull_subs(account.flavour, device, cursor.unwrap_or(0))?;
        // Only web feeds come from a server: a `file:` address or a path would subscribe this
        // computer to a file of its own on the server's say-so (and a local podcast is never
        // sent, see `push_subscriptions`).
        for url in changes.remove.into_iter().filter(|u| is_web_feed(u)) {
            wanted.entry(url).or_insert(false);
        }
        for url in changes.add {
            if is_web_feed(&url) {
                wanted.insert(url, true);
            } else {
                report.failed_subscriptions.push(format!(
                    "{url}: not subscribed: a sync server can only name web feeds (http, https)"
                ));
            }
        }
        cursors.push((device.clone(), changes.timestamp));
    }
    for url in lib.failed_subs()? {
        wanted.entry(url).or_insert(true);
    }
    // A change made here and not yet sent is the listener's latest word on that show: a server's
    // older list (another device still holding the show) must not undo it.
    let unsent: std::collections::HashSet<String> = lib.pending_subs()?.into_iter().map(|p| p.0).collect();
    for (url, subscribe_it) in wanted {
        let known = lib.podcast_for_feed_url(&url)?;
        if let Some((id, _)) = known {
            if unsent.contains(&lib.podcast(id)?.feed_url) {
                continue;
            }
        }
        match (known, subscribe_it) {
            (Some((id, true)), false) => {
                lib.set_subscribed(id, false, now)?;
                report.received.subscriptions_removed += 1;
            }
            (Some((id, false)), true) => {
                lib.set_subscribed(id, true, now)?;
                lib.set_failed_sub(&url, None)?;
                report.received.subscriptions_added += 1;
            }
            (Some(_), true) => lib.set_failed_sub(&url, None)?,
            (Some(_), false) | (None, false) => {}
            (None, true) => match subscribe(lib, resolver, &url, now) {
                Ok(sub) => {
                    if sub.podcast.feed_url != url {
                        // A redirect or another address of a show already here: remembered, so
                        // the same show is never added twice.
                        lib.add_feed_alias(&url, sub.podcast.id)?;
                    }
                    if !sub.created && !lib.podcast_for_feed_url(&url)?.is_some_and(|(_, s)| s) {
                        lib.set_subscribed(sub.podcast.id, true, now)?;
                    }
                    lib.set_failed_sub(&url, None)?;
                    report.received.subscriptions_added += u32::from(sub.created);
                }
                Err(e) if matches!(e, Error::Db(_) | Error::Io { .. }) => return Err(e),
                Err(e) => {
                    lib.set_failed_sub(&url, Some(&e.to_string()))?;
                    report.failed_subscriptions.push(format!("{url}: {e}"));
                }
            },
        }
    }
    for (device, ts) in cursors {
        lib.set_device_cursor(&device, ts)?;
    }
    Ok(())
}

fn push_subscriptions(lib: &mut Library, server: &Server, account: &Account, report: &mut SyncReport) -> Result<()> {
    let pending = lib.pending_subs()?;
    if pending.is_empty() {
        return Ok(());
    }
    // A local podcast's feed is a path on this computer: it means nothing elsewhere and would
    // tell the server where the listener keeps files, so it stays here (and is cleared below).
    let web = |p: &&(String, bool, String)| is_web_feed(&p.0);
    let add: Vec<String> = pending
        .iter()
        .filter(web)
        .filter(|p| p.1)
        .map(|p| p.0.clone())
        .collect();
    let remove: Vec<String> = pending
        .iter()
        .filter(web)
        .filter(|p| !p.1)
        .map(|p| p.0.clone())
        .collect();
    if add.is_empty() && remove.is_empty() {
        return lib.clear_pending_subs(&pending);
    }
    let uploaded = server.push_subs(account.flavour, &account.device, &add, &remove)?;
    for (sent, stored) in &uploaded.update_urls {
        if sent != stored {
            if let Some((id, _)) = lib.podcast_for_feed_url(sent)? {
                lib.add_feed_alias(stored, id)?;
            }
        }
    }
    lib.clear_pending_subs(&pending)?;
    report.sent.subscriptions_added += u32::try_from(add.len()).unwrap_or(u32::MAX);
    report.sent.subscriptions_removed += u32::try_from(remove.len()).unwrap_or(u32::MAX);
    Ok(())
}

fn action_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| format_time(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| at.to_owned())
}

enum Sent {
    State(i64, String),
    Media(i64, bool, String),
}

fn push_actions(lib: &mut Library, server: &Server, account: &Account, report: &mut SyncReport) -> Result<()> {
    let device = (account.flavour == Flavour::Gpodder).then(|| account.device.clone());
    let mut out: Vec<(OutAction, Sent)> = Vec::new();
    for s in lib.pending_states()? {
        let total = s.duration.map_or(0, |d| d.round() as i64);
        let position = if s.played {
            // Played is a play that reaches the end; with no known length, 1 of 1.
            total.max(1)
        } else {
            s.position.round() as i64
        };
        out.push((
            OutAction {
                podcast: s.feed_url,
                episode: s.media_url,
                guid: s.guid,
                device: device.clone(),
                action: "play",
                timestamp: action_time(&s.changed_at),
                started: Some(0),
                position: Some(position),
                total: Some(if s.played { total.max(1) } else { total }),
            },
            Sent::State(s.episode_id, s.changed_at),
        ));
    }
    let media = lib.pending_media()?;
    if account.flavour == Flavour::Nextcloud {
        // The Nextcloud app keeps only plays: nothing to send, nothing to keep waiting.
        let all: Vec<_> = media.iter().map(|m| (m.episode_id, m.delete, m.at.clone())).collect();
        lib.clear_pending_media(&all)?;
    } else {
        for m in media {
            out.push((
                OutAction {
                    podcast: m.feed_url,
                    episode: m.media_url,
                    guid: m.guid,
                    device: device.clone(),
                    action: if m.delete { "delete" } else { "download" },
                    timestamp: action_time(&m.at),
                    started: None,
                    position: None,
                    total: None,
                },
                Sent::Media(m.episode_id, m.delete, m.at),
            ));
        }
    }
    for batch in out.chunks(UPLOAD_BATCH) {
        let actions: Vec<OutAction> = batch.iter().map(|(a, _)| a.clone()).collect();
        server.push_actions(account.flavour, &actions)?;
        let mut states = Vec::new();
        let mut media = Vec::new();
        for (_, sent) in batch {
            match sent {
                Sent::State(id, at) => states.push((*id, at.clone())),
                Sent::Media(id, delete, at) => media.push((*id, *delete, at.clone())),
            }
        }
        lib.clear_pending_states(&states)?;
        lib.clear_pending_media(&media)?;
        report.sent.actions += u32::try_from(batch.len()).unwrap_or(u32::MAX);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_what_servers_accept() {
        assert_eq!(device_id_for("Ann's Laptop.local"), "earmark-ann-s-laptop-local");
        assert_eq!(device_id_for(""), "earmark-desktop");
        assert!(device_id_for(&"x".repeat(100)).len() <= 48);
    }
}
