//! The web app: one server on a free loopback port (shared by the tests), asked over plain HTTP,
//! including as a hostile client would (stalled bodies, huge ids, cross-origin requests,
//! trickling clients, duplicate headers); servers of their own for tight limits and the token.

use crate::support;

use serde_json::{json, Value};
use sqlcoder::web::uploads::UploadLimits;
use sqlcoder::web::{start, AccessToken, Limits, RunningServer, ServerConfig, WebApp};
use sqlcoder_data::types::FamilyQuery;
use sqlcoder_data::{self as data, Split};
use sqlcoder_infer::{AnswerOptions, Answerer};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use support::{encoder, random_model, sample, QUESTION, TABLE};

pub(crate) struct Served {
    _model: tempfile::TempDir,
    pub(crate) server: RunningServer,
}

/// The app on the sample's val tables with a random-head model (in `model`).
pub(crate) fn app(model: &Path) -> WebApp {
    let answerer = Answerer::load(
        model,
        &encoder(),
        Default::default(),
        AnswerOptions::default(),
    )
    .unwrap();
    let db = data::db_path(&sample(), Split::Val);
    WebApp::new(answerer, &db, 2).unwrap()
}

/// A server of its own on a loopback port, with `config`.
pub(crate) fn own_server(config: ServerConfig) -> Served {
    let model = random_model();
    let server = start(Arc::new(app(model.path())), "127.0.0.1:0", config).unwrap();
    Served {
        _model: model,
        server,
    }
}

/// A server of its own with `limits`: it, its address and the `Host` it answers to.
pub(crate) fn limited_server(limits: Limits) -> (Served, SocketAddr, String) {
    let served = own_server(ServerConfig {
        limits,
        ..Default::default()
    });
    let to = served.server.addr();
    let host = format!("127.0.0.1:{}", to.port());
    (served, to, host)
}

/// Sends an ask's head and the start of a body that never comes: the connection holds its slot
/// until the body timeout.
fn stalled_ask(to: SocketAddr, host: &str) -> TcpStream {
    let mut staller = TcpStream::connect(to).unwrap();
    write!(
        staller,
        "POST /api/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: 500\r\n\r\n{{"
    )
    .unwrap();
    staller
}

/// The shared server (started once; ends with the test process).
fn addr() -> SocketAddr {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED
        .get_or_init(|| own_server(ServerConfig::default()))
        .server
        .addr()
}

/// A response: status, headers (names lowercased), body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Sends `raw` bytes and reads the whole response (the server closes after one).
fn send(raw: &[u8]) -> Reply {
    send_to(addr(), raw)
}

/// Sends `raw` bytes to `to` and reads the whole response. A server that answers before reading
/// everything (413, 414, 431) may close on unread input, which resets the connection: what
/// arrived before the reset is the response.
pub(crate) fn send_to(to: SocketAddr, raw: &[u8]) -> Reply {
    send_from(None, to, raw)
}

/// [`send_to`] from the local address `from` (any loopback address on Linux) when given.
fn send_from(from: Option<IpAddr>, to: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = match from {
        None => TcpStream::connect(to).unwrap(),
        Some(from) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind(SocketAddr::new(from, 0)).unwrap();
                let stream = socket.connect(to).await.unwrap();
                let stream = stream.into_std().unwrap();
                stream.set_nonblocking(false).unwrap();
                stream
            }),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let _ = stream.write_all(raw);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A well-formed request from a same-origin client, with `extra` header lines.
fn request_with(method: &str, path: &str, body: &str, extra: &str) -> Reply {
    request_to(addr(), method, path, body, extra)
}

/// [`request_with`] to the server at `to`.
pub(crate) fn request_to(
    to: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    extra: &str,
) -> Reply {
    request_from(None, to, method, path, body, extra)
}

