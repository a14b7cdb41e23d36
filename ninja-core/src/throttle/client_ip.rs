//! Who the client is: the peer address, or, behind trusted proxies, the address they say
//! they forwarded for (`Forwarded: for=`, else `X-Forwarded-For`).

use std::net::{IpAddr, SocketAddr};

use http::header::FORWARDED;
use http::{HeaderMap, HeaderName};
use ipnet::IpNet;

/// The address of the connection's peer, in the request's extensions.
///
/// Ninja's server inserts it when something needs it (an IP throttle), so other requests
/// pay nothing for it. Another server that runs an [`App`](crate::App) as a tower service
/// inserts it itself; without it, IP throttles count every such request as one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// Which header the trusted proxies write the client's address into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedBy {
    /// `X-Forwarded-For: client, proxy1, ..` (HAProxy's `option forwardfor`, nginx,
    /// cloud load balancers): the default.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The proxies whose forwarding header is believed, as CIDR ranges, and which header that
/// is. Only that header is read: a proxy appends to one and passes the other through from
/// the client untouched.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedBy,
}

impl TrustedProxies {
    /// Parses `ranges` (`"10.0.0.0/8"`, `"127.0.0.1"`, `"::1"`); what does not parse is an
    /// error naming it.
    pub(crate) fn parse<S: AsRef<str>>(
        ranges: impl IntoIterator<Item = S>,
        header: ForwardedBy,
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
            Ok(Self { nets, header })
        } else {
            Err(errors)
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then, walking
    /// the forwarding header from its right end (the hop the nearest proxy added), the
    /// first hop that is not itself a trusted proxy. A hop that does not parse (`unknown`,
    /// an obfuscated name) ends the walk at the trusted hop after it: whatever stands
    /// further left was written by someone no trusted proxy vouches for.
    pub(crate) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let name = match self.header {
            ForwardedBy::XForwardedFor => X_FORWARDED_FOR,
            ForwardedBy::Forwarded => FORWARDED,
        };
        // Header lines in order, each line's hops left to right; walked from the end.
        for value in headers
            .get_all(name)
            .iter()
            .rev()
            .map(|v| v.to_str().unwrap_or(""))
        {
            for element in value.rsplit(',') {
                let hop = match self.header {
                    ForwardedBy::XForwardedFor => node(element.trim()),
                    ForwardedBy::Forwarded => forwarded_for(element),
                };
                let Some(hop) = hop else { return client };
                client = canonical(hop);
                if !self.trusts(client) {
                    return client;
                }
            }
        }
        client
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key an IP throttle counts by: an IPv4 address, or an IPv6 address's /64 (one host
/// commonly holds a whole /64 and could otherwise take a fresh address per request).
pub(crate) fn throttle_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The `for=` node of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("for")
            .then(|| node(v.trim().trim_matches('"')))?
    })
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
        let trusted =
            TrustedProxies::parse(["127.0.0.1", "10.0.0.0/8"], ForwardedBy::XForwardedFor).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.7, 10.1.2.3")]);
        // From a proxy: the nearest untrusted hop.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
        // From anyone else: the header is a claim, not a fact.
        assert_eq!(trusted.client(ip("198.51.100.1"), &xff), ip("198.51.100.1"));
        // A client that prepends a fake hop cannot choose its address.
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &spoofed), ip("203.0.113.7"));
        // Nor by sending the other header, which the proxy passes through untouched.
        let other = headers(&[
            ("forwarded", "for=198.51.100.77"),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &other), ip("203.0.113.7"));
        // Several header lines are one list, in order.
        let lines = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.8, 10.0.0.2"),
        ]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &lines), ip("203.0.113.8"));
        // An unparseable hop ends the walk at the trusted hop after it.
        let junk = headers(&[("x-forwarded-for", "6.6.6.6, unknown, 10.0.0.3")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &junk), ip("10.0.0.3"));
        // IPv4-mapped peers are IPv4.
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &xff),
            ip("203.0.113.7")
        );
        assert_eq!(
            TrustedProxies::parse(["10.0.0.0/33", "proxy"], ForwardedBy::XForwardedFor)
                .unwrap_err()
                .len(),
            2
        );
        // Nobody trusted (the default): always the peer.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &xff),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn rfc_7239_when_the_proxies_write_it() {
        let trusted = TrustedProxies::parse(["10.0.0.0/8"], ForwardedBy::Forwarded).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let fwd = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.9"#,
            ),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &fwd), ip("2001:db8::1"));
        // `for=unknown` from the client: the walk stops at the proxy's own hop.
        let unknown = headers(&[("forwarded", "for=192.0.2.9, for=unknown, for=10.0.0.5")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &unknown), ip("10.0.0.5"));
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(throttle_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(throttle_key(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            throttle_key(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_eq!(throttle_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(
            throttle_key(ip("2001:db8:1:2::1")),
            throttle_key(ip("2001:db8:1:3::1"))
        );
    }
}
