//! How far the skip buttons, the arrow keys and the desktop's media controls jump. Listeners
//! differ (a long back-skip to catch a missed sentence, a short forward one past an advert), so
//! the two lengths are settings kept in the library, not constants in each shell.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::library::Library;

/// The settings keys of the two lengths.
const BACK_KEY: &str = "skip_back_secs";
const FORWARD_KEY: &str = "skip_forward_secs";

/// The shortest and longest skip accepted, in seconds.
pub const SKIP_RANGE: (u32, u32) = (1, 600);

/// The skip lengths in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SkipLengths {
    /// How far "skip back" goes.
    pub back_secs: u32,
    /// How far "skip forward" goes.
    pub forward_secs: u32,
}

impl Default for SkipLengths {
    /// 10 s back and 30 s forward, as most podcast players do.
    fn default() -> Self {
        SkipLengths {
            back_secs: 10,
            forward_secs: 30,
        }
    }
}

fn check(what: &str, secs: u32) -> Result<u32> {
    if (SKIP_RANGE.0..=SKIP_RANGE.1).contains(&secs) {
        Ok(secs)
    } else {
        Err(Error::Invalid(format!(
            "the {what} skip must be between {} and {} seconds, not {secs}",
            SKIP_RANGE.0, SKIP_RANGE.1
        )))
    }
}

impl Library {
    /// The skip lengths in force (the defaults until changed; a damaged value reads as its default).
    pub fn skip_lengths(&self) -> Result<SkipLengths> {
        let read = |key: &str| -> Result<Option<u32>> {
            let v = self.setting(key)?;
            Ok(v.and_then(|s| s.parse().ok()).and_then(|n| check("stored", n).ok()))
        };
        let d = SkipLengths::default();
        Ok(SkipLengths {
            back_secs: read(BACK_KEY)?.unwrap_or(d.back_secs),
            forward_secs: read(FORWARD_KEY)?.unwrap_or(d.forward_secs),
        })
    }

    /// Changes one or both lengths (`None` keeps it); returns the lengths now in force. Out of
    /// range values are refused and nothing is changed.
    pub fn set_skip_lengths(&mut self, back_secs: Option<u32>, forward_secs: Option<u32>) -> Result<SkipLengths> {
        let back = back_secs.map(|s| check("back", s)).transpose()?;
        let forward = forward_secs.map(|s| check("forward", s)).transpose()?;
        let tx = self.conn_mut().transaction()?;
        for (key, value) in [(BACK_KEY, back), (FORWARD_KEY, forward)] {
            if let Some(v) = value {
                crate::storage::put_setting(&tx, key, &v.to_string())?;
            }
        }
        tx.commit()?;
        self.skip_lengths()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_changes_survive_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("library");
        {
            let mut lib = Library::open(&path).expect("open");
            assert_eq!(lib.skip_lengths().expect("read"), SkipLengths::default());
            let now = lib.set_skip_lengths(Some(15), None).expect("set back");
            assert_eq!(
                now,
                SkipLengths {
                    back_secs: 15,
                    forward_secs: 30
                }
            );
            lib.set_skip_lengths(None, Some(45)).expect("set forward");
        }
        let lib = Library::open(&path).expect("reopen");
        assert_eq!(
            lib.skip_lengths().expect("read"),
            SkipLengths {
                back_secs: 15,
                forward_secs: 45
            }
        );
    }

    #[test]
    fn out_of_range_lengths_are_refused_and_change_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut lib = Library::open(&dir.path().join("library")).expect("open");
        for (b, f) in [(Some(0), None), (None, Some(601)), (Some(20), Some(0))] {
            let err = lib.set_skip_lengths(b, f).expect_err("refused");
            assert!(err.to_string().contains("between 1 and 600"), "{err}");
        }
        assert_eq!(lib.skip_lengths().expect("read"), SkipLengths::default());
    }
}