/// [`request_to`] from the local address `from` when given.
fn request_from(
    from: Option<IpAddr>,
    to: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    extra: &str,
) -> Reply {
    let host = format!("127.0.0.1:{}", to.port());
    send_from(
        from,
        to,
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn request(method: &str, path: &str, body: &str) -> Reply {
    request_with(method, path, body, "Content-Type: application/json\r\n")
}

#[test]
fn the_server_lists_tables_answers_questions_and_rejects_bad_requests() {
    let page = request("GET", "/", "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form id=\"ask\">") && page.body.contains("/app.js"));
    let script = request("GET", "/app.js", "");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("/api/ask"));

    let tables = request("GET", "/api/tables", "");
    assert_eq!(tables.status, 200);
    let ids = tables.json()["tables"].as_array().unwrap().clone();
    assert!(ids.contains(&json!(TABLE)), "{}", tables.body);

    let t = request("GET", &format!("/api/tables/{TABLE}"), "");
    assert_eq!(t.status, 200);
    let t = t.json();
    assert_eq!(t["header"][3], "Position");
    assert!(t["rows"].as_array().unwrap().len() <= t["n_rows"].as_u64().unwrap() as usize);

    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let a = request("POST", "/api/ask", &ask);
    assert_eq!(a.status, 200, "{}", a.body);
    let a = a.json();
    assert!(a["sql"].as_str().unwrap().starts_with("SELECT "), "{a}");
    assert!(a["rows"].is_array());
    assert_eq!(a["guided"], true);
    // The whole query, the result's labels and its rows as tuples, whose first column is `rows`.
    let family: FamilyQuery = serde_json::from_value(a["family"].clone()).unwrap();
    assert_eq!(
        family.select.len(),
        a["columns"].as_array().unwrap().len(),
        "{a}"
    );
    assert!(
        a["query"].is_object(),
        "a sketch answer keeps its official query: {a}"
    );
    let table_rows = a["table_rows"].as_array().unwrap();
    let firsts: Vec<Value> = table_rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(&firsts, a["rows"].as_array().unwrap(), "{a}");
    assert!(table_rows
        .iter()
        .all(|r| r.as_array().unwrap().len() == family.select.len()));

    let bad = [
        ("POST", "/api/ask", "not json".to_string(), 400),
        (
            "POST",
            "/api/ask",
            json!({ "table": TABLE }).to_string(),
            400,
        ),
        (
            "POST",
            "/api/ask",
            json!({ "table": TABLE, "question": " " }).to_string(),
            400,
        ),
        (
            "POST",
            "/api/ask",
            json!({ "table": TABLE, "question": "who ".repeat(300) }).to_string(),
            400,
        ),
        (
            "POST",
            "/api/ask",
            json!({ "table": "1-10015132-1", "question": "who?" }).to_string(),
            404,
        ),
        ("GET", "/api/ask", String::new(), 405),
        ("GET", "/nowhere", String::new(), 404),
        ("POST", "/api/ask", "x".repeat(70_000), 413),
    ];
    for (method, path, body, expected) in bad {
        let reply = request(method, path, &body);
        assert_eq!(reply.status, expected, "{method} {path}: {}", reply.body);
        assert!(reply.json()["error"].is_string(), "{}", reply.body);
    }
    let reply = request(
        "POST",
        "/api/ask",
        &json!({ "table": "1-10015132-1", "question": "who?" }).to_string(),
    );
    assert!(
        reply.body.contains("did you mean 1-10015132-11"),
        "{}",
        reply.body
    );
}

#[test]
fn a_stalled_body_does_not_delay_other_clients() {
    let host = format!("127.0.0.1:{}", addr().port());
    // Declares 5000 bytes, sends one, and keeps the connection open.
    let mut staller = TcpStream::connect(addr()).unwrap();
    write!(
        staller,
        "POST /api/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: 5000\r\n\r\n{{"
    )
    .unwrap();
    // A stalled head, too.
    let mut slow_head = TcpStream::connect(addr()).unwrap();
    write!(slow_head, "GET /api/tab").unwrap();
    std::thread::sleep(Duration::from_millis(100));

    let started = Instant::now();
    let tables = request("GET", "/api/tables", "");
    let ask = request(
        "POST",
        "/api/ask",
        &json!({ "table": TABLE, "question": QUESTION }).to_string(),
    );
    let waited = started.elapsed();
    assert_eq!(tables.status, 200);
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(
        waited < Duration::from_secs(1),
        "a victim waited {waited:?} behind a stalled client"
    );
    drop((staller, slow_head));
}

