//! Keeping the web's say-so off the listener's own network. A feed or page on a public host names
//! URLs (redirects, transcripts, images, media); none of them may make Earmark send a request to
//! a loopback, private or link-local address: a router's admin page, a printer, a service on this
//! computer. The address is checked after DNS, at connection time (a name that resolves to
//! 127.0.0.1 is caught, and so is a name that changes its answer between two lookups), and on
//! every redirect hop. A source the user adds on such an address directly (an intranet, a test
//! server) is theirs to reach, and so is everything it names.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use url::{Host, Url};

/// Words in the resolver's error, found again in the error chain to name the refusal.
pub(crate) const REFUSED: &str = "resolves only to loopback, private or link-local addresses";

/// Whether `ip` is an address on the public internet (not this computer, not a private, shared,
/// link-local, multicast or reserved range).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                // Shared address space (carrier NAT), 100.64.0.0/10.
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                // Benchmarking 198.18.0.0/15 and reserved 240.0.0.0/4.
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Host names a test pins to an address and counts as public (`FetchConfig::pinned_public_hosts`).
pub(crate) type Pinned = Arc<Vec<(String, SocketAddr)>>;

/// Whether requests for `url`, and for everything the document at `url` names, must stay on
/// public addresses: true for an http(s) URL whose host is public (or does not resolve, when the
/// request will fail anyway); false for a local file and for a host on the user's own network.
pub(crate) fn must_stay_public(url: &Url, pinned: &[(String, SocketAddr)]) -> bool {
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    match url.host() {
        Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            if pinned.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                return true;
            }
            // Reserved names (RFC 2606, 6761) are settled without asking DNS: `localhost` is this
            // computer, and `.example`, `.invalid` and `.test` are never anyone's network.
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            if lower == "localhost" || lower.ends_with(".localhost") {
                return false;
            }
            if [".example", ".invalid", ".test"].iter().any(|t| lower.ends_with(t)) {
                return true;
            }
            let port = url.port_or_known_default().unwrap_or(80);
            match (name, port).to_socket_addrs() {
                Ok(addrs) => addrs.into_iter().all(|a| is_public(a.ip())),
                Err(_) => true,
            }
        }
        None => false,
    }
}

/// The refusal for a hop whose host is an address literal off the public internet; `None` when
/// the hop may go ahead. (Names are checked by [`PublicOnly`] when the connection is made.)
pub(crate) fn literal_refused(url: &Url) -> Option<IpAddr> {
    let ip = match url.host()? {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(_) => return None,
    };
    (!is_public(ip)).then_some(ip)
}

/// A DNS resolver that keeps only public addresses: the client for requests that must stay
/// public connects through it, so the check holds for the address actually used.
pub(crate) struct PublicOnly {
    pub(crate) pinned: Pinned,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        lookup(name.as_str().to_owned(), Arc::clone(&self.pinned), true)
    }
}

/// Looks `host` up off the async runtime's threads; with `public_only`, keeps public addresses
/// and fails when none is left. Pinned names answer their pinned address.
fn lookup(host: String, pinned: Pinned, public_only: bool) -> reqwest::dns::Resolving {
    Box::pin(async move {
        if let Some((_, addr)) = pinned.iter().find(|(n, _)| n.eq_ignore_ascii_case(&host)) {
            let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(*addr));
            return Ok(addrs);
        }
        let name = host.clone();
        let found = tokio::task::spawn_blocking(move || (name.as_str(), 0).to_socket_addrs().map(Vec::from_iter))
            .await
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })??;
        let kept: Vec<SocketAddr> = found
            .into_iter()
            .filter(|a| !public_only || is_public(a.ip()))
            .collect();
        if kept.is_empty() {
            return Err(format!("{host} {REFUSED}").into());
        }
        let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
        Ok(addrs)
    })
}

/// The rules for streaming media a feed named, for a player with its own HTTP client: a resolver
/// and a check for each URL asked for (the first, every redirect). Whether the feed is on a
/// public host is found out on first use, on the thread that opens the stream, so building this
/// costs nothing while the library is locked.
pub struct MediaGuard {
    feed_url: String,
    pinned: Pinned,
    stay_public: std::sync::OnceLock<bool>,
}

impl MediaGuard {
    /// The rules for media named by the feed at `feed_url`.
    pub fn for_feed(feed_url: &str) -> Arc<MediaGuard> {
        Arc::new(MediaGuard {
            feed_url: feed_url.to_owned(),
            pinned: Arc::new(Vec::new()),
            stay_public: std::sync::OnceLock::new(),
        })
    }

    fn stay_public(&self) -> bool {
        *self
            .stay_public
            .get_or_init(|| Url::parse(&self.feed_url).map_or(true, |u| must_stay_public(&u, &self.pinned)))
    }

    /// Whether `url` may be asked for: always for a feed on the user's own network, else only when
    /// its host is not a private address literal (names are checked by the resolver).
    pub fn allows(&self, url: &Url) -> bool {
        !self.stay_public() || literal_refused(url).is_none()
    }
}

impl reqwest::dns::Resolve for MediaGuard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        lookup(name.as_str().to_owned(), Arc::clone(&self.pinned), self.stay_public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:192.168.1.1",
            "::",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
        for s in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert!(is_public(ip(s)), "{s}");
        }
    }

    #[test]
    fn a_media_guard_follows_its_feed() {
        let u = |s: &str| Url::parse(s).expect("url");
        let public = MediaGuard::for_feed("http://93.184.216.34/feed.xml");
        assert!(!public.allows(&u("http://192.168.1.1/reboot")));
        assert!(public.allows(&u("https://cdn.example/a.mp3")));
        let local = MediaGuard::for_feed("http://127.0.0.1:8080/feed.xml");
        assert!(local.allows(&u("http://192.168.1.1/a.mp3")));
    }

    #[test]
    fn origins_on_the_users_network_are_not_held_to_public() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert!(!must_stay_public(&u("http://127.0.0.1:8080/feed"), &[]));
        assert!(!must_stay_public(&u("http://localhost/feed"), &[]));
        assert!(!must_stay_public(&u("http://192.168.1.20/feed"), &[]));
        assert!(!must_stay_public(&u("file:///home/me/feed.xml"), &[]));
        assert!(must_stay_public(&u("http://93.184.216.34/feed"), &[]));
        let pinned = vec![("public.test".to_owned(), "127.0.0.1:1".parse().expect("addr"))];
        assert!(must_stay_public(&u("http://public.test/feed"), &pinned));
        assert_eq!(literal_refused(&u("http://10.0.0.1/x")), Some(ip("10.0.0.1")));
        assert_eq!(literal_refused(&u("http://[::1]/x")), Some(ip("::1")));
        assert_eq!(literal_refused(&u("http://example.org/x")), None);
    }
}
