//! The gPodder API's JSON, read strictly: a server's answer is checked whole (types, sizes, times)
//! before anything in it touches the library, so a malformed or hostile answer changes nothing.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SyncError;

/// Longest URL, guid or device id taken from a server; anything longer is a broken answer.
const MAX_TEXT: usize = 8 * 1024;
/// Earliest and latest action time believed (1995 to 2200): a time outside is a broken answer.
const MIN_TS: i64 = 788_918_400;
const MAX_TS: i64 = 7_258_118_400;
/// The longest plausible episode, in seconds (1,000 hours).
const MAX_SECS: f64 = 3_600_000.0;

/// What an episode action says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case", ascii_case_insensitive)]
pub enum ActionKind {
    /// Listened to: carries a position.
    Play,
    /// The media was downloaded on that device.
    Download,
    /// The download was deleted on that device.
    Delete,
    /// Marked as new (unplayed).
    New,
}

impl ActionKind {
    /// The API's name (lower case; the Nextcloud app answers in upper case).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// One checked episode action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The podcast's feed URL.
    pub podcast: String,
    /// The episode's media URL.
    pub episode: String,
    /// The episode's guid, when the sender knew it.
    pub guid: Option<String>,
    /// What happened.
    pub kind: ActionKind,
    /// When it happened (unix seconds); `None` when the server gave no usable time, which makes the
    /// action older than anything.
    pub at: Option<i64>,
    /// For `play`: where the listener stopped, in seconds.
    pub position: Option<f64>,
    /// For `play`: the episode's length as the sender knew it, in seconds.
    pub total: Option<f64>,
}

#[derive(Deserialize)]
struct RawAction {
    podcast: String,
    episode: String,
    #[serde(default)]
    guid: Option<String>,
    action: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    position: Option<f64>,
    #[serde(default)]
    total: Option<f64>,
}

#[derive(Deserialize)]
struct RawActions {
    actions: Vec<RawAction>,
    timestamp: i64,
}

#[derive(Deserialize)]
struct RawSubs {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    timestamp: i64,
}

#[derive(Deserialize)]
struct RawUploaded {
    timestamp: i64,
    #[serde(default)]
    update_urls: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct RawDevice {
    id: String,
}

/// A server's list of subscription changes since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubChanges {
    /// Feed URLs subscribed.
    pub add: Vec<String>,
    /// Feed URLs unsubscribed.
    pub remove: Vec<String>,
    /// The server's time to ask from next.
    pub timestamp: i64,
}

/// What a server said to an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The server's time of the upload.
    pub timestamp: i64,
    /// URLs the server rewrote: (as sent, as stored).
    pub update_urls: Vec<(String, String)>,
}

fn bad(what: &str) -> SyncError {
    SyncError::BadAnswer(what.to_owned())
}

fn text(s: String, what: &str) -> Result<String, SyncError> {
    if s.len() > MAX_TEXT {
        return Err(bad(&format!("{what} longer than {MAX_TEXT} bytes")));
    }
    Ok(s)
}

fn server_time(t: i64) -> Result<i64, SyncError> {
    if (0..=MAX_TS).contains(&t) {
        Ok(t)
    } else {
        Err(bad(&format!("server time {t} is out of range")))
    }
}

fn secs(v: Option<f64>, what: &str) -> Result<Option<f64>, SyncError> {
    match v {
        // -1 is how some clients say "no position" (AntennaPod for download and delete).
        Some(x) if x < 0.0 => Ok(None),
        Some(x) if !x.is_finite() || x > MAX_SECS => Err(bad(&format!("{what} {x} is not a plausible time"))),
        other => Ok(other),
    }
}

/// Reads an action time as servers write it: `2024-01-01T12:00:00`, with or without fractions,
/// `Z` or an offset (the Nextcloud app adds `+00:00`). No offset means UTC.
pub fn parse_time(s: &str) -> Option<i64> {
    let t = DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|d| d.and_utc().timestamp())
        })?;
    // gPodder servers fill a missing time with the epoch: that is "unknown", not 1970.
    (MIN_TS..=MAX_TS).contains(&t).then_some(t)
}

