//! Fetching feeds, pages and lookups over HTTP(S) or from `file://` URLs, with the limits a
//! program that reads untrusted servers needs: a size cap, a timeout, redirects followed by hand
//! (so loops are caught and permanent moves are known), and conditional GET.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION};
use reqwest::StatusCode;
use url::Url;

use crate::error::FetchError;
use crate::net_guard;

/// Limits for fetching; tests shorten the timeout.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Whole-request time limit (connect, headers and body).
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// How long a whole transfer (headers and body) may take at any rate. `timeout` bounds each
    /// wait for the server; this bounds the sum, so a body that trickles in cannot hold on.
    pub deadline: Duration,
    /// Past `deadline`, a transfer goes on only while its average rate stays at least this many
    /// bytes a second: a big body on a slow but honest line still arrives.
    pub min_rate: u64,
    /// Host names pinned to an address and counted as public hosts, whatever that address is.
    /// For tests, which can only serve on 127.0.0.1 but must show what happens when a public
    /// host redirects to the user's network; empty in every real configuration.
    pub pinned_public_hosts: Vec<(String, std::net::SocketAddr)>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            max_bytes: 50 * 1024 * 1024,
            max_redirects: 10,
            deadline: Duration::from_secs(120),
            min_rate: 32 * 1024,
            pinned_public_hosts: Vec::new(),
        }
    }
}

/// Validators from the last fetch, sent back so an unchanged feed costs a 304.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    /// `ETag` header value.
    pub etag: Option<String>,
    /// `Last-Modified` header value.
    pub last_modified: Option<String>,
}

/// A successful fetch.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body, at most `max_bytes` long, decompressed.
    pub body: Vec<u8>,
    /// Where the body came from after redirects.
    pub final_url: Url,
    /// Set when every redirect hop was permanent (301/308): the new address to store.
    pub moved_permanently_to: Option<Url>,
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `X-WP-TotalPages` header: how many pages a paged WordPress API answer has.
    pub total_pages: Option<u32>,
}

/// What a conditional fetch found.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server answered 304: nothing changed since the validators.
    NotModified,
    /// A body.
    Body(Box<Fetched>),
}

/// An HTTP client with Earmark's limits. Cheap to clone and share between threads.
#[derive(Clone)]
pub struct Fetcher {
    pub(crate) client: Client,
    /// The same limits, connecting only to public addresses (see [`crate::net_guard`]).
    guarded: Client,
    config: FetchConfig,
    /// Set by [`Fetcher::named_by`]: whether the document that named the next URLs was on a
    /// public host. Unset, each request is judged by where it starts.
    stay_public: Option<bool>,
}

impl Fetcher {
    /// A client with the default settings but its own time limit per request: what a caller
    /// that talks to a server it knows to be near (a test's, a local one) wants.
    pub fn with_timeout(timeout: std::time::Duration) -> Result<Self, FetchError> {
        Fetcher::new(FetchConfig {
            timeout,
            ..FetchConfig::default()
        })
    }

