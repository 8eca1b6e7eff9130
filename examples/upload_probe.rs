//! Uploads against asks and memory on a running `sqlcoder serve`, over loopback, one connection
//! per request (experiments/serve_uploads.sh starts the server and runs this).
//!
//! `upload_probe run ADDR SERVER_PID QUESTIONS.jsonl OUT.json`:
//! 1. idle: one answered question, then the server's resident memory (`VmRSS`);
//! 2. 48 concurrent uploads of the 2 MB CSV of numbers to `/api/upload` (statuses, wall time),
//!    then a question to each of the last 5 answered (are they askable?);
//! 3. 60 concurrent uploads (numbers and text in turn) while 16 clients ask 50 questions each:
//!    upload statuses, ask errors and p50/p95/max latency;
//! 4. the peak resident memory over the whole run (`VmHWM`) and the uploads held.
//!
//! `upload_probe summary OUT.json RUN.json…`: the median of each figure over the runs, and the
//! goals checked on the medians.

#[path = "common/asks.rs"]
mod asks;
#[path = "common/probe_csv.rs"]
mod probe_csv;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// One request: (status, body).
fn request(addr: &str, head: &str, body: &[u8]) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // A server refusing before the body (503, 413) may close while it is still being sent.
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    match (status, sent.and(read.map(|_| ()))) {
        (Some(status), _) => {
            let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            Ok((status, body.to_string()))
        }
        (None, Err(e)) => Err(e.to_string()),
        (None, Ok(())) => Err(format!("no status: {response:?}")),
    }
}

fn ask(addr: &str, body: &str) -> Result<(u16, String), String> {
    request(
        addr,
        "POST /api/ask HTTP/1.1\r\nContent-Type: application/json",
        body.as_bytes(),
    )
}

fn upload(addr: &str, name: &str, csv: &str) -> Result<(u16, String), String> {
    request(
        addr,
        &format!("POST /api/upload?name={name} HTTP/1.1\r\nContent-Type: text/csv"),
        csv.as_bytes(),
    )
}

/// A line of /proc/PID/status in MiB.
fn proc_mb(pid: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field in /proc/PID/status");
    (kb / 1024.0).round()
}

