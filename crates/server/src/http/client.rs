//! The real client address of a request. The peer of the TCP connection is the client, unless the
//! peer is one of `--trusted-proxies`: then the proxy's `X-Forwarded-For` (read from the right, the
//! first address that is not itself a trusted proxy) or `X-Real-IP` names it. A header from any
//! other peer is ignored, so a client cannot choose the address its quotas and lockouts count.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::platform::state::AppState;

/// The client's address (`None` only where the server runs without connection info).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(peer.map(|p| client_of(p, &parts.headers, &state.settings.server.trusted_proxies))))
    }
}

/// An address as the client's (an IPv4 address mapped into IPv6 is the IPv4 address).
fn plain(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client behind `peer`, given the proxies trusted to say so.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = plain(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Every X-Forwarded-For header, in order, as one list; proxies append on the right.
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>().map(plain))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    if let Some(client) = forwarded.iter().rev().find(|ip| !is_trusted(ip)) {
        return *client;
    }
    if let Some(first) = forwarded.first() {
        // Every hop is a trusted proxy: the leftmost is the nearest to the client.
        return *first;
    }
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok())
        .map_or(peer, plain)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoof = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")]);
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_of(stranger, &spoof, &trusted), stranger, "a stranger cannot name another address");
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        let chain = headers(&[("x-forwarded-for", "9.9.9.9, 198.51.100.7"), ("x-forwarded-for", "10.2.2.2")]);
        assert_eq!(client_of(proxy, &chain, &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_of(proxy, &headers(&[("x-real-ip", "198.51.100.8")]), &trusted).to_string(), "198.51.100.8");
        assert_eq!(client_of(proxy, &headers(&[("x-forwarded-for", "junk")]), &trusted), proxy);
        assert_eq!(client_of(proxy, &HeaderMap::new(), &[]), proxy);
    }
}