    /// Builds a client (rustls, gzip/deflate/brotli, no automatic redirects).
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let builder = || {
            Client::builder()
                .user_agent(concat!(
                    "Earmark/",
                    env!("CARGO_PKG_VERSION"),
                    " (desktop podcast archive)"
                ))
                .redirect(reqwest::redirect::Policy::none())
                .timeout(config.timeout)
                .connect_timeout(config.timeout.min(Duration::from_secs(15)))
        };
        let built = |b: reqwest::blocking::ClientBuilder| {
            b.build().map_err(|e| FetchError::Other {
                url: String::new(),
                detail: e.to_string(),
            })
        };
        let mut plain = builder();
        for (host, addr) in &config.pinned_public_hosts {
            plain = plain.resolve(host, *addr);
        }
        let client = built(plain)?;
        let guarded = built(builder().dns_resolver(std::sync::Arc::new(net_guard::PublicOnly {
            pinned: std::sync::Arc::new(config.pinned_public_hosts.clone()),
        })))?;
        Ok(Fetcher {
            client,
            guarded,
            config,
            stay_public: None,
        })
    }

    /// The same client for URLs that the document at `origin` named (a feed's transcripts and
    /// media, a post's images): when `origin` is on a public host, none of them may reach the
    /// user's own network, whatever their own address says.
    pub fn named_by(&self, origin: &str) -> Fetcher {
        let stay_public = Url::parse(origin)
            .map(|u| net_guard::must_stay_public(&u, &self.config.pinned_public_hosts))
            .unwrap_or(true);
        Fetcher {
            stay_public: Some(stay_public),
            ..self.clone()
        }
    }

    /// The client for a request chain that starts at `start`, and whether it must stay public.
    pub(crate) fn client_for(&self, start: &Url) -> (&Client, bool) {
        let public = self
            .stay_public
            .unwrap_or_else(|| net_guard::must_stay_public(start, &self.config.pinned_public_hosts));
        (if public { &self.guarded } else { &self.client }, public)
    }

    /// Refuses one hop of a chain that must stay public when its host is a private address.
    pub(crate) fn check_hop(&self, url: &Url, public: bool) -> Result<(), FetchError> {
        match net_guard::literal_refused(url) {
            Some(_) if public => Err(FetchError::PrivateAddress { url: url.to_string() }),
            _ => Ok(()),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// The same client with a smaller body cap, for small files (chapters, images) that have no
    /// business being megabytes long.
    pub fn with_max_bytes(&self, max_bytes: u64) -> Fetcher {
        Fetcher {
            config: FetchConfig {
                max_bytes: max_bytes.min(self.config.max_bytes),
                ..self.config.clone()
            },
            ..self.clone()
        }
    }

    /// Fetches `url` unconditionally.
    pub fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        match self.get_conditional(url, &Validators::default())? {
            Outcome::Body(f) => Ok(*f),
            // Without validators a 304 is a server bug; treat it as an error status.
            Outcome::NotModified => Err(FetchError::Status {
                status: 304,
                url: url.to_string(),
            }),
        }
    }

    /// Fetches `url`, sending the validators so an unchanged resource answers 304.
    pub fn get_conditional(&self, url: &Url, validators: &Validators) -> Result<Outcome, FetchError> {
        match url.scheme() {
            "file" => self.read_file(url).map(|f| Outcome::Body(Box::new(f))),
            "http" | "https" => self.get_http(url, validators),
            other => Err(FetchError::UnsupportedScheme(other.to_owned())),
        }
    }

    fn read_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        let path = url
            .to_file_path()
            .map_err(|()| FetchError::InvalidUrl(url.to_string()))?;
        let file_err = |e: std::io::Error| FetchError::File {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let file = std::fs::File::open(&path).map_err(file_err)?;
        // Only regular files: a device (`/dev/zero`) or a pipe never ends.
        if !file.metadata().map_err(file_err)?.is_file() {
            return Err(FetchError::File {
                path: path.display().to_string(),
                detail: "not a regular file".into(),
            });
        }
        let mut body = Vec::new();
        file.take(self.config.max_bytes + 1)
            .read_to_end(&mut body)
            .map_err(file_err)?;
        if body.len() as u64 > self.config.max_bytes {
            return Err(self.too_large());
        }
        Ok(Fetched {
            body,
            final_url: url.clone(),
            moved_permanently_to: None,
            validators: Validators::default(),
            content_type: None,
            total_pages: None,
        })
    }

    fn too_large(&self) -> FetchError {
        FetchError::TooLarge {
            limit_bytes: self.config.max_bytes,
        }
    }

    fn get_http(&self, start: &Url, validators: &Validators) -> Result<Outcome, FetchError> {
        let mut url = start.clone();
        let mut visited = vec![url.clone()];
        let mut all_permanent = true;
        let started = Instant::now();
        let (client, public) = self.client_for(start);
        loop {
            self.check_hop(&url, public)?;
            let mut req = client.get(url.clone()).header(
                ACCEPT,
                "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
            );
            if let Some(etag) = &validators.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
            let resp = req.send().map_err(|e| self.classify(&url, &e))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = location(resp.headers(), &url).ok_or_else(|| FetchError::Status {
                    status: status.as_u16(),
                    url: url.to_string(),
                })?;
                all_permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
                if visited.contains(&next) {
                    return Err(FetchError::RedirectLoop(next.to_string()));
                }
                if visited.len() > self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects(self.config.max_redirects));
                }
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::RedirectScheme {
                        url: url.to_string(),
                        scheme: next.scheme().to_owned(),
                    });
                }
                visited.push(next.clone());
                url = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Outcome::NotModified);
            }
            if status == StatusCode::GONE {
                return Err(FetchError::Gone);
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    url: url.to_string(),
                });
            }
            if resp.content_length().is_some_and(|n| n > self.config.max_bytes) {
                return Err(self.too_large());
            }
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            let new_validators = Validators {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
            };
            let content_type = header(reqwest::header::CONTENT_TYPE);
            let total_pages =
                header(reqwest::header::HeaderName::from_static("x-wp-totalpages")).and_then(|v| v.trim().parse().ok());
            let body = self.read_body(resp, &url, started)?;
            let moved = (visited.len() > 1 && all_permanent).then(|| url.clone());
            return Ok(Outcome::Body(Box::new(Fetched {
                body,
                final_url: url,
                moved_permanently_to: moved,
                validators: new_validators,
                content_type,
                total_pages,
            })));
        }
    }

    /// Reads a body up to `max_bytes`, holding the transfer begun at `started` to the deadline
    /// and the minimum rate.
    fn read_body(&self, mut resp: impl Read, url: &Url, started: Instant) -> Result<Vec<u8>, FetchError> {
        let mut body = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = resp.read(&mut buf).map_err(|e| self.classify_io(url, e))?;
            if n == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&buf[..n]);
            if body.len() as u64 > self.config.max_bytes {
                return Err(self.too_large());
            }
            let after = started.elapsed();
            if after > self.config.deadline && (body.len() as f64) < self.config.min_rate as f64 * after.as_secs_f64() {
                return Err(FetchError::TooSlow {
                    url: url.to_string(),
                    received: body.len() as u64,
                    after,
                });
            }
        }
    }

    pub(crate) fn classify(&self, url: &Url, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                limit: self.config.timeout,
            };
        }
        let chain = error_chain(e);
        if chain.contains(net_guard::REFUSED) {
            return FetchError::PrivateAddress { url: url.to_string() };
        }
        let lower = chain.to_ascii_lowercase();
        if url.scheme() == "https"
            && (lower.contains("tls")
                || lower.contains("certificate")
                || lower.contains("handshake")
                || lower.contains("invalidcontenttype")
                || lower.contains("corrupt message"))
        {
            return FetchError::Tls {
                url: url.to_string(),
                detail: chain,
            };
        }
        if e.is_connect() {
            return FetchError::Connect {
                host: url.host_str().unwrap_or("").to_owned(),
                detail: chain,
            };
        }
        FetchError::Other {
            url: url.to_string(),
            detail: chain,
        }
    }

    fn classify_io(&self, url: &Url, e: std::io::Error) -> FetchError {
        let chain = error_chain(&e);
        if e.kind() == std::io::ErrorKind::TimedOut
            || chain.contains("timed out")
            || chain.contains("operation timed out")
        {
            FetchError::Timeout {
                url: url.to_string(),
                limit: self.config.timeout,
            }
        } else {
            FetchError::Other {
                url: url.to_string(),
                detail: chain,
            }
        }
    }
}

fn location(headers: &HeaderMap, base: &Url) -> Option<Url> {
    let raw = headers.get(LOCATION)?.to_str().ok()?;
    base.join(raw.trim()).ok()
}

/// An error and its causes in one line: reqwest's own message alone is often just "error sending request".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        src = s.source();
    }
    out
}
