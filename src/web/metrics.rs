//! Counters for `GET /metrics`, in Prometheus' text format: requests by route and status, their
//! latency, the time spent in the model, and what uploads hold.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative histogram of durations.
#[derive(Default)]
struct Histogram {
    /// Observations at or below each bound of [`BUCKETS`] (not yet cumulative).
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// What the server counts.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Histogram,
    model: Histogram,
}

/// The route a path belongs to, as a metric label (never the raw path: ids stay out).
pub fn route_label(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/app.js" => "/app.js",
        "/app.css" => "/app.css",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/api/tables" => "/api/tables",
        "/api/ask" => "/api/ask",
        "/api/csv" => "/api/csv",
        "/api/upload" => "/api/upload",
        p if p.starts_with("/api/tables/") => "/api/tables/{id}",
        _ => "other",
    }
}

impl Metrics {
    /// One answered request.
    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((route, status))
            .or_default() += 1;
        self.latency.observe(took);
    }

    /// One run of the model (an answer, guidance included).
    pub fn model_run(&self, took: Duration) {
        self.model.observe(took);
    }

    /// The text exposition, with the uploads held (`count`, estimated `bytes`).
    pub fn render(&self, uploads: usize, upload_bytes: usize) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP sqlcoder_requests_total Requests answered, by route and status.\n\
             # TYPE sqlcoder_requests_total counter\n",
        );
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "sqlcoder_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        self.latency.render(
            &mut out,
            "sqlcoder_request_seconds",
            "Time from a request's head to its response.",
        );
        self.model.render(
            &mut out,
            "sqlcoder_model_seconds",
            "Time the model (and execution guidance) took per answer.",
        );
        let _ = writeln!(
            out,
            "# HELP sqlcoder_uploads Uploaded tables held.\n# TYPE sqlcoder_uploads gauge\n\
             sqlcoder_uploads {uploads}\n\
             # HELP sqlcoder_upload_bytes Estimated memory held by uploaded tables.\n\
             # TYPE sqlcoder_upload_bytes gauge\nsqlcoder_upload_bytes {upload_bytes}"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_text() {
        let m = Metrics::default();
        m.request("/api/ask", 200, Duration::from_millis(30));
        m.request("/api/ask", 200, Duration::from_millis(300));
        m.request(
            route_label("/api/tables/csv-abc"),
            404,
            Duration::from_millis(1),
        );
        let text = m.render(1, 2048);
        assert!(text.contains("sqlcoder_requests_total{route=\"/api/ask\",status=\"200\"} 2"));
        assert!(text.contains("route=\"/api/tables/{id}\",status=\"404\"} 1"));
        assert!(text.contains("sqlcoder_request_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("sqlcoder_request_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("sqlcoder_upload_bytes 2048"));
    }
}
