//! What Earmark's tests and benchmarks share, so each helper is written once: a scripted HTTP
//! server and a ranged media server on 127.0.0.1, a private PulseAudio sink that plays in real
//! time, an automerge-repo sync server (Node, from tools/share-server), a private D-Bus session with a
//! real Secret Service keyring, a mutation fuzzer that runs under `cargo test`, and the table every
//! benchmark prints.
//! With the `library` feature: a WordPress-like site, the gPodder sync servers and a check that a
//! library's SQLite file is whole.
//!
//! Nothing here may reach beyond 127.0.0.1 or download anything.

pub mod bench;
pub mod cli;
pub mod fuzz;
pub mod http;
pub mod media;
pub mod media_server;
pub mod pulse;
pub mod rng;
pub mod session_bus;
pub mod share_server;

#[cfg(feature = "library")]
pub mod gpodder;
#[cfg(feature = "library")]
pub mod sqlite;
#[cfg(feature = "library")]
pub mod wpsite;
