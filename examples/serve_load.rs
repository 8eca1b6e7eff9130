//! Load on a running `sqlcoder serve`: C clients, each asking N questions (the sample's val
//! questions, in turn) over loopback, one connection per request. Prints and writes (as JSON)
//! the error count, p50/p95/max latency and requests per second.
//!
//! `cargo run --release --example serve_load -- ADDR CLIENTS ASKS QUESTIONS.jsonl OUT.json`
//! (experiments/serve_load.sh starts the server and runs this).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn ask(addr: &str, body: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /api/ask HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status: {response:?}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, clients, asks, questions, out] = &args[..] else {
        eprintln!("usage: serve_load ADDR CLIENTS ASKS QUESTIONS.jsonl OUT.json");
        std::process::exit(2);
    };
    let (clients, asks): (usize, usize) = (clients.parse().unwrap(), asks.parse().unwrap());
    let bodies: Vec<String> = std::fs::read_to_string(questions)
        .expect("the questions file")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            json!({ "table": v["table"]["id"], "question": v["question"] }).to_string()
        })
        .collect();
    let started = Instant::now();
    let results: Vec<(Duration, Result<u16, String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let bodies = &bodies;
                s.spawn(move || {
                    (0..asks)
                        .map(|i| {
                            let body = &bodies[(c * asks + i) % bodies.len()];
                            let t = Instant::now();
                            let r = ask(addr, body);
                            (t.elapsed(), r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let wall = started.elapsed();
    let errors: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| match r {
            Ok(200) => None,
            Ok(s) => Some(format!("status {s}")),
            Err(e) => Some(e.clone()),
        })
        .collect();
    let mut ms: Vec<f64> = results
        .iter()
        .map(|(d, _)| d.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    let report = json!({
        "clients": clients,
        "asks_per_client": asks,
        "requests": ms.len(),
        "errors": errors.len(),
        "first_errors": errors.iter().take(5).collect::<Vec<_>>(),
        "p50_ms": (pct(0.50) * 10.0).round() / 10.0,
        "p95_ms": (pct(0.95) * 10.0).round() / 10.0,
        "max_ms": (pct(1.0) * 10.0).round() / 10.0,
        "wall_s": (wall.as_secs_f64() * 100.0).round() / 100.0,
        "requests_per_s": (ms.len() as f64 / wall.as_secs_f64() * 10.0).round() / 10.0,
    });
    println!("{report}");
    sqlcoder_data::io::write_atomic(std::path::Path::new(out), format!("{report:#}\n"))
        .expect("writing the report");
    if !errors.is_empty() {
        std::process::exit(1);
    }
}
