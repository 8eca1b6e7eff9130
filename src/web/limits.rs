//! What one client may send or hold, and who may ask: the `Host`/`Origin` guard and the access
//! token required beyond loopback.

use anyhow::{bail, Context, Result};
use hyper::header::{HeaderMap, AUTHORIZATION, HOST, ORIGIN};
use hyper::Uri;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;
use subtle::ConstantTimeEq;

use super::reply::bounded;

/// Bounds on what one client may send or hold. hyper's own read buffer is larger
/// ([`Limits::HYPER_BUFFER`]), so that these caps are ours and answered with our headers.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request line (method, target, version); longer gets 414.
    pub max_request_line: usize,
    /// Longest request head (request line and headers); longer gets 431.
    pub max_head: usize,
    /// Time for a request head to arrive, counted from the connection's start (hyper closes the
    /// connection when it passes: no response can be framed without a head).
    pub head_timeout: Duration,
    /// Time for a request body to arrive once its head is read; slower gets 408.
    pub body_timeout: Duration,
    /// Time a connection may live in all (head, body, answer, writing the response).
    pub connection_deadline: Duration,
    /// Connections served at once, across the whole server; more get 503.
    pub max_connections: usize,
    /// Of those, requests on an upload route at once; more get 503 (with `Retry-After`) as soon
    /// as their head is read. The rest of `max_connections` stays for asks and pages.
    pub max_uploads: usize,
}

impl Limits {
    /// hyper's read buffer: a head beyond it gets hyper's own bare 431 (or 414).
    pub const HYPER_BUFFER: usize = 64 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_line: 2048,
            max_head: 16 * 1024,
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            connection_deadline: Duration::from_secs(30),
            max_connections: 64,
            // 16 connections always left to asks.
            max_uploads: 48,
        }
    }
}

/// Which `Host` (and `Origin`) values are accepted: the served authority (`host:port`), plus
/// `localhost` and both loopback addresses when serving on loopback. `None` accepts any (serving
/// on all interfaces with no `--allow-host`), which leaves DNS rebinding open; `serve` says so.
#[derive(Clone, Debug)]
pub struct HostGuard {
    allowed: Option<Vec<String>>,
    port: u16,
}

impl HostGuard {
    /// The guard for a server bound to `addr`, accepting also `extra` host names (any port given
    /// in them is kept; without one, the served port is added).
    pub fn new(addr: SocketAddr, extra: &[String]) -> Self {
        let port = addr.port();
        let with_port = |h: &str| {
            if h.starts_with('[') && h.ends_with(']') || !h.contains(':') {
                format!("{h}:{port}")
            } else {
                h.to_string()
            }
        };
        let mut allowed: Vec<String> = extra.iter().map(|h| with_port(h)).collect();
        match addr.ip() {
            ip if ip.is_unspecified() => {
                if extra.is_empty() {
                    return Self {
                        allowed: None,
                        port,
                    };
                }
            }
            ip if ip.is_loopback() => {
                for h in ["localhost", "127.0.0.1", "[::1]"] {
                    allowed.push(with_port(h));
                }
            }
            IpAddr::V4(ip) => allowed.push(format!("{ip}:{port}")),
            IpAddr::V6(ip) => allowed.push(format!("[{ip}]:{port}")),
        }
        for a in &mut allowed {
            a.make_ascii_lowercase();
        }
        Self {
            allowed: Some(allowed),
            port,
        }
    }

    /// Whether every host check is off.
    pub fn accepts_any(&self) -> bool {
        self.allowed.is_none()
    }

    fn host_ok(&self, host: &str) -> bool {
        let Some(allowed) = &self.allowed else {
            return true;
        };
        let host = host.trim().to_ascii_lowercase();
        // `Host: localhost` means port 80.
        let host = if self.port == 80 && !host.ends_with(']') && !host.contains(':') {
            format!("{host}:80")
        } else {
            host
        };
        allowed.contains(&host)
    }

    /// `Err(why)` unless `Host` is present and allowed and every `Origin` sent is
    /// `http://<an allowed host>` (a second `Host` is refused before this check).
    pub fn check(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(host) = headers.get(HOST) else {
            return Err("the request has no Host header".into());
        };
        let host = String::from_utf8_lossy(host.as_bytes());
        if !self.host_ok(&host) {
            return Err(format!("Host {} is not served here", bounded(&host, 80)));
        }
        // Every Origin header is checked: a good one first must not let a foreign one through.
        for origin in headers.get_all(ORIGIN) {
            let origin = String::from_utf8_lossy(origin.as_bytes());
            let ok = origin
                .strip_prefix("http://")
                .is_some_and(|h| self.host_ok(h));
            if !ok {
                return Err(format!(
                    "cross-origin requests are refused (Origin {})",
                    bounded(&origin, 80)
                ));
            }
        }
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|s| s.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        if cross_site {
            return Err("cross-site requests are refused".into());
        }
        Ok(())
    }
}

