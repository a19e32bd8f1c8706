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
        Ok(Config {
            library_dir,
            itunes_base,
            fetch,
        })
    }

    /// An HTTP client with these limits.
    pub fn fetcher(&self) -> Result<Fetcher> {
        Ok(Fetcher::new(self.fetch.clone())?)
    }

    /// A resolver for subscribe inputs.
    pub fn resolver(&self) -> Result<Resolver> {
        Ok(Resolver::new(self.fetcher()?, self.itunes_base.clone()))
    }
}
