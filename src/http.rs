//! The HTTP/1.1 front of `serve`, on `std::net`, hardened against slow and hostile clients.
//!
//! One request per connection (`Connection: close`), each connection on its own thread, at most
//! [`Limits::max_connections`] at once (more get 503 at once). A request's head and body must
//! arrive within [`Limits::read_deadline`] (a client that declares a body and stalls gets 408
//! and holds only its own thread); responses are written with a timeout. Before any routing:
//! the request line is capped ([`Limits::max_target`], 414), the head is capped (431), `Host` and
//! `Origin` must name the served address ([`HostGuard`]), a `POST` body must be declared
//! `application/json` with a `Content-Length` within the route's limit. Log lines escape control
//! characters and are bounded.
//!
//! tiny_http was not used here: it has no read timeout, so one stalled body froze the server.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds on what one client may send or hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request line (method, target, version).
    pub max_target: usize,
    /// Longest request head (request line and headers).
    pub max_head: usize,
    /// Time for the whole request (head and body) to arrive.
    pub read_deadline: Duration,
    /// Time for one write of the response to make progress.
    pub write_timeout: Duration,
    /// Connections served at once; more are refused with 503.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_target: 2048,
            max_head: 16 * 1024,
            read_deadline: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 64,
        }
    }
}

/// A request as the application sees it (the body complete).
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query string).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (names compare case-insensitively; the first occurrence).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The target's path (without the query string).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A response before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::json!({ "error": message.into() }).to_string();
        Self::new(status, "application/json", body)
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// What the application decides about a request before its body is read.
pub trait Handler: Send + Sync + 'static {
    /// The largest body accepted for `method path`, or the response that ends the request now
    /// (unknown route, method not allowed): no body is read for it.
    fn admit(&self, method: &str, path: &str) -> std::result::Result<usize, Response>;
    /// Answers a complete request.
    fn handle(&self, request: &Request) -> Response;
    /// Headers added to every response (security policy).
    fn common_headers(&self, path: &str) -> Vec<(&'static str, String)>;
}

/// Which `Host` (and `Origin`) values are accepted: the served authority (`host:port`), plus
/// `localhost` and both loopback addresses when serving on loopback. `None` accepts any (serving
/// on all interfaces with no `--allow-host`), which leaves DNS rebinding open; `serve` says so.
#[derive(Clone, Debug)]
pub struct HostGuard {
    allowed: Option<Vec<String>>,
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
                    return Self { allowed: None };
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
        }
    }

    /// Whether every host check is off.
    pub fn accepts_any(&self) -> bool {
        self.allowed.is_none()
    }

    fn host_ok(&self, host: &str, port: u16) -> bool {
        let Some(allowed) = &self.allowed else {
            return true;
        };
        let host = host.trim().to_ascii_lowercase();
        // `Host: localhost` means port 80.
        let host = if port == 80 && !host.ends_with(']') && !host.contains(':') {
            format!("{host}:80")
        } else {
            host
        };
        allowed.contains(&host)
    }

    /// `Err(why)` unless `Host` is present and allowed and `Origin`, when sent, is
    /// `http://<an allowed host>`.
    fn check(&self, headers: &[(String, String)], port: u16) -> std::result::Result<(), String> {
        match header(headers, "host") {
            None => return Err("the request has no Host header".into()),
            Some(h) if !self.host_ok(h, port) => {
                return Err(format!("Host {} is not served here", bounded(h, 80)))
            }
            Some(_) => {}
        }
        if let Some(origin) = header(headers, "origin") {
            let ok = origin
                .strip_prefix("http://")
                .is_some_and(|h| self.host_ok(h, port));
            if !ok {
                return Err(format!(
                    "cross-origin requests are refused (Origin {})",
                    bounded(origin, 80)
                ));
            }
        }
        if header(headers, "sec-fetch-site").is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
            return Err("cross-site requests are refused".into());
        }
        Ok(())
    }
}