/// Writes an action time the one way every server reads: UTC, whole seconds, no zone.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn check_action(r: RawAction) -> Result<Option<Action>, SyncError> {
    let Some(kind) = ActionKind::parse(&r.action) else {
        // Unknown kinds are for other clients; they are skipped, not an error.
        return Ok(None);
    };
    let position = secs(r.position, "position")?;
    let total = secs(r.total, "total")?;
    Ok(Some(Action {
        podcast: text(r.podcast, "podcast URL")?,
        episode: text(r.episode, "episode URL")?,
        guid: r.guid.map(|g| text(g, "guid")).transpose()?.filter(|g| !g.is_empty()),
        kind,
        at: r.timestamp.as_deref().and_then(parse_time),
        // Only a play carries a position: a download or delete with one must not move anything.
        position: if kind == ActionKind::Play { position } else { None },
        total: if kind == ActionKind::Play { total } else { None },
    }))
}

/// Reads `{actions, timestamp}` (the answer to a pull of episode actions).
pub fn parse_actions(body: &[u8]) -> Result<(Vec<Action>, i64), SyncError> {
    let raw: RawActions = serde_json::from_slice(body).map_err(|e| bad(&format!("episode actions: {e}")))?;
    let timestamp = server_time(raw.timestamp)?;
    let mut out = Vec::with_capacity(raw.actions.len());
    for a in raw.actions {
        if let Some(a) = check_action(a)? {
            out.push(a);
        }
    }
    Ok((out, timestamp))
}