#[test]
fn huge_urls_and_ids_are_rejected_before_any_work() {
    addr(); // the server is up before timing
    let id = "1-".repeat(500_000);
    let started = Instant::now();
    let reply = request("GET", &format!("/api/tables/{id}"), "");
    let took = started.elapsed();
    // Past hyper's read buffer, hyper itself answers (431, no body).
    assert!([414, 431].contains(&reply.status), "{}", reply.status);
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert!(reply.body.len() < 200, "{}", reply.body);

    // Within the URL cap but far longer than any table id: no closest-id search.
    let id = "9".repeat(1500);
    let started = Instant::now();
    let reply = request("GET", &format!("/api/tables/{id}"), "");
    let took = started.elapsed();
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.json()["error"]
        .as_str()
        .unwrap()
        .contains("table id too long"));
    assert!(took < Duration::from_millis(50), "{took:?}");
    assert!(
        reply.body.len() < 200,
        "the id is echoed back: {}",
        reply.body
    );

    let ask = json!({ "table": "9".repeat(20_000), "question": "who?" }).to_string();
    let started = Instant::now();
    let reply = request("POST", "/api/ask", &ask);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[test]
fn plain_text_posts_and_foreign_origins_and_hosts_are_refused() {
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let reply = request_with("POST", "/api/ask", &ask, "Content-Type: text/plain\r\n");
    assert_eq!(reply.status, 415, "{}", reply.body);
    let reply = request_with("POST", "/api/ask", &ask, "");
    assert_eq!(reply.status, 415, "{}", reply.body);

    let reply = request_with(
        "POST",
        "/api/ask",
        &ask,
        "Content-Type: application/json\r\nOrigin: http://evil.example\r\n",
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.json()["error"].as_str().unwrap().contains("Origin"));
    let reply = request_with(
        "GET",
        "/api/tables",
        "",
        "Origin: http://127.0.0.1.evil.example\r\n",
    );
    assert_eq!(reply.status, 403, "{}", reply.body);

    // DNS rebinding: the right address under a foreign name.
    let reply = send(b"GET /api/tables HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_eq!(reply.status, 403, "{}", reply.body);
    let reply = send(b"GET /api/tables HTTP/1.1\r\n\r\n");
    assert_eq!(reply.status, 403, "{}", reply.body);

    // The page's own origin works.
    let origin = format!("Origin: http://localhost:{}\r\n", addr().port());
    let reply = request_with(
        "POST",
        "/api/ask",
        &ask,
        &format!("Content-Type: application/json; charset=utf-8\r\n{origin}"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn a_second_origin_and_foreign_absolute_targets_are_refused() {
    let port = addr().port();
    let good = format!("Origin: http://localhost:{port}\r\n");
    let evil = "Origin: http://evil.example\r\n";
    // Every Origin header counts, in either order.
    for extra in [format!("{good}{evil}"), format!("{evil}{good}")] {
        let reply = request_with("GET", "/api/tables", "", &extra);
        assert_eq!(reply.status, 403, "{extra:?}: {}", reply.body);
        assert!(reply.json()["error"].as_str().unwrap().contains("Origin"));
    }
    let reply = request_with("GET", "/api/tables", "", &format!("{good}{good}"));
    assert_eq!(reply.status, 200, "{}", reply.body);

    // An absolute-form target overrides Host (RFC 9112): it must name the Host served here.
    let host = format!("127.0.0.1:{port}");
    for target in [
        "http://evil.example/api/tables".to_string(),
        format!("http://localhost:{port}/api/tables"),
        format!("https://{host}/api/tables"),
    ] {
        let reply = send(format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        assert_eq!(reply.status, 421, "{target}: {}", reply.body);
        assert_security_headers(&reply);
    }
    let reply =
        send(format!("GET http://{host}/api/tables HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn clients_that_half_close_after_their_request_get_the_response() {
    let host = format!("127.0.0.1:{}", addr().port());
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let requests = [
        format!("GET /api/tables HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        format!(
            "POST /api/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{ask}",
            ask.len()
        ),
    ];
    for raw in &requests {
        let mut stream = TcpStream::connect(addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("HTTP/1.1 200 "), "{raw:?}: {text:?}");
    }
}

#[test]
fn responses_carry_security_headers_head_and_allow() {
    for path in ["/", "/app.js", "/api/tables"] {
        let reply = request("GET", path, "");
        assert_eq!(reply.status, 200);
        let csp = reply.header("content-security-policy").unwrap_or("");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        let no_store = reply.header("cache-control") == Some("no-store");
        assert_eq!(no_store, path.starts_with("/api/"), "{path}");
    }
    let page = request("GET", "/", "");
    assert!(!page.body.contains("<script>") && !page.body.contains("<style>"));

    let head = request("HEAD", "/", "");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(page.body.len().to_string().as_str())
    );

    let reply = request("DELETE", "/api/ask", "");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    let reply = request("POST", "/api/tables", "{}");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[test]
fn concurrent_clients_all_get_answers() {
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..3)
                        .map(|_| request("POST", "/api/ask", &ask).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    assert_eq!(statuses, vec![200; 24]);
}

/// `header` is set on `reply` as every response of ours has it.
pub(crate) fn assert_security_headers(reply: &Reply) {
    let csp = reply.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("default-src 'none'"),
        "{}: {csp:?}",
        reply.status
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
}

#[test]
fn long_request_lines_and_big_heads_in_one_write_are_refused_by_us() {
    let host = format!("127.0.0.1:{}", addr().port());
    let line = format!(
        "GET /api/tables/{} HTTP/1.1\r\nHost: {host}\r\n\r\n",
        "1".repeat(3000)
    );
    let reply = send(line.as_bytes());
    assert_eq!(reply.status, 414, "{}", reply.body);
    assert!(reply.json()["error"].is_string());
    assert_security_headers(&reply);

    let head = format!(
        "GET /api/tables HTTP/1.1\r\nHost: {host}\r\nX-Padding: {}\r\n\r\n",
        "p".repeat(20_000)
    );
    let reply = send(head.as_bytes());
    assert_eq!(reply.status, 431, "{}", reply.body);
    assert!(reply.json()["error"].is_string());
    assert_security_headers(&reply);

    // Many small headers add up the same way.
    let many: String = (0..400)
        .map(|i| format!("X-H{i}: {}\r\n", "v".repeat(40)))
        .collect();
    let head = format!("GET /api/tables HTTP/1.1\r\nHost: {host}\r\n{many}\r\n");
    assert!([400, 431].contains(&send(head.as_bytes()).status));
}

#[test]
fn duplicate_lengths_and_hosts_and_signed_lengths_get_400() {
    let host = format!("127.0.0.1:{}", addr().port());
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let post = |headers: &str| {
        send(
            format!(
                "POST /api/ask HTTP/1.1\r\nContent-Type: application/json\r\n{headers}\r\n{ask}"
            )
            .as_bytes(),
        )
    };
    let n = ask.len();
    let cases = [
        // hyper refuses these itself (bare 400):
        format!(
            "Host: {host}\r\nContent-Length: {n}\r\nContent-Length: {}\r\n",
            n + 1
        ),
        format!("Host: {host}\r\nContent-Length: +{n}\r\n"),
        // and we refuse these (400 with our JSON):
        format!("Host: {host}\r\nHost: {host}\r\nContent-Length: {n}\r\n"),
        format!("Host: {host}\r\nHost: evil.example\r\nContent-Length: {n}\r\n"),
    ];
    for headers in &cases {
        let reply = post(headers);
        assert_eq!(reply.status, 400, "{headers:?}: {}", reply.body);
    }
    let reply = post(&cases[2]);
    assert!(reply.json()["error"].as_str().unwrap().contains("Host"));
    assert_security_headers(&reply);
    // The same request with one of each is answered (and so is a repeated, equal length, which
    // RFC 9112 lets a server read as one).
    let reply = post(&format!(
        "Host: {host}\r\nContent-Length: {n}\r\nContent-Length: {n}\r\n"
    ));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = post(&format!("Host: {host}\r\nContent-Length: {n}\r\n"));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn trickling_clients_cannot_lock_out_an_ask() {
    let limits = Limits {
        max_connections: 4,
        head_timeout: Duration::from_millis(800),
        body_timeout: Duration::from_millis(800),
        connection_deadline: Duration::from_secs(2),
        ..Limits::default()
    };
    let (_served, to, host) = limited_server(limits);
    let until = Instant::now() + Duration::from_secs(6);
    // Half send a whole request and then a byte every 100 ms (the drain attack); half send a
    // head a byte every 100 ms (slowloris). Twice as many as the server has slots.
    let tricklers: Vec<_> = (0..8)
        .map(|i| {
            let host = host.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(to) else {
                    return;
                };
                let opening = if i % 2 == 0 {
                    format!("GET /api/tables HTTP/1.1\r\nHost: {host}\r\n\r\n")
                } else {
                    format!("GET /api/tables HTTP/1.1\r\nHost: {host}\r\n")
                };
                let _ = s.write_all(opening.as_bytes());
                while Instant::now() < until && s.write_all(b"x").is_ok() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let started = Instant::now();
    let mut statuses = Vec::new();
    while started.elapsed() < Duration::from_secs(5) {
        let reply = request_to(
            to,
            "POST",
            "/api/ask",
            &ask,
            "Content-Type: application/json\r\n",
        );
        statuses.push(reply.status);
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_security_headers(&reply);
        assert_eq!(reply.header("retry-after"), Some("1"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = started.elapsed();
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    assert!(
        waited < Duration::from_secs(3),
        "locked out for {waited:?} by trickling clients ({statuses:?})"
    );
    for t in tricklers {
        t.join().unwrap();
    }
}

#[test]
fn refusals_for_time_size_and_load_carry_the_security_headers() {
    let reply = request("POST", "/api/ask", &"x".repeat(70_000));
    assert_eq!(reply.status, 413);
    assert_security_headers(&reply);

    let limits = Limits {
        max_connections: 1,
        // Longer than an ask over the limit waits for a slot (a second).
        body_timeout: Duration::from_millis(2500),
        ..Limits::default()
    };
    let (_served, to, host) = limited_server(limits);
    // Holds the only slot with a body that never comes.
    let mut staller = stalled_ask(to, &host);
    std::thread::sleep(Duration::from_millis(100));
    let busy = request_to(to, "GET", "/api/tables", "", "");
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert!(busy.json()["error"].as_str().unwrap().contains("busy"));
    assert_security_headers(&busy);

    staller
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut bytes = Vec::new();
    let _ = staller.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("x-frame-options: deny"),
        "{text}"
    );
    assert!(text.contains("\"error\""), "{text}");
}

/// A connection over the slot limit reads its head; an ask waits a moment for a slot to free
/// (uploads turned away by their budget hold one only that long), an upload is refused at once.
#[test]
fn over_the_slot_limit_an_ask_waits_for_a_slot_and_an_upload_is_refused() {
    let limits = Limits {
        max_connections: 1,
        body_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let (_served, to, host) = limited_server(limits);
    let stall = || {
        let staller = stalled_ask(to, &host);
        std::thread::sleep(Duration::from_millis(100));
        staller
    };
    // The staller's slot frees at 400 ms, within the ask's wait.
    let _staller = stall();
    let started = std::time::Instant::now();
    let ask = request_to(to, "GET", "/api/tables", "", "");
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "it did not wait"
    );
    std::thread::sleep(Duration::from_millis(600));

    let _staller = stall();
    let started = std::time::Instant::now();
    let upload = request_to(
        to,
        "POST",
        "/api/upload?name=t.csv",
        "a,b\n1,2\n",
        "Content-Type: text/csv\r\n",
    );
    assert_eq!(upload.status, 503, "{}", upload.body);
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "the upload waited"
    );
}

#[test]
fn upload_ids_are_unguessable_and_unknown_ones_get_404() {
    let upload = json!({ "name": "t.csv", "text": "Name,Score\nAda,3\nBob,5\n" }).to_string();
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let reply = request("POST", "/api/csv", &upload);
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    for id in &ids {
        let hex = id.strip_prefix("csv-").unwrap_or_else(|| panic!("{id}"));
        assert_eq!(hex.len(), 32, "{id}: fewer than 128 bits");
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert_eq!(request("GET", &format!("/api/tables/{id}"), "").status, 200);
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    let number = |id: &str| u128::from_str_radix(&id[4..], 16).unwrap();
    let (a, b) = (number(&ids[0]), number(&ids[1]));
    assert!(a.abs_diff(b) > 1 << 64, "{ids:?} are close together");
    for unknown in ["csv-1", "csv-2", &format!("csv-{:032x}", a ^ 1)] {
        let reply = request("GET", &format!("/api/tables/{unknown}"), "");
        assert_eq!(reply.status, 404, "{unknown}: {}", reply.body);
        let ask = json!({ "table": unknown, "question": "who?" }).to_string();
        assert_eq!(request("POST", "/api/ask", &ask).status, 404);
    }
    let ask = json!({ "table": ids[2], "question": "What is Ada's score?" }).to_string();
    let reply = request("POST", "/api/ask", &ask);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn beyond_loopback_the_api_needs_the_token() {
    let secret = "s3cret-token-0123456789abcdef";
    let served = own_server(ServerConfig {
        token: Some(AccessToken::new(secret).unwrap()),
        ..Default::default()
    });
    let to = served.server.addr();
    for extra in ["", "Authorization: Bearer wrong-token-0123456789abcde\r\n"] {
        let reply = request_to(to, "GET", "/api/tables", "", extra);
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_security_headers(&reply);
    }
    let with_token = format!("Authorization: Bearer {secret}\r\n");
    let reply = request_to(to, "GET", "/api/tables", "", &with_token);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(request_to(to, "GET", "/metrics", "", "").status, 401);
    // The page loads without it (it asks for the token when the API says 401).
    assert_eq!(request_to(to, "GET", "/", "", "").status, 200);

    // The command refuses to listen beyond loopback without a token file.
    let (ok, _, stderr) = support::run(support::sqlcoder(&[
        "serve", "--host", "0.0.0.0", "--port", "0",
    ]));
    assert!(!ok);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--token-file"), "{stderr}");
}

#[test]
fn health_and_metrics_are_served() {
    let reply = request("GET", "/healthz", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
    request("GET", "/api/tables", "");
    let reply = request("GET", "/metrics", "");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .contains("sqlcoder_requests_total{route=\"/api/tables\",status=\"200\"}"),
        "{}",
        reply.body
    );
    assert!(reply
        .body
        .contains("sqlcoder_request_seconds_bucket{le=\"+Inf\"}"));
    assert!(reply.body.contains("sqlcoder_upload_bytes "));
}

#[test]
fn uploads_are_forgotten_when_their_memory_is_needed() {
    let model = random_model();
    // A table of 200 short rows is estimated at about 107 KiB (most of it its database's own).
    let one_small_table = 150 * 1024;
    let app = app(model.path()).with_upload_limits(UploadLimits {
        max_total_bytes: 2 * one_small_table,
        max_bytes_each: one_small_table,
        ..Default::default()
    });
    let server = start(Arc::new(app), "127.0.0.1:0", ServerConfig::default()).unwrap();
    let to = server.addr();
    let rows: String = (0..200).map(|i| format!("p{i},{i}\n")).collect();
    let upload = json!({ "name": "t.csv", "text": format!("Name,Score\n{rows}") }).to_string();
    let json_type = "Content-Type: application/json\r\n";
    let ids: Vec<String> = (0..4)
        .map(|_| {
            let reply = request_to(to, "POST", "/api/csv", &upload, json_type);
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let status = |id: &str| request_to(to, "GET", &format!("/api/tables/{id}"), "", "").status;
    assert_eq!(status(&ids[0]), 404, "the oldest upload is still held");
    assert_eq!(status(&ids[3]), 200);
    let big: String = (0..5000).map(|i| format!("p{i},{i}\n")).collect();
    let upload = json!({ "name": "big.csv", "text": format!("Name,Score\n{big}") }).to_string();
    let reply = request_to(to, "POST", "/api/csv", &upload, json_type);
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.json()["error"]
        .as_str()
        .unwrap()
        .contains("MB in memory"));
    server.stop();
}

#[test]
fn one_address_cannot_evict_the_uploads_of_another() {
    let model = random_model();
    // Each table here is estimated at about 107 KiB.
    let one_small_table = 150 * 1024;
    // Room for four small tables; with two addresses each may hold two.
    let app = app(model.path()).with_upload_limits(UploadLimits {
        max_total_bytes: 4 * one_small_table,
        max_bytes_each: one_small_table,
        ..Default::default()
    });
    let server = start(Arc::new(app), "127.0.0.1:0", ServerConfig::default()).unwrap();
    let to = server.addr();
    let (a, b) = (
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))),
    );
    let rows: String = (0..200).map(|i| format!("p{i},{i}\n")).collect();
    let csv = json!({ "name": "t.csv", "text": format!("Name,Score\nAda,3\n{rows}") }).to_string();
    let json_type = "Content-Type: application/json\r\n";
    let upload = |from: Option<IpAddr>| {
        let reply = request_from(from, to, "POST", "/api/csv", &csv, json_type);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["id"].as_str().unwrap().to_string()
    };
    let get = |from: Option<IpAddr>, id: &str| {
        request_from(from, to, "GET", &format!("/api/tables/{id}"), "", "")
    };
    let from_a: Vec<String> = (0..2).map(|_| upload(a)).collect();
    let from_b: Vec<String> = (0..12).map(|_| upload(b)).collect();
    for id in from_a.iter().chain(&from_b[10..]) {
        let reply = get(a, id);
        assert_eq!(reply.status, 200, "{id}: {}", reply.body);
    }
    let ask = json!({ "table": from_a[0], "question": "What is Ada's score?" }).to_string();
    let reply = request_from(a, to, "POST", "/api/ask", &ask, json_type);
    assert_eq!(reply.status, 200, "{}", reply.body);
    for id in &from_b[..10] {
        let reply = get(b, id);
        assert_eq!(reply.status, 404, "{id}: {}", reply.body);
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(
            error.contains("removed to make room for newer uploads from the same address"),
            "{error}"
        );
    }
    let unknown = format!("csv-{:032x}", 7);
    let error = get(b, &unknown).json()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("unknown table id"), "{error}");
    server.stop();
}

#[test]
fn stopping_lets_the_answer_in_flight_finish() {
    let served = own_server(ServerConfig::default());
    let to = served.server.addr();
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let mut client = TcpStream::connect(to).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The head and half the body: the request is in flight when the stop comes.
    write!(
        client,
        "POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{}",
        to.port(),
        ask.len(),
        &ask[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stopping = std::thread::spawn(move || served.server.stop());
    std::thread::sleep(Duration::from_millis(300));
    client.write_all(&ask.as_bytes()[10..]).unwrap();
    let mut response = String::new();
    let _ = client.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    stopping.join().unwrap();
    assert!(
        TcpStream::connect(to).is_err(),
        "still accepting after the stop"
    );
}
