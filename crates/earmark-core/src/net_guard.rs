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
        let host = name.as_str().to_owned();
        let pinned = Arc::clone(&self.pinned);
        Box::pin(async move {
            if let Some((_, addr)) = pinned.iter().find(|(n, _)| n.eq_ignore_ascii_case(&host)) {
                let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(*addr));
                return Ok(addrs);
            }
            let lookup = host.clone();
            let found = tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs().map(Vec::from_iter))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })??;
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} {REFUSED}").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
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