/// The uploads the server holds (its `/metrics`).
fn held(addr: &str) -> u64 {
    let (_, body) = request(addr, "GET /metrics HTTP/1.1", b"").expect("/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix("sqlcoder_uploads "))
        .and_then(|n| n.trim().parse().ok())
        .expect("sqlcoder_uploads in /metrics")
}

/// Each outcome and how often it came: "200", "503", or the error.
fn tally(outcomes: &[Result<(u16, String), String>]) -> Value {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for o in outcomes {
        let key = match o {
            Ok((status, _)) => status.to_string(),
            Err(e) => e.clone(),
        };
        *counts.entry(key).or_default() += 1;
    }
    json!(counts)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn run(args: &[String]) {
    let [addr, pid, questions, out] = args else {
        panic!("usage: upload_probe run ADDR SERVER_PID QUESTIONS.jsonl OUT.json");
    };
    let asks = asks::ask_bodies(questions);
    let (numbers, text) = (probe_csv::numeric(), probe_csv::text_heavy());

    let first = ask(addr, &asks[0]);
    assert!(matches!(first, Ok((200, _))), "the first ask: {first:?}");
    let idle = proc_mb(pid, "VmRSS:");

    // 48 uploads at once.
    let started = Instant::now();
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..48)
            .map(|_| s.spawn(|| (upload(addr, "numbers.csv", &numbers), started.elapsed())))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let last_answer = outcomes.iter().map(|(_, t)| *t).max().unwrap_or_default();
    // The uploads' ids in the order their answers came (the server keeps the newest).
    let mut finished: Vec<(Duration, String)> = outcomes
        .iter()
        .filter_map(|(o, t)| match o {
            Ok((200, body)) => serde_json::from_str::<Value>(body).ok()?["id"]
                .as_str()
                .map(|id| (*t, id.to_string())),
            _ => None,
        })
        .collect();
    finished.sort();
    let ids: Vec<String> = finished.into_iter().map(|(_, id)| id).collect();
    let (outcomes, _): (Vec<_>, Vec<_>) = outcomes.into_iter().unzip();
    let held_after_48 = held(addr);
    // The last 5 uploaded (the last to be answered) answer questions.
    let askable = ids
        .iter()
        .rev()
        .take(5)
        .filter(|id| {
            let q = json!({ "table": id, "question": "What is c3 when c0 is 4?" }).to_string();
            matches!(ask(addr, &q), Ok((200, _)))
        })
        .count();
    let uploads_48 = json!({
        "outcomes": tally(&outcomes),
        "last_answer_s": (last_answer.as_secs_f64() * 100.0).round() / 100.0,
        "held_after": held_after_48,
        "of_last_5_askable": askable,
    });

    // 60 uploads while 16 clients ask 50 questions each.
    let (upload_outcomes, ask_results) = std::thread::scope(|s| {
        let uploaders: Vec<_> = (0..60)
            .map(|i| {
                let (name, csv) = if i % 2 == 0 {
                    ("numbers.csv", &numbers)
                } else {
                    ("text.csv", &text)
                };
                s.spawn(move || upload(addr, name, csv))
            })
            .collect();
        let askers: Vec<_> = (0..16)
            .map(|c| {
                let asks = &asks;
                s.spawn(move || {
                    (0..50)
                        .map(|i| {
                            let t = Instant::now();
                            let r = ask(addr, &asks[(c * 50 + i) % asks.len()]);
                            (t.elapsed(), r.map(|(s, _)| (s, String::new())))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let uploads: Vec<_> = uploaders.into_iter().map(|u| u.join().unwrap()).collect();
        let asks: Vec<_> = askers.into_iter().flat_map(|a| a.join().unwrap()).collect();
        (uploads, asks)
    });
    let mut latencies: Vec<Duration> = ask_results.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    let pct = |p: f64| {
        let at = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len());
        ms(latencies[at - 1])
    };
    let ask_outcomes: Vec<_> = ask_results.into_iter().map(|(_, r)| r).collect();
    let ok = ask_outcomes
        .iter()
        .filter(|o| matches!(o, Ok((200, _))))
        .count();
    let mixed = json!({
        "uploads": tally(&upload_outcomes),
        "asks": tally(&ask_outcomes),
        "asks_200_percent": (ok as f64 * 1000.0 / ask_outcomes.len() as f64).round() / 10.0,
        "ask_p50_ms": pct(0.5),
        "ask_p95_ms": pct(0.95),
        "ask_max_ms": pct(1.0),
        "held_after": held(addr),
    });
    let peak = proc_mb(pid, "VmHWM:");
    let report = json!({
        "idle_rss_mb": idle,
        "peak_rss_mb": peak,
        "peak_over_idle_mb": peak - idle,
        "rss_after_mb": proc_mb(pid, "VmRSS:"),
        "uploads_48": uploads_48,
        "uploads_60_with_asks_16x50": mixed,
        "load_average_after": std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    });
    println!("{report}");
    sqlcoder_data::io::write_atomic(Path::new(out), format!("{report:#}\n"))
        .expect("writing the report");
}

/// The median of the numbers at `pointer` in `runs`.
fn median(runs: &[Value], pointer: &str) -> f64 {
    let mut v: Vec<f64> = runs
        .iter()
        .map(|r| {
            r.pointer(pointer)
                .and_then(Value::as_f64)
                .unwrap_or(f64::NAN)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn summary(args: &[String]) {
    let [out, runs @ ..] = args else {
        panic!("usage: upload_probe summary OUT.json RUN.json…");
    };
    let runs: Vec<Value> = runs
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("a run")).expect("JSON"))
        .collect();
    let m = |p: &str| median(&runs, p);
    let (idle, peak) = (m("/idle_rss_mb"), m("/peak_rss_mb"));
    let goals = json!({
        "peak_over_idle_at_most_200_mb": m("/peak_over_idle_mb") <= 200.0,
        "all_48_uploads_200_within_30_s": m("/uploads_48/outcomes/200") == 48.0
            && m("/uploads_48/last_answer_s") <= 30.0,
        "at_least_5_askable": m("/uploads_48/of_last_5_askable") >= 5.0,
        "asks_200_at_least_99_percent": m("/uploads_60_with_asks_16x50/asks_200_percent") >= 99.0,
        "ask_p95_at_most_2_s": m("/uploads_60_with_asks_16x50/ask_p95_ms") <= 2000.0,
    });
    let report = json!({
        "runs": runs.len(),
        "median": {
            "idle_rss_mb": idle,
            "peak_rss_mb": peak,
            "peak_over_idle_mb": m("/peak_over_idle_mb"),
            "uploads_48_ok": m("/uploads_48/outcomes/200"),
            "uploads_48_last_answer_s": m("/uploads_48/last_answer_s"),
            "uploads_held_after_48": m("/uploads_48/held_after"),
            "of_last_5_askable": m("/uploads_48/of_last_5_askable"),
            "mixed_uploads_ok": m("/uploads_60_with_asks_16x50/uploads/200"),
            "mixed_uploads_503": m("/uploads_60_with_asks_16x50/uploads/503"),
            "asks_200_percent": m("/uploads_60_with_asks_16x50/asks_200_percent"),
            "ask_p50_ms": m("/uploads_60_with_asks_16x50/ask_p50_ms"),
            "ask_p95_ms": m("/uploads_60_with_asks_16x50/ask_p95_ms"),
        },
        "goals_met": goals,
        "each_run": runs,
    });
    println!("{report:#}");
    sqlcoder_data::io::write_atomic(Path::new(out), format!("{report:#}\n"))
        .expect("writing the summary");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("summary") => summary(&args[1..]),
        _ => {
            eprintln!(
                "usage: upload_probe run ADDR SERVER_PID QUESTIONS.jsonl OUT.json\n       \
                 upload_probe summary OUT.json RUN.json…"
            );
            std::process::exit(2);
        }
    }
}
