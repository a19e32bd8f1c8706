//! Where things are and which limits apply, read once from flags and the environment, so the
//! app and the CLI agree on them.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::fetch::{FetchConfig, Fetcher};
use crate::resolve::{Resolver, ITUNES_BASE};

/// Settings shared by every shell.
#[derive(Debug, Clone)]
pub struct Config {
    /// The library folder (`--library`, else `EARMARK_LIBRARY`, else the platform data dir).
    pub library_dir: PathBuf,
    /// Base URL of the iTunes lookup API (`EARMARK_ITUNES_BASE`, for tests and mirrors).
    pub itunes_base: Url,
    /// Fetch limits (`EARMARK_HTTP_TIMEOUT_SECS` shortens the timeout).
    pub fetch: FetchConfig,
    /// Where a sync password goes when no keyring answers (`EARMARK_SECRETS_DIR`, else the
    /// platform config dir, e.g. ~/.config/earmark): outside the library, so no export holds it.
    pub secrets_dir: PathBuf,
    /// Whether to try the Secret Service keyring: only where a session bus runs (asking D-Bus to
    /// start one would wait), and never with `EARMARK_KEYRING=off` (tests).
    pub keyring: bool,
}

impl Config {
    /// Reads the environment; `library` (a command-line flag) wins over `EARMARK_LIBRARY`.
    pub fn from_env(library: Option<PathBuf>) -> Result<Self> {
        let library_dir = match library.or_else(|| std::env::var_os("EARMARK_LIBRARY").map(PathBuf::from)) {
            Some(dir) => dir,
            None => crate::Library::default_dir()?,
        };
        let base = std::env::var("EARMARK_ITUNES_BASE").unwrap_or_else(|_| ITUNES_BASE.to_owned());
        let mut itunes_base =
            Url::parse(&base).map_err(|_| Error::Invalid(format!("EARMARK_ITUNES_BASE is not a URL: {base}")))?;
        if !itunes_base.path().ends_with('/') {
            itunes_base.set_path(&format!("{}/", itunes_base.path()));
        }
        let mut fetch = FetchConfig::default();
        if let Some(secs) = std::env::var("EARMARK_HTTP_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            if secs.is_finite() && secs > 0.0 {
                fetch.timeout = Duration::from_secs_f64(secs);
            }
        }
        let secrets_dir = match std::env::var_os("EARMARK_SECRETS_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::config_dir()
                .ok_or_else(|| Error::Invalid("no config folder (set EARMARK_SECRETS_DIR)".into()))?
                .join("earmark"),
        };
        let keyring = std::env::var("EARMARK_KEYRING").map_or(true, |v| v != "off")
            && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
        Ok(Config {
            library_dir,
            itunes_base,
            fetch,
            secrets_dir,
            keyring,
        })
    }

    /// An HTTP client with these limits.
    pub fn fetcher(&self) -> Result<Fetcher> {
        Ok(Fetcher::new(self.fetch.clone())?)
    }

    /// The sync password store.
    pub fn secrets(&self) -> crate::sync::Secrets {
        crate::sync::Secrets::new(self.secrets_dir.clone(), self.keyring)
    }

    /// A resolver for subscribe inputs.
    pub fn resolver(&self) -> Result<Resolver> {
        Ok(Resolver::new(self.fetcher()?, self.itunes_base.clone()))
    }
}