/// A running server: its address, and [`RunningServer::stop`].
pub struct RunningServer {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the accept loop ends (it ends only on [`RunningServer::stop`]).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops accepting and waits for the accept loop (connections in flight finish on their own).
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds `addr` and serves `handler` on a background thread; `log` receives one line per request.
pub fn start(
    addr: impl ToSocketAddrs + std::fmt::Debug,
    extra_hosts: &[String],
    limits: Limits,
    handler: Arc<dyn Handler>,
    log: fn(&str),
) -> Result<RunningServer> {
    let listener =
        TcpListener::bind(&addr).with_context(|| format!("cannot listen on {addr:?}"))?;
    let local = listener.local_addr()?;
    let guard = Arc::new(HostGuard::new(local, extra_hosts));
    let stopping = Arc::new(AtomicBool::new(false));
    let active = Arc::new(AtomicUsize::new(0));
    let thread = {
        let stopping = Arc::clone(&stopping);
        std::thread::Builder::new()
            .name("http-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if active.fetch_add(1, Ordering::SeqCst) >= limits.max_connections {
                        active.fetch_sub(1, Ordering::SeqCst);
                        refuse_busy(stream);
                        log("busy: connection refused with 503");
                        continue;
                    }
                    let conn = Connection {
                        limits: limits.clone(),
                        guard: Arc::clone(&guard),
                        handler: Arc::clone(&handler),
                        port: local.port(),
                        log,
                    };
                    let active_done = Arc::clone(&active);
                    let spawned =
                        std::thread::Builder::new()
                            .name("http-conn".into())
                            .spawn(move || {
                                conn.serve(stream);
                                active_done.fetch_sub(1, Ordering::SeqCst);
                            });
                    if spawned.is_err() {
                        active.fetch_sub(1, Ordering::SeqCst);
                        log("cannot start a connection thread");
                    }
                }
            })
            .context("cannot start the accept thread")?
    };
    Ok(RunningServer {
        addr: local,
        stopping,
        thread: Some(thread),
    })
}

fn refuse_busy(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let body = r#"{"error":"the server is busy; try again"}"#;
    let _ = write!(
        stream,
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

struct Connection {
    limits: Limits,
    guard: Arc<HostGuard>,
    handler: Arc<dyn Handler>,
    port: u16,
    log: fn(&str),
}

/// Why reading a request stopped early: the response to send.
type Early = Response;

impl Connection {
    fn serve(&self, mut stream: TcpStream) {
        let started = Instant::now();
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(self.limits.write_timeout));
        let deadline = started + self.limits.read_deadline;
        let (method, target, response) = match self.read_request(&mut stream, deadline) {
            Ok(request) => {
                let response = self.handler.handle(&request);
                (request.method, request.target, response)
            }
            Err((method, target, early)) => (method, target, early),
        };
        let head_only = method == "HEAD";
        let path = target.split('?').next().unwrap_or("").to_string();
        let status = response.status;
        let written = self.write(&mut stream, response, &path, head_only);
        (self.log)(&format!(
            "{} {} {}{} ({:.0?})",
            bounded(&method, 16),
            bounded(&target, 200),
            status,
            if written.is_err() { " (not sent)" } else { "" },
            started.elapsed()
        ));
        // Let the client read the response before the socket closes on data it may still be
        // sending (closing with unread input would reset the connection).
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let mut sink = [0u8; 8192];
        let mut drained = 0;
        while drained < 1 << 20 {
            match stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    }

    /// Reads head and body within `deadline`. `Err` carries the method and target seen so far
    /// (for the log) and the response that ends the request.
    fn read_request(
        &self,
        stream: &mut TcpStream,
        deadline: Instant,
    ) -> std::result::Result<Request, (String, String, Early)> {
        let mut buf = Vec::with_capacity(1024);
        let head_end = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                break end;
            }
            let line_end = find(&buf, b"\r\n").unwrap_or(buf.len());
            if line_end > self.limits.max_target {
                return Err(early(
                    &buf,
                    Response::error(
                        414,
                        format!("request line over {} bytes", self.limits.max_target),
                    ),
                ));
            }
            if buf.len() > self.limits.max_head {
                return Err(early(
                    &buf,
                    Response::error(
                        431,
                        format!("request head over {} bytes", self.limits.max_head),
                    ),
                ));
            }
            match read_some(stream, &mut buf, 4096, deadline) {
                Ok(0) => return Err(early(&buf, Response::error(400, "incomplete request"))),
                Ok(_) => {}
                Err(e) => return Err(early(&buf, e)),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(early(&buf, Response::error(400, "malformed request line")));
        };
        let (method, target) = (method.to_string(), target.to_string());
        let fail = |r: Response| (method.clone(), target.clone(), r);
        if !version.starts_with("HTTP/1.") {
            return Err(fail(Response::error(505, "only HTTP/1.x is served")));
        }
        if !target.starts_with('/') {
            return Err(fail(Response::error(400, "the target must be a path")));
        }
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                return Err(fail(Response::error(400, "malformed header line")));
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        if let Err(why) = self.guard.check(&headers, self.port) {
            return Err(fail(Response::error(403, why)));
        }
        let path = target.split('?').next().unwrap_or("");
        let max_body = self.handler.admit(&method, path).map_err(&fail)?;
        if header(&headers, "transfer-encoding").is_some() {
            return Err(fail(Response::error(
                411,
                "send the body with a Content-Length (chunked bodies are not read)",
            )));
        }
        let length = match header(&headers, "content-length") {
            None => 0,
            Some(v) => match v.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return Err(fail(Response::error(400, "bad Content-Length"))),
            },
        };
        if method == "POST" {
            let json = header(&headers, "content-type").is_some_and(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            if !json {
                return Err(fail(Response::error(
                    415,
                    "a POST body must be sent as Content-Type: application/json",
                )));
            }
        }
        if length > max_body {
            return Err(fail(Response::error(
                413,
                format!("request body over {max_body} bytes"),
            )));
        }
        let mut body = buf.split_off(head_end + 4);
        if body.len() > length {
            return Err(fail(Response::error(
                400,
                "more data than Content-Length (one request per connection)",
            )));
        }
        while body.len() < length {
            let want = length - body.len();
            match read_some(stream, &mut body, want.min(64 * 1024), deadline) {
                Ok(0) => return Err(fail(Response::error(400, "the body ended early"))),
                Ok(_) => {}
                Err(e) => return Err(fail(e)),
            }
        }
        Ok(Request {
            method,
            target,
            headers,
            body,
        })
    }

    fn write(
        &self,
        stream: &mut TcpStream,
        response: Response,
        path: &str,
        head_only: bool,
    ) -> std::io::Result<()> {
        let reason = reason(response.status);
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        for (name, value) in self
            .handler
            .common_headers(path)
            .iter()
            .chain(&response.headers)
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        if !head_only {
            stream.write_all(&response.body)?;
        }
        stream.flush()
    }
}

/// The early response, with whatever method and target the first line showed.
fn early(buf: &[u8], response: Response) -> (String, String, Early) {
    let first = &buf[..find(buf, b"\r\n").unwrap_or(buf.len()).min(256)];
    let first = String::from_utf8_lossy(first);
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    (method, target, response)
}

/// Reads up to `max` more bytes into `buf` before `deadline`; a timeout is a 408 response.
fn read_some(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    max: usize,
    deadline: Instant,
) -> std::result::Result<usize, Response> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Response::error(408, "the request took too long to arrive"));
    }
    stream
        .set_read_timeout(Some(left))
        .map_err(|e| Response::error(500, format!("socket: {e}")))?;
    let start = buf.len();
    buf.resize(start + max, 0);
    let got = stream.read(&mut buf[start..]);
    buf.truncate(start + *got.as_ref().unwrap_or(&0));
    match got {
        Ok(n) => Ok(n),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(Response::error(408, "the request took too long to arrive"))
        }
        Err(e) => Err(Response::error(
            400,
            format!("cannot read the request: {e}"),
        )),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// `s` for a log line: control characters (and backslashes) escaped, at most `max` characters
