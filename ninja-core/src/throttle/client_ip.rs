//! Who the client is: the peer address, or, behind trusted proxies, the address they say
//! they forwarded for (`Forwarded: for=`, else `X-Forwarded-For`).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use http::header::FORWARDED;
use ipnet::IpNet;

/// The address of the connection's peer, in the request's extensions.
///
/// Ninja's server inserts it when something needs it (an IP throttle), so other requests
/// pay nothing for it. Another server that runs an [`App`](crate::App) as a tower service
/// inserts it itself; without it, IP throttles count every such request as one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// The proxies whose forwarding headers are believed, as CIDR ranges.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `ranges` (`"10.0.0.0/8"`, `"127.0.0.1"`, `"::1"`); what does not parse is an
    /// error naming it.
    pub(crate) fn parse<S: AsRef<str>>(
        ranges: impl IntoIterator<Item = S>,
    ) -> Result<Self, Vec<String>> {
        let mut nets = Vec::new();
        let mut errors = Vec::new();
        for r in ranges {
            let r = r.as_ref().trim();
            match r.parse::<IpNet>() {
                Ok(net) => nets.push(net),
                Err(_) => match r.parse::<IpAddr>() {
                    Ok(ip) => nets.push(IpNet::from(ip)),
                    Err(_) => errors.push(format!(
                        "trusted proxy `{r}` is neither an IP address nor a CIDR range such as `10.0.0.0/8`"
                    )),
                },
            }
        }
        if errors.is_empty() {
            Ok(Self(nets))
        } else {
            Err(errors)
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// nearest hop its forwarding header names that is not itself a trusted proxy. A header
    /// that does not parse is ignored (the peer is the client).
    pub(crate) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded(headers).or_else(|| x_forwarded_for(headers));
        let Some(hops) = hops else { return peer };
        // Right to left: each trusted proxy vouches for the hop before it.
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            client = canonical(hop);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` addresses of every `Forwarded` element, in order; `None` when absent or when
/// one does not parse (an obfuscated or unknown node ends the chain we can follow).
fn forwarded(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all(FORWARDED) {
        for element in value.to_str().ok()?.split(',') {
            for pair in element.split(';') {
                let (k, v) = pair.trim().split_once('=')?;
                if k.trim().eq_ignore_ascii_case("for") {
                    hops.push(node(v.trim().trim_matches('"'))?);
                }
            }
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// RFC 7239 node: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80`.
fn node(s: &str) -> Option<IpAddr> {
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.parse()
        .ok()
        .or_else(|| s.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for hop in value.to_str().ok()?.split(',') {
            hops.push(node(hop.trim())?);
        }
    }
    (!hops.is_empty()).then_some(hops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse(["127.0.0.1", "10.0.0.0/8"]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 10.1.2.3")]);
        // From a proxy: the nearest untrusted hop.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
        // From anyone else: the header is a claim, not a fact.
        assert_eq!(trusted.client(ip("198.51.100.1"), &xff), ip("198.51.100.1"));
        // A client that prepends a fake hop cannot choose its address.
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &spoofed), ip("203.0.113.7"));
        // `Forwarded` wins over X-Forwarded-For, with ports and IPv6 brackets.
        let fwd = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.9"#,
            ),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &fwd), ip("2001:db8::1"));
        // Unparseable: the peer.
        let junk = headers(&[("x-forwarded-for", "not an address")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &junk), ip("127.0.0.1"));
        // IPv4-mapped peers are IPv4.
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &xff),
            ip("203.0.113.7")
        );
        assert!(
            TrustedProxies::parse(["10.0.0.0/33", "proxy"])
                .unwrap_err()
                .len()
                == 2
        );
        // Nobody trusted (the default): always the peer.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &xff),
            ip("127.0.0.1")
        );
    }
}
