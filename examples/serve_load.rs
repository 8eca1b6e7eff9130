//! Load on a running `sqlcoder serve`, over loopback, one connection per request.
//!
//! `serve_load ask ADDR CLIENTS ASKS QUESTIONS.jsonl OUT.json`: C clients, each asking N
//! questions (the sample's val questions, in turn); the error count, p50/p95/max latency and
//! requests per second.
//!
//! `serve_load upload ADDR UPLOADS SERVER_PID OUT.json`: that many clients at once each upload a
//! 2 MB CSV (64 columns × 15,501 rows of one-digit numbers) to `/api/csv`; statuses, time, and
//! the server's peak resident memory (`VmHWM` of /proc/SERVER_PID/status) after them.
//!
//! Both print and write their report as JSON (experiments/serve_load.sh starts the server and
//! runs this).

#[path = "common/asks.rs"]
mod asks;
// Only the file of numbers is sent here.
#[allow(dead_code)]
#[path = "common/probe_csv.rs"]
mod probe_csv;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn ask(addr: &str, body: &str) -> Result<u16, String> {
    post(addr, "/api/ask", body)
}

fn post(addr: &str, path: &str, body: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
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

const USAGE: &str = "usage: serve_load ask ADDR CLIENTS ASKS QUESTIONS.jsonl OUT.json\n       \
                     serve_load upload ADDR UPLOADS SERVER_PID OUT.json";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ask") => asks(&args[1..]),
        Some("upload") => uploads(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// The server's peak resident memory in MB (`VmHWM`).
fn peak_rss_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    (kb / 1024.0).round()
}

fn uploads(args: &[String]) {
    let [addr, uploads, pid, out] = args else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let uploads: usize = uploads.parse().unwrap();
    let csv = probe_csv::numeric();
    let body = json!({ "name": "wide.csv", "text": csv }).to_string();
    let before = peak_rss_mb(pid);
    let started = Instant::now();
    let statuses: Vec<Result<u16, String>> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..uploads)
            .map(|_| s.spawn(|| post(addr, "/api/csv", &body)))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let wall = started.elapsed();
    let ok = statuses.iter().filter(|s| matches!(s, Ok(200))).count();
    let mut other: Vec<String> = statuses
        .iter()
        .filter(|s| !matches!(s, Ok(200)))
        .map(|s| match s {
            Ok(code) => format!("status {code}"),
            Err(e) => e.clone(),
        })
        .collect();
    other.sort();
    other.dedup();
    let report = json!({
        "uploads": uploads,
        "csv_bytes": csv.len(),
        "ok": ok,
        "other_outcomes": other,
        "wall_s": (wall.as_secs_f64() * 100.0).round() / 100.0,
        "peak_rss_mb_before": before,
        "peak_rss_mb_after": peak_rss_mb(pid),
    });
    println!("{report}");
    sqlcoder_data::io::write_atomic(std::path::Path::new(out), format!("{report:#}\n"))
        .expect("writing the report");
}

fn asks(args: &[String]) {
    let [addr, clients, asks, questions, out] = args else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let (clients, asks): (usize, usize) = (clients.parse().unwrap(), asks.parse().unwrap());
    let bodies = asks::ask_bodies(questions);
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