/// kept, a cut marked with `…(N bytes)`.
pub fn bounded(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push_str(&format!("…({} bytes)", s.len()));
            break;
        }
        if c.is_control() || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_is_escaped_and_bounded() {
        assert_eq!(bounded("a\x1b[31mb\n", 100), "a\\u{1b}[31mb\\n");
        assert_eq!(bounded(&"x".repeat(10), 4), "xxxx…(10 bytes)");
        assert_eq!(bounded("a\\b", 10), "a\\\\b");
    }

    #[test]
    fn hosts_and_origins_must_name_the_served_address() {
        let guard = HostGuard::new("127.0.0.1:8080".parse().unwrap(), &[]);
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert!(guard.check(&h(&[("Host", "localhost:8080")]), 8080).is_ok());
        assert!(guard.check(&h(&[("host", "127.0.0.1:8080")]), 8080).is_ok());
        assert!(guard
            .check(&h(&[("Host", "evil.test:8080")]), 8080)
            .is_err());
        assert!(guard.check(&h(&[]), 8080).is_err());
        assert!(guard
            .check(
                &h(&[
                    ("Host", "localhost:8080"),
                    ("Origin", "http://localhost:8080")
                ]),
                8080
            )
            .is_ok());
        assert!(guard
            .check(
                &h(&[("Host", "localhost:8080"), ("Origin", "http://evil.test")]),
                8080
            )
            .is_err());
        let open = HostGuard::new("0.0.0.0:8080".parse().unwrap(), &[]);
        assert!(open.accepts_any());
        let named = HostGuard::new("0.0.0.0:8080".parse().unwrap(), &["box.lan".into()]);
        assert!(named.check(&h(&[("Host", "box.lan:8080")]), 8080).is_ok());
        assert!(named.check(&h(&[("Host", "other:8080")]), 8080).is_err());
    }
}
