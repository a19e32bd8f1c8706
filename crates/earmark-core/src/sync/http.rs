//! The conversation with a sync server: which API it speaks, and each request with its limits.
//! Every request carries HTTP Basic (both flavours accept it on every call, so no session cookie
//! has to be kept), has a whole-request deadline, and reads at most [`MAX_BODY`] bytes.

use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::{Method, StatusCode};
use url::Url;

use super::wire::{self, Action, OutAction, SubChanges, Uploaded};
use super::{Flavour, SyncError};

/// The most a server may answer in one body (20,000 actions are about 6 MB).
const MAX_BODY: u64 = 64 * 1024 * 1024;
/// The most actions sent in one request: big enough that a first sync is a few requests, small
/// enough to stay under servers' body limits (podsync takes 2 MB).
pub const UPLOAD_BATCH: usize = 2_000;
/// Where the Nextcloud app answers, below the server's base URL.
const NEXTCLOUD_BASE: [&str; 3] = ["index.php", "apps", "gpoddersync"];

/// A sync server and the account on it.
pub struct Server {
    base: Url,
    user: String,
    password: String,
    client: Client,
    requests: AtomicU32,
}

impl Server {
    /// A client for `base` (e.g. `https://sync.example` or a Nextcloud under `/cloud`).
    pub fn new(base: &str, user: &str, password: &str, timeout: Duration) -> Result<Self, SyncError> {
        let mut base = Url::parse(base.trim()).map_err(|e| SyncError::Invalid(format!("server URL {base:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(SyncError::Invalid(format!("server URL {base} must be http(s)://host")));
        }
        if user.is_empty() || user.contains('/') {
            return Err(SyncError::Invalid(
                "the user name must be non-empty and have no '/'".into(),
            ));
        }
        base.set_query(None);
        base.set_fragment(None);
        let client = Client::builder()
            .user_agent(concat!("Earmark/", env!("CARGO_PKG_VERSION"), " (gPodder sync)"))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Server {
            base,
            user: user.to_owned(),
            password: password.to_owned(),
            client,
            requests: AtomicU32::new(0),
        })
    }

    /// How many requests this client has made (for the report and the benchmark).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The server's base URL as given.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, segments: &[&str], query: Option<(&str, String)>) -> Url {
        let mut u = self.base.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        if let Some((k, v)) = query {
            u.query_pairs_mut().append_pair(k, &v);
        }
        u
    }

    fn send(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Vec<u8>, SyncError> {
        self.send_dated(method, url, body).map(|(b, _)| b)
    }

    /// Sends a request; returns the body and the server's clock from its `Date` header.
    fn send_dated(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<(Vec<u8>, Option<i64>), SyncError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = self
            .client
            .request(method, url.clone())
            .basic_auth(&self.user, Some(&self.password))
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req.send().map_err(|e| unreachable(&url, &e))?;
        check_status(&resp, &url)?;
        let date = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.timestamp());
        Ok((read_capped(resp, &url)?, date))
    }

