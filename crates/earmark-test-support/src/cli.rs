//! Running `earmark-cli` in a test, sealed from the machine it runs on: its own library, no
//! proxy or library setting from the environment, no terminal on stdin, and a podcast directory
//! lookup pointed at a port where nothing listens, so a test that forgot to point it at a fixture
//! fails fast instead of reaching the network.

use std::path::Path;
use std::process::{Command, Stdio};

/// Variables of the test's own environment that would change what the binary does.
const UNSET: [&str; 8] = [
    "EARMARK_LIBRARY",
    "EARMARK_LOG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// `binary --library library`, sealed as the module says, with a 5 s fetch timeout; add arguments
/// and more environment to it. `binary` is the caller's `env!("CARGO_BIN_EXE_earmark-cli")`,
/// which only an integration test of the CLI knows.
pub fn sealed(binary: &str, library: &Path) -> Command {
    let mut c = Command::new(binary);
    c.arg("--library").arg(library);
    for var in UNSET {
        c.env_remove(var);
    }
    // Nothing listens on port 9 of 127.0.0.1.
    c.env("EARMARK_ITUNES_BASE", "http://127.0.0.1:9/")
        .env("EARMARK_HTTP_TIMEOUT_SECS", "5")
        .stdin(Stdio::null());
    c
}
