//! Uploads on the web app: `/api/upload` (the file as the body), the upload budget that keeps
//! connections and a worker for asks, and uploads beside asks at `--workers 2`.

use crate::support::{QUESTION, TABLE};
use crate::web::{assert_security_headers, limited_server, own_server, request_to, send_to, Reply};

use serde_json::json;
use sqlcoder::web::{Limits, ServerConfig};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

// The experiments' CSV files; these tests send only the one of numbers.
#[allow(dead_code)]
#[path = "../../examples/common/probe_csv.rs"]
mod probe_csv;

fn upload(to: SocketAddr, name: &str, content_type: &str, body: &str) -> Reply {
    request_to(
        to,
        "POST",
        &format!("/api/upload?name={name}"),
        body,
        &format!("Content-Type: {content_type}\r\n"),
    )
}

fn ask(to: SocketAddr, table: &str, question: &str) -> Reply {
    let body = json!({ "table": table, "question": question }).to_string();
    request_to(
        to,
        "POST",
        "/api/ask",
        &body,
        "Content-Type: application/json\r\n",
    )
}

#[test]
fn a_file_sent_as_the_body_becomes_a_table_and_bad_ones_get_one_line() {
    let served = own_server(ServerConfig::default());
    let to = served.server.addr();
    let reply = upload(
        to,
        "caf%C3%A9.csv",
        "text/csv",
        "Name,Score\nAda,3\nBob,5\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let t = reply.json();
    assert_eq!(t["name"], "café.csv");
    assert_eq!(t["n_rows"], 2);
    let id = t["id"].as_str().unwrap();
    assert!(id.starts_with("csv-"), "{id}");
    let a = ask(to, id, "What is Ada's score?");
    assert_eq!(a.status, 200, "{}", a.body);
    // Told from its first bytes when the type says nothing.
    let reply = upload(to, "t", "application/octet-stream", "a;b\n1;2\n");
    assert_eq!(reply.status, 200, "{}", reply.body);

    let refused = [
        (
            "t.csv",
            "text/plain",
            "a,b\n1,2\n".to_string(),
            415,
            "Content-Type",
        ),
        (
            "t.csv",
            "application/json",
            "a,b\n1,2\n".into(),
            415,
            "text/csv",
        ),
        (
            "book.xlsx",
            "application/octet-stream",
            "PK\u{3}\u{4}rest".into(),
            400,
            "book.xlsx: a damaged .xlsx workbook",
        ),
        (
            "t.csv",
            "text/csv",
            "a,b\n1,2\n3\n".into(),
            400,
            "t.csv:3: 1 fields",
        ),
    ];
    for (name, content_type, body, status, says) in refused {
        let reply = upload(to, name, content_type, &body);
        assert_eq!(reply.status, status, "{content_type}: {}", reply.body);
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(says) && !error.contains('\n'), "{error}");
        assert_security_headers(&reply);
    }
    // Over the cap: refused from the head, before any of the body is sent.
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: text/csv\r\n\
         Content-Length: {}\r\n\r\n",
        to.port(),
        3 << 20
    );
    let reply = send_to(to, head.as_bytes());
    assert_eq!(reply.status, 413, "{}", reply.body);
    let reply = request_to(to, "GET", "/api/upload", "", "");
    assert_eq!(reply.status, 405);
    let script = request_to(to, "GET", "/app.js", "", "");
    assert!(script.body.contains("/api/upload"));
}

/// Reads what `stream` has been sent within `wait`.
fn answered(stream: &mut TcpStream, wait: Duration) -> String {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn uploads_over_their_budget_are_refused_at_their_head_and_asks_keep_their_slots() {
    let limits = Limits {
        max_connections: 6,
        max_uploads: 3,
        ..Limits::default()
    };
    let (_served, to, host) = limited_server(limits);
    // As many uploads as there are connections, each sending its head and a little of its body,
    // then stalling (as a slow client, or one queued behind a worker, holds its connection).
    let mut uploads: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = TcpStream::connect(to).unwrap();
            write!(
                s,
                "POST /api/upload?name=a.csv HTTP/1.1\r\nHost: {host}\r\n\
                 Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n1,2\n"
            )
            .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let answers: Vec<String> = uploads
        .iter_mut()
        .map(|s| answered(s, Duration::from_millis(200)))
        .collect();
    let refused: Vec<&String> = answers.iter().filter(|a| !a.is_empty()).collect();
    assert_eq!(refused.len(), 3, "{answers:?}");
    for a in refused {
        assert!(a.starts_with("HTTP/1.1 503"), "{a}");
        let lower = a.to_ascii_lowercase();
        assert!(lower.contains("retry-after: 1"), "{a}");
        assert!(a.contains("uploads are in progress"), "{a}");
    }
    // An ask gets a connection and a worker while the uploads hold theirs.
    let started = Instant::now();
    let reply = ask(to, TABLE, QUESTION);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(uploads);
}

#[test]
fn twelve_uploads_beside_four_ask_clients_leave_every_ask_answered() {
    let served = own_server(ServerConfig::default());
    let to = served.server.addr();
    let csv = probe_csv::numeric();
    let (uploads, asks) = std::thread::scope(|s| {
        let uploads: Vec<_> = (0..12)
            .map(|_| s.spawn(|| upload(to, "numbers.csv", "text/csv", &csv).status))
            .collect();
        let askers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..5)
                        .map(|_| ask(to, TABLE, QUESTION).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        (
            uploads
                .into_iter()
                .map(|u| u.join().unwrap())
                .collect::<Vec<_>>(),
            askers
                .into_iter()
                .flat_map(|a| a.join().unwrap())
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(asks, vec![200; 20]);
    assert_eq!(uploads, vec![200; 12]);
}
