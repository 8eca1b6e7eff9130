//! The web page in a real browser: headless Chromium driven by chromedriver over the W3C
//! WebDriver HTTP API (a small client on std::net below). It opens the page served by
//! `sqlcoder serve`, picks a table, asks, and sees the SQL and the rows; then loads a CSV file
//! the test writes and asks about it.
//!
//! Skipped, with a message, only when chromium or chromedriver is not installed (CI installs
//! Debian's `chromium` and `chromium-driver`).

use crate::support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{random_model, sample, ServeProcess};

/// A table of the sample that is not the page's first (so picking it changes something).
const OTHER_TABLE: &str = "1-10088101-1";
/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium and chromedriver, when both are installed (else the test says it is skipped).
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = on_path(&["chromedriver"]);
    if chromium.is_none() || chromedriver.is_none() {
        eprintln!(
            "SKIPPED the browser test: chromium and chromedriver are not installed \
             (apt-get install chromium chromium-driver; CI installs them)"
        );
    }
    Some((chromium?, chromedriver?))
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// One HTTP/1.1 exchange with chromedriver (connection closed after it): the JSON reply.
fn http_json(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // chromedriver keeps connections open: read the head, then the body it announces.
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "{method} {path}: connection closed in the head");
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let mut body = bytes.split_off(head_end);
    match length {
        Some(n) => {
            while body.len() < n {
                let got = stream.read(&mut buf).unwrap();
                assert!(got > 0, "{method} {path}: connection closed in the body");
                body.extend_from_slice(&buf[..got]);
            }
        }
        None => {
            stream.read_to_end(&mut body).unwrap();
        }
    }
    let mut text = String::from_utf8_lossy(&body).into_owned();
    if head.contains("transfer-encoding: chunked") {
        text = dechunk(&text);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

struct Driver {
    process: Child,
    addr: SocketAddr,
    session: String,
}

impl Driver {
    fn start(chromedriver: &PathBuf, chromium: &PathBuf, profile: &std::path::Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut driver = Driver {
            process,
            addr,
            session: String::new(),
        };
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let reply = http_json(addr, "POST", "/session", Some(&caps));
        driver.session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_string();
        driver
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let reply = http_json(self.addr, method, &path, body.as_ref());
        reply["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The element matching `css`, if there is one now.
    fn find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT].as_str().map(String::from)
    }

    /// Every element matching `css`.
    fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn text(&self, element: &str) -> String {
        self.call("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn property(&self, element: &str, name: &str) -> Value {
        self.call("GET", &format!("/element/{element}/property/{name}"), None)
    }

    fn click(&self, element: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        );
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Polls until `check` gives `Some`, failing after `limit` with what the page shows.
    fn wait_for<T>(&self, what: &str, limit: Duration, check: impl Fn() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = check() {
                return v;
            }
            if started.elapsed() > limit {
                let page = self.script("return document.body.innerText;");
                panic!("timed out waiting for {what}; the page shows: {page}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of `css` once it contains `needle`.
    fn wait_text(&self, css: &str, needle: &str) -> String {
        self.wait_for(
            &format!("{css} to show {needle:?}"),
            Duration::from_secs(60),
            || {
                let e = self.find(css)?;
                let t = self.text(&e);
                t.contains(needle).then_some(t)
            },
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| http_json(self.addr, "DELETE", &path, None));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[test]
fn the_page_asks_in_a_real_browser_about_a_table_and_a_csv_file() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let model = random_model();
    let server = ServeProcess::with_model(&sample(), model.path());
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, &chromium, &dir.path().join("profile"));
    driver.go(&format!("http://{}/", server.addr));

    // Pick a table: its preview appears.
    let option = driver.wait_for("the table list", Duration::from_secs(30), || {
        let options = driver.find_all("#table option");
        options
            .into_iter()
            .find(|o| driver.property(o, "value") == OTHER_TABLE)
    });
    driver.click(&option);
    driver.wait_text("#preview", &format!("Table {OTHER_TABLE}"));

    // Ask: the SQL and a rows table appear.
    let question = driver.find("#question").unwrap();
    driver.type_into(
        &question,
        "What position does the player from butler cc (ks) play?",
    );
    driver.click(&driver.find("button[type=submit]").unwrap());
    let sql = driver.wait_text("#sql", "SELECT ");
    assert!(sql.contains("FROM \"table_1_10088101_1\""), "{sql}");
    let rows = driver.wait_text("#rows", "result");
    assert!(rows.starts_with("result"), "{rows}");
    assert!(driver.find("#error").is_none());

    // Load a CSV from disk and ask about it.
    let csv = dir.path().join("cities.csv");
    std::fs::write(
        &csv,
        "City,Country,Population\nLisbon,Portugal,545000\nMadrid,Spain,3300000\n",
    )
    .unwrap();
    let input = driver.find("#csv").unwrap();
    driver.call(
        "POST",
        &format!("/element/{input}/value"),
        Some(json!({ "text": csv.display().to_string() })),
    );
    // Uploads get random ids (`csv-` and 32 hex digits).
    let preview = driver.wait_text("#preview", "Table csv-");
    assert!(preview.contains("Madrid"), "{preview}");
    let question = driver.find("#question").unwrap();
    driver.type_into(&question, "What is the population of Madrid?");
    driver.click(&driver.find("button[type=submit]").unwrap());
    let sql = driver.wait_text("#sql", "table_csv_");
    assert!(sql.starts_with("SELECT "), "{sql}");
    driver.wait_text("#rows", "result");
}