impl HostGuard {
    /// `Err(why)` when the request target is in absolute form (`http://host/path`) and names
    /// another authority than the `Host` header, or one not served here, or another scheme than
    /// `http` (RFC 9112 §3.2.2: the target's authority overrides `Host`, so the two must agree
    /// for the `Host` check to mean anything). Origin-form targets (`/path`) pass.
    pub fn check_target(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), String> {
        let Some(authority) = uri.authority() else {
            return Ok(());
        };
        let authority = authority.as_str();
        let host = headers
            .get(HOST)
            .map(|h| String::from_utf8_lossy(h.as_bytes()))
            .unwrap_or_default();
        let ok = uri.scheme_str() == Some("http")
            && authority.eq_ignore_ascii_case(host.trim())
            && self.host_ok(authority);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "the request target names {} (scheme {}), which is not the host served here",
                bounded(authority, 80),
                bounded(uri.scheme_str().unwrap_or("none"), 16)
            ))
        }
    }
}

/// The secret a client sends as `Authorization: Bearer <token>` when `serve` listens beyond
/// loopback.
#[derive(Clone)]
pub struct AccessToken(Vec<u8>);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

/// Shortest token accepted: a guessable token would make the check pointless.
const MIN_TOKEN_CHARS: usize = 16;

impl AccessToken {
    /// The token `text` (surrounding whitespace dropped); too short is an error.
    pub fn new(text: &str) -> Result<Self> {
        let token = text.trim();
        if token.chars().count() < MIN_TOKEN_CHARS || token.chars().any(char::is_whitespace) {
            bail!(
                "an access token must be at least {MIN_TOKEN_CHARS} characters without spaces \
                 (e.g. `openssl rand -hex 32`)"
            );
        }
        Ok(Self(token.as_bytes().to_vec()))
    }

    /// The token in `path` (the whole file, trimmed).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?;
        Self::new(&text).with_context(|| format!("token file {}", path.display()))
    }

    /// Whether `headers` carry this token as a bearer credential (compared in constant time,
    /// so the answer's timing does not tell how much of a guess was right).
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return false;
        };
        let value = value.as_bytes();
        let scheme = b"bearer ";
        if value.len() < scheme.len() || !value[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return false;
        }
        let sent = value[scheme.len()..].trim_ascii();
        bool::from(sent.ct_eq(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn hosts_and_origins_must_name_the_served_address() {
        let guard = HostGuard::new("127.0.0.1:8080".parse().unwrap(), &[]);
        assert!(guard.check(&headers(&[("host", "localhost:8080")])).is_ok());
        assert!(guard.check(&headers(&[("host", "127.0.0.1:8080")])).is_ok());
        assert!(guard
            .check(&headers(&[("host", "evil.test:8080")]))
            .is_err());
        assert!(guard.check(&headers(&[])).is_err());
        let same_origin = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert!(guard.check(&same_origin).is_ok());
        let foreign = headers(&[("host", "localhost:8080"), ("origin", "http://evil.test")]);
        assert!(guard.check(&foreign).is_err());
        let open = HostGuard::new("0.0.0.0:8080".parse().unwrap(), &[]);
        assert!(open.accepts_any());
        // Every Origin counts, whichever comes first.
        for (first, second) in [
            ("http://localhost:8080", "http://evil.test"),
            ("http://evil.test", "http://localhost:8080"),
        ] {
            let two = headers(&[
                ("host", "localhost:8080"),
                ("origin", first),
                ("origin", second),
            ]);
            assert!(guard.check(&two).is_err(), "{first}, {second}");
        }
        let twice = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(guard.check(&twice).is_ok());
        let named = HostGuard::new("0.0.0.0:8080".parse().unwrap(), &["box.lan".into()]);
        assert!(named.check(&headers(&[("host", "box.lan:8080")])).is_ok());
        assert!(named.check(&headers(&[("host", "other:8080")])).is_err());
    }

    #[test]
    fn absolute_targets_must_name_the_served_host() {
        let guard = HostGuard::new("127.0.0.1:8080".parse().unwrap(), &[]);
        let open = HostGuard::new("0.0.0.0:8080".parse().unwrap(), &[]);
        let host = headers(&[("host", "localhost:8080")]);
        let target = |t: &str| t.parse::<Uri>().unwrap();
        for g in [&guard, &open] {
            assert!(g.check_target(&target("/api/tables"), &host).is_ok());
            assert!(g
                .check_target(&target("http://LOCALHOST:8080/api/tables"), &host)
                .is_ok());
            for foreign in [
                "http://evil.example/api/tables",
                "http://127.0.0.1:8080/api/tables",
                "https://localhost:8080/api/tables",
                "http://localhost:8081/api/tables",
            ] {
                assert!(
                    g.check_target(&target(foreign), &host).is_err(),
                    "{foreign}"
                );
            }
        }
        // Agreeing with Host is not enough: the authority must be served here.
        let evil = headers(&[("host", "evil.example")]);
        assert!(guard
            .check_target(&target("http://evil.example/"), &evil)
            .is_err());
    }

    #[test]
    fn the_token_must_be_sent_exactly_as_a_bearer_credential() {
        let token = AccessToken::new("  0123456789abcdef0123\n").unwrap();
        let with = |v: &str| headers(&[("authorization", v)]);
        assert!(token.admits(&with("Bearer 0123456789abcdef0123")));
        assert!(token.admits(&with("bearer 0123456789abcdef0123")));
        assert!(!token.admits(&with("Bearer 0123456789abcdef012")));
        assert!(!token.admits(&with("Basic 0123456789abcdef0123")));
        assert!(!token.admits(&headers(&[])));
        assert!(AccessToken::new("short").is_err());
    }
}
