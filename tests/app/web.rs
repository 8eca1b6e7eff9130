//! The web app: one server on a free loopback port (shared by the tests), asked over plain HTTP,
//! including as a hostile client would (stalled bodies, huge ids, cross-origin requests).

use crate::support;

use serde_json::{json, Value};
use sqlcoder::http::{Limits, RunningServer};
use sqlcoder::web::{start, WebApp};
use sqlcoder_data::{self as data, Split};
use sqlcoder_infer::{AnswerOptions, Answerer};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use support::{encoder, random_model, sample, QUESTION, TABLE};

struct Served {
    _model: tempfile::TempDir,
    server: RunningServer,
}

/// The shared server (started once; ends with the test process).
fn addr() -> SocketAddr {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED
        .get_or_init(|| {
            let model = random_model();
            let answerer = Answerer::load(
                model.path(),
                &encoder(),
                Default::default(),
                AnswerOptions::default(),
            )
            .unwrap();
            let db = data::db_path(&sample(), Split::Val);
            let app = Arc::new(WebApp::new(answerer, &db, 2).unwrap());
            let server = start(app, "127.0.0.1:0", &[], Limits::default()).unwrap();
            Served {
                _model: model,
                server,
            }
        })
        .server
        .addr()
}

/// A response: status, headers (names lowercased), body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Sends `raw` bytes and reads the whole response (the server closes after one).
fn send(raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
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
    let host = format!("127.0.0.1:{}", addr().port());
    send(
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
    assert_eq!(reply.status, 414, "{}", reply.body);
    assert!(took < Duration::from_millis(50), "{took:?}");
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
