//! Stable bookmark ids that survive export and import: 128 bits in the UUID text form, the
//! first 48 bits from the creation time (so ids sort roughly by age, like UUIDv7) and the rest
//! random. Randomness comes from the standard library's per-process random hash keys, mixed
//! with a counter, so no extra crate is needed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn random_u64() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut h = KEYS.get_or_init(RandomState::new).build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    // A fresh RandomState per call also differs by process and thread.
    let mut extra = RandomState::new().build_hasher();
    extra.write_u64(h.finish());
    extra.finish()
}

/// A new id for a bookmark made at `now`, formatted like a version-7 UUID.
pub fn new_uid(now: DateTime<Utc>) -> String {
    let ms = now.timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
    let r1 = random_u64();
    let r2 = random_u64();
    let hi = (ms << 16) | 0x7000 | (r1 & 0x0fff);
    let lo = (r2 & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_shaped_like_uuids() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_uid(now)).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(5) {
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!(id.matches('-').count(), 4, "{id}");
            assert_eq!(&id[14..15], "7", "{id}");
        }
        // The same moment gives the same prefix: ids sort by creation time.
        assert!(ids.iter().all(|i| i[..8] == ids.iter().next().expect("one")[..8]));
    }
}