/// Reads `{add, remove, timestamp}` (the answer to a pull of subscription changes).
pub fn parse_sub_changes(body: &[u8]) -> Result<SubChanges, SyncError> {
    let raw: RawSubs = serde_json::from_slice(body).map_err(|e| bad(&format!("subscriptions: {e}")))?;
    let urls = |v: Vec<String>| {
        v.into_iter()
            .map(|u| text(u, "feed URL"))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(SubChanges {
        add: urls(raw.add)?,
        remove: urls(raw.remove)?,
        timestamp: server_time(raw.timestamp)?,
    })
}

/// Reads `{timestamp, update_urls?}` (the answer to an upload).
pub fn parse_uploaded(body: &[u8]) -> Result<Uploaded, SyncError> {
    let raw: RawUploaded = serde_json::from_slice(body).map_err(|e| bad(&format!("upload answer: {e}")))?;
    let update_urls = raw
        .update_urls
        .into_iter()
        .map(|(a, b)| Ok((text(a, "feed URL")?, text(b, "feed URL")?)))
        .collect::<Result<Vec<_>, SyncError>>()?;
    Ok(Uploaded {
        timestamp: server_time(raw.timestamp)?,
        update_urls,
    })
}

/// Reads a device list, keeping the ids once each (some servers repeat a device per subscription).
pub fn parse_devices(body: &[u8]) -> Result<Vec<String>, SyncError> {
    let raw: Vec<RawDevice> = serde_json::from_slice(body).map_err(|e| bad(&format!("devices: {e}")))?;
    let mut ids: Vec<String> = Vec::new();
    for d in raw {
        let id = text(d.id, "device id")?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// One action as sent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutAction {
    /// The podcast's feed URL.
    pub podcast: String,
    /// The episode's media URL.
    pub episode: String,
    /// The episode's guid.
    pub guid: String,
    /// This device (absent for a server without devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `play`, `download`, `delete`.
    pub action: &'static str,
    /// When it happened, as [`format_time`] writes it.
    pub timestamp: String,
    /// For `play`: where playback of this stretch started (always 0: Earmark keeps no history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
    /// For `play`: the position in whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// For `play`: the episode's length in whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_form_servers_write() {
        let want = Some(1_704_110_400);
        assert_eq!(parse_time("2024-01-01T12:00:00"), want);
        assert_eq!(parse_time("2024-01-01T12:00:00Z"), want);
        assert_eq!(parse_time("2024-01-01T12:00:00.250"), want);
        assert_eq!(parse_time("2024-01-01T12:00:00+00:00"), want);
        assert_eq!(parse_time("2024-01-01T13:00:00+01:00"), want);
        assert_eq!(parse_time("1970-01-01T00:00:00"), None, "the epoch is a missing time");
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("9999-01-01T00:00:00"), None);
    }

    #[test]
    fn a_download_or_delete_never_carries_a_position() {
        let body = br#"{"timestamp": 100, "actions": [
            {"podcast": "https://f/x", "episode": "https://m/1.mp3", "action": "download", "position": -1,
             "timestamp": "2024-01-01T12:00:00"},
            {"podcast": "https://f/x", "episode": "https://m/1.mp3", "action": "DELETE", "position": 300},
            {"podcast": "https://f/x", "episode": "https://m/1.mp3", "action": "PLAY", "position": 750,
             "total": 1800, "started": 0, "guid": "g1", "timestamp": "2024-01-01T12:00:00+00:00"},
            {"podcast": "https://f/x", "episode": "https://m/1.mp3", "action": "flattr"}
        ]}"#;
        let (actions, ts) = parse_actions(body).expect("parses");
        assert_eq!(ts, 100);
        assert_eq!(actions.len(), 3, "an unknown kind is skipped");
        assert_eq!(actions[0].kind, ActionKind::Download);
        assert_eq!(actions[0].position, None);
        assert_eq!(actions[1].kind, ActionKind::Delete);
        assert_eq!(actions[1].position, None);
        assert_eq!(actions[1].at, None);
        assert_eq!(actions[2].kind, ActionKind::Play);
        assert_eq!(actions[2].position, Some(750.0));
        assert_eq!(actions[2].guid.as_deref(), Some("g1"));
    }

    #[test]
    fn hostile_answers_are_errors() {
        for body in [
            &br#"{"timestamp": "soon", "actions": []}"#[..],
            br#"{"timestamp": 1, "actions": [{"podcast": 5, "episode": "e", "action": "play"}]}"#,
            br#"{"timestamp": 1, "actions": [{"podcast": "p", "episode": "e", "action": "play", "position": 1e300}]}"#,
            br#"{"timestamp": -5, "actions": []}"#,
            br#"<html>502 Bad Gateway</html>"#,
            br#"{"actions": []}"#,
        ] {
            assert!(
                matches!(parse_actions(body), Err(SyncError::BadAnswer(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let long = format!(
            r#"{{"add": ["{}"], "remove": [], "timestamp": 1}}"#,
            "a".repeat(MAX_TEXT + 1)
        );
        assert!(parse_sub_changes(long.as_bytes()).is_err());
        assert!(parse_sub_changes(br#"{"add": [1], "remove": [], "timestamp": 1}"#).is_err());
    }

    #[test]
    fn devices_are_listed_once() {
        let body = br#"[{"id":"a","caption":"x","type":"desktop","subscriptions":2},{"id":"a"},{"id":"b"}]"#;
        assert_eq!(
            parse_devices(body).expect("parses"),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }

    #[test]
    fn actions_are_written_as_servers_read_them() {
        let t = DateTime::from_timestamp(1_704_110_400, 0).expect("time");
        assert_eq!(format_time(t), "2024-01-01T12:00:00");
        let a = OutAction {
            podcast: "p".into(),
            episode: "e".into(),
            guid: "g".into(),
            device: None,
            action: "download",
            timestamp: format_time(t),
            started: None,
            position: None,
            total: None,
        };
        let json = serde_json::to_string(&a).expect("json");
        assert!(!json.contains("position") && !json.contains("device"), "{json}");
    }
}
