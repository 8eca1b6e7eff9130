//! The web app: a server on a free port in a thread, asked over plain HTTP.

mod support;

use serde_json::{json, Value};
use sqlcoder::app::web::{serve, WebApp};
use sqlcoder::data::{self, Split};
use sqlcoder::infer::{AnswerOptions, Answerer};
use sqlcoder::sql::Executor;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use support::{encoder, random_model, sample, QUESTION, TABLE};

/// One HTTP/1.1 request (connection closed after it): status and body.
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn the_server_lists_tables_answers_questions_and_rejects_bad_requests() {
    let model = random_model();
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap();
    let model_dir = model.path().to_path_buf();
    let serving = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            let answerer: Answerer = Answerer::load(
                &model_dir,
                &encoder(),
                Default::default(),
                AnswerOptions::default(),
            )
            .unwrap();
            let exec = Executor::open(&data::db_path(&sample(), Split::Val)).unwrap();
            let mut app = WebApp::new(answerer, exec).unwrap();
            serve(&mut app, &server);
        })
    };

    let (status, page) = request(addr, "GET", "/", "");
    assert_eq!(status, 200);
    assert!(page.contains("<form id=\"ask\">") && page.contains("/api/ask"));

    let (status, body) = request(addr, "GET", "/api/tables", "");
    assert_eq!(status, 200);
    let tables = json_of(&body)["tables"].as_array().unwrap().clone();
    assert!(tables.contains(&json!(TABLE)), "{body}");

    let (status, body) = request(addr, "GET", &format!("/api/tables/{TABLE}"), "");
    assert_eq!(status, 200);
    let t = json_of(&body);
    assert_eq!(t["header"][3], "Position");
    assert!(t["rows"].as_array().unwrap().len() <= t["n_rows"].as_u64().unwrap() as usize);

    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let (status, body) = request(addr, "POST", "/api/ask", &ask);
    assert_eq!(status, 200, "{body}");
    let a = json_of(&body);
    assert!(a["sql"].as_str().unwrap().starts_with("SELECT "), "{body}");
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
        let (status, reply) = request(addr, method, path, &body);
        assert_eq!(status, expected, "{method} {path}: {reply}");
        assert!(json_of(&reply)["error"].is_string(), "{reply}");
    }
    let (_, reply) = request(
        addr,
        "POST",
        "/api/ask",
        &json!({ "table": "1-10015132-1", "question": "who?" }).to_string(),
    );
    assert!(reply.contains("did you mean 1-10015132-11"), "{reply}");

    server.unblock();
    serving.join().unwrap();
}
