//! Shared by the application tests: paths, and a model artifact with random heads.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const QUESTION: &str = "What position does the player who played for butler cc (ks) play?";
pub const TABLE: &str = "1-10015132-11";

pub fn sample() -> PathBuf {
    Path::new(ROOT).join("data/sample")
}

pub fn encoder() -> PathBuf {
    Path::new(ROOT).join("models/all-MiniLM-L6-v2")
}

/// The `sqlcoder` binary: cargo's build of it, or `$SQLCODER_BIN` (to test another build, e.g.
/// when several checkouts share one target folder and its uplifted binary).
pub fn binary() -> PathBuf {
    std::env::var_os("SQLCODER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_sqlcoder")),
        PathBuf::from,
    )
}

/// A LoRA artifact with the pretrained encoder and random heads, in a folder removed on drop.
pub fn random_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sqlcoder::infer::testing::random_head_artifact(dir.path(), &encoder(), 5)
        .expect("writing the random-head artifact");
    dir
}

/// The trained model shipped in `models/` (for tests that check answers, not just shapes).
pub fn shipped_model() -> PathBuf {
    Path::new(ROOT).join("models/sqlcoder-lora")
}

/// `sqlcoder serve --port 0 …` started in the background; its address is read from stderr.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
}

impl ServeProcess {
    pub fn start(args: &[&std::ffi::OsStr]) -> ServeProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(binary())
            .arg("serve")
            .args(["--port", "0"])
            .args(args)
            .current_dir(ROOT)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let mut seen = String::new();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("serve ended before listening: {seen}");
            };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("http://").nth(1) {
                let addr = rest.split('/').next().unwrap();
                break addr.parse().unwrap();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServeProcess { child, addr }
    }

    /// One request (closed after it): status and body.
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(self.addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.addr,
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
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