    /// Finds which API the server speaks from its answers: the gPodder API's login first, then the
    /// Nextcloud app's subscription list. A refused login is said as such; anything else that
    /// answers neither is not a sync server.
    pub fn detect(&self) -> Result<Flavour, SyncError> {
        let login = self.url(&["api", "2", "auth", &self.user, "login.json"], None);
        match self.send(Method::POST, login, None) {
            Ok(_) => return Ok(Flavour::Gpodder),
            Err(SyncError::Status { status: 404 | 405, .. }) => {}
            Err(e) => return Err(e),
        }
        let probe = self.nextcloud_url("subscriptions", Some(("since", PROBE_SINCE.to_owned())));
        match self.send(Method::GET, probe, None) {
            Ok(body) => {
                wire::parse_sub_changes(&body)?;
                Ok(Flavour::Nextcloud)
            }
            Err(SyncError::Status { status: 404 | 405, .. }) | Err(SyncError::BadAnswer(_)) => {
                Err(SyncError::NotASyncServer(self.base.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    fn nextcloud_url(&self, last: &str, query: Option<(&str, String)>) -> Url {
        let mut segs: Vec<&str> = NEXTCLOUD_BASE.to_vec();
        segs.extend(last.split('/'));
        self.url(&segs, query)
    }

    /// Registers (or updates) this device: gPodder servers keep subscriptions per device.
    pub fn register_device(&self, device: &str, caption: &str) -> Result<(), SyncError> {
        let url = self.url(&["api", "2", "devices", &self.user, &format!("{device}.json")], None);
        let body = serde_json::json!({ "caption": caption, "type": "desktop" });
        self.send(Method::POST, url, Some(body.to_string().into_bytes()))?;
        Ok(())
    }

    /// The account's devices (gPodder flavour).
    pub fn devices(&self) -> Result<Vec<String>, SyncError> {
        let url = self.url(&["api", "2", "devices", &format!("{}.json", self.user)], None);
        wire::parse_devices(&self.send(Method::GET, url, None)?)
    }

    /// Subscription changes on `device` (ignored by the Nextcloud app) since a server time.
    pub fn pull_subs(&self, flavour: Flavour, device: &str, since: i64) -> Result<SubChanges, SyncError> {
        let q = Some(("since", since.to_string()));
        let url = match flavour {
            Flavour::Gpodder => self.url(&["api", "2", "subscriptions", &self.user, &format!("{device}.json")], q),
            Flavour::Nextcloud => self.nextcloud_url("subscriptions", q),
        };
        let (body, date) = self.send_dated(Method::GET, url, None)?;
        let mut changes = wire::parse_sub_changes(&body)?;
        changes.timestamp = safe_cursor(changes.timestamp, date);
        Ok(changes)
    }

    /// Sends subscription changes from this device.
    pub fn push_subs(
        &self,
        flavour: Flavour,
        device: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Uploaded, SyncError> {
        let url = match flavour {
            Flavour::Gpodder => self.url(
                &["api", "2", "subscriptions", &self.user, &format!("{device}.json")],
                None,
            ),
            Flavour::Nextcloud => self.nextcloud_url("subscription_change/create", None),
        };
        let body = serde_json::json!({ "add": add, "remove": remove });
        wire::parse_uploaded(&self.send(Method::POST, url, Some(body.to_string().into_bytes()))?)
    }

    /// Episode actions from every device since a server time.
    pub fn pull_actions(&self, flavour: Flavour, since: i64) -> Result<(Vec<Action>, i64), SyncError> {
        let q = Some(("since", since.to_string()));
        let url = match flavour {
            Flavour::Gpodder => self.url(&["api", "2", "episodes", &format!("{}.json", self.user)], q),
            Flavour::Nextcloud => self.nextcloud_url("episode_action", q),
        };
        let (body, date) = self.send_dated(Method::GET, url, None)?;
        let (actions, timestamp) = wire::parse_actions(&body)?;
        Ok((actions, safe_cursor(timestamp, date)))
    }

    /// Sends one batch of actions (at most [`UPLOAD_BATCH`]).
    pub fn push_actions(&self, flavour: Flavour, actions: &[OutAction]) -> Result<Uploaded, SyncError> {
        let url = match flavour {
            Flavour::Gpodder => self.url(&["api", "2", "episodes", &format!("{}.json", self.user)], None),
            Flavour::Nextcloud => self.nextcloud_url("episode_action/create", None),
        };
        let body = serde_json::to_vec(actions).map_err(|e| SyncError::Invalid(e.to_string()))?;
        wire::parse_uploaded(&self.send(Method::POST, url, Some(body))?)
    }
}

/// Where to ask from next time. Server times are whole seconds and `since` is exclusive, so a
/// change stored later in the very second the answer names would never be seen: when that second
/// is not yet over on the server's clock (its `Date` header; unknown counts as not over), the
/// cursor stays one second back and that second is asked again (what comes twice changes nothing).
fn safe_cursor(timestamp: i64, server_now: Option<i64>) -> i64 {
    match server_now {
        Some(now) if timestamp < now => timestamp,
        _ => (timestamp - 1).max(0),
    }
}

/// A "since" far in the future (2100): the probe asks for nothing, so a big account answers small.
const PROBE_SINCE: &str = "4102444800";

fn unreachable(url: &Url, e: &reqwest::Error) -> SyncError {
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        e.to_string()
    };
    SyncError::Unreachable(format!("{}: {what}", redact(url)))
}

fn check_status(resp: &Response, url: &Url) -> Result<(), SyncError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SyncError::LoginRefused,
        s if s.is_server_error() => SyncError::ServerFailed(s.as_u16()),
        s => SyncError::Status {
            status: s.as_u16(),
            url: redact(url),
        },
    })
}

fn read_capped(resp: Response, url: &Url) -> Result<Vec<u8>, SyncError> {
    let mut body = Vec::new();
    resp.take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| SyncError::Unreachable(format!("{}: the answer was cut off ({e})", redact(url))))?;
    if body.len() as u64 > MAX_BODY {
        return Err(SyncError::BadAnswer(format!(
            "the answer is larger than {} MB",
            MAX_BODY >> 20
        )));
    }
    Ok(body)
}

/// A URL for messages: no user info, no query (the path names the user, which is fine to show).
fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.set_query(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stays_back_while_its_second_is_not_over() {
        assert_eq!(safe_cursor(100, Some(105)), 100, "a past second is complete");
        assert_eq!(safe_cursor(100, Some(100)), 99, "the current second may still grow");
        assert_eq!(safe_cursor(100, None), 99, "no clock: ask that second again");
        assert_eq!(safe_cursor(0, None), 0);
    }
}
