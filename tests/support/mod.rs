//! Shared by the integration tests and the benches (`#[path]`-included there): paths (the
//! checkout, the shared folder), the binary and commands on it, models, a served app, the shared
//! WikiSQL files read directly, and the encoder's reference fixture.

#![allow(dead_code)]

pub mod postgres;

use liblzma::read::XzDecoder;
use serde::Deserialize;
use serde_json::Value;
use sqlcoder_data::types::{Agg, Cond, CondOp, CondValue, Example, Query, Table};
use std::borrow::BorrowMut;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const QUESTION: &str = "What position does the player who played for butler cc (ks) play?";
pub const TABLE: &str = "1-10015132-11";

/// The shared folder (WikiSQL, the upstream encoder, fixtures): `$SQLCODER_SHARED`, else
/// `../shared` beside the checkout (as in CI and the main checkout).
pub fn shared() -> PathBuf {
    std::env::var_os("SQLCODER_SHARED")
        .map_or_else(|| Path::new(ROOT).join("../shared"), PathBuf::from)
}

/// `shared()/wikisql`, which must exist.
pub fn shared_wikisql() -> PathBuf {
    let dir = shared().join("wikisql");
    assert!(
        dir.is_dir(),
        "{} is missing: put the shared folder beside the repository or set SQLCODER_SHARED",
        dir.display()
    );
    dir
}

pub fn sample() -> PathBuf {
    Path::new(ROOT).join("data/sample")
}

/// The encoder shipped in the checkout.
pub fn encoder() -> PathBuf {
    Path::new(ROOT).join("models/all-MiniLM-L6-v2")
}

/// The trained model shipped in `models/` (for tests that check answers, not just shapes).
pub fn shipped_model() -> PathBuf {
    Path::new(ROOT).join("models/sqlcoder-lora")
}

/// A LoRA artifact with the pretrained encoder and random heads, in a folder removed on drop.
pub fn random_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sqlcoder_infer::testing::random_head_artifact(dir.path(), &encoder(), 5)
        .expect("writing the random-head artifact");
    dir
}

/// The `sqlcoder` binary: cargo's build of it, or `$SQLCODER_BIN` (to test another build, e.g.
/// when several checkouts share one target folder and its uplifted binary).
pub fn binary() -> PathBuf {
    std::env::var_os("SQLCODER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_sqlcoder")),
        PathBuf::from,
    )
}

/// `sqlcoder ARGS`, run in the checkout.
pub fn sqlcoder(args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args).current_dir(ROOT);
    cmd
}

/// `sqlcoder ARGS --model MODEL --encoder <shipped encoder>`, run in the checkout.
pub fn with_model(model: &Path, args: &[&str]) -> Command {
    let mut cmd = sqlcoder(args);
    cmd.arg("--model")
        .arg(model)
        .arg("--encoder")
        .arg(encoder());
    cmd
}

/// Runs `cmd` to the end: success, stdout, stderr.
pub fn run(mut cmd: impl BorrowMut<Command>) -> (bool, String, String) {
    outcome(cmd.borrow_mut().output().expect("the binary runs"))
}

/// Runs `cmd` with `input` on its stdin (then closed): success, stdout, stderr.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> (bool, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    outcome(child.wait_with_output().expect("the binary runs"))
}

fn outcome(out: std::process::Output) -> (bool, String, String) {
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `sqlcoder serve --port 0 …` started in the background; its address is read from stderr.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
}

impl ServeProcess {
    /// `serve --data DATA --model MODEL --encoder <shipped encoder>`.
    pub fn with_model(data: &Path, model: &Path) -> ServeProcess {
        ServeProcess::start(&[
            "--data".as_ref(),
            data.as_os_str(),
            "--model".as_ref(),
            model.as_os_str(),
            "--encoder".as_ref(),
            encoder().as_os_str(),
        ])
    }

    pub fn start(args: &[&OsStr]) -> ServeProcess {
        use std::io::BufRead;
        let mut child = Command::new(binary())
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

// The shared WikiSQL files read directly (the data layer's readers are built in parallel, so
// tests of them should not trust them to read their own input).

pub fn read_jsonl_xz(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(XzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

/// A query from the original `sql` object.
pub fn query(sql: &Value) -> Query {
    let conds = sql["conds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Cond {
            col: c[0].as_u64().unwrap() as usize,
            op: CondOp::from_index(c[1].as_u64().unwrap() as usize).unwrap(),
            value: serde_json::from_value::<CondValue>(c[2].clone()).unwrap(),
        })
        .collect();
    Query {
        sel: sql["sel"].as_u64().unwrap() as usize,
        agg: Agg::from_index(sql["agg"].as_u64().unwrap() as usize).unwrap(),
        conds,
    }
}

/// `dev` or `test` questions, in file order.
pub fn examples(split: &str) -> Vec<Example> {
    read_jsonl_xz(&shared_wikisql().join(format!("{split}.jsonl.xz")))
        .iter()
        .map(|e| Example {
            table_id: e["table_id"].as_str().unwrap().to_string(),
            question: e["question"].as_str().unwrap().to_string(),
            query: query(&e["sql"]),
        })
        .collect()
}

/// The reconstructed `dev` or `test` tables by id.
pub fn tables(split: &str) -> BTreeMap<String, Table> {
    read_jsonl_xz(&shared_wikisql().join(format!("reconstructed/{split}.tables.jsonl.xz")))
        .into_iter()
        .map(|t| {
            let table: Table = serde_json::from_value(t).unwrap();
            (table.id.clone(), table)
        })
        .collect()
}

/// The upstream encoder in the shared folder (f32 weights, tokenizer).
pub fn upstream_encoder() -> PathBuf {
    shared().join("encoder/all-MiniLM-L6-v2")
}

/// The encoder's reference outputs (`shared/tools/bert_reference.py`): `shared()/fixtures/minilm_reference.json`.
pub fn encoder_fixture_path() -> PathBuf {
    shared().join("fixtures/minilm_reference.json")
}

/// The reference fixture: WikiSQL-style inputs and the final hidden states for them.
#[derive(Deserialize)]
pub struct Fixture {
    pub cases: Vec<FixtureCase>,
}

#[derive(Deserialize)]
pub struct FixtureCase {
    pub input_ids: Vec<i64>,
    pub token_type_ids: Vec<i64>,
    pub last_hidden_state: Vec<Vec<f32>>,
}

/// The fixture, or `None` when the shared folder does not have it.
pub fn encoder_fixture() -> Option<Fixture> {
    let text = std::fs::read_to_string(encoder_fixture_path()).ok()?;
    Some(serde_json::from_str(&text).expect("fixture JSON"))
}

/// A tiny random BERT (width 64, 2 layers, 4 heads, the shipped vocabulary) for training tests.
pub fn tiny_bert(dropout: f64) -> sqlcoder_model::BertConfig {
    sqlcoder_model::BertConfig::tiny(30522, 64, 2, 4, dropout)
}

/// The committed sample's training questions, ready to train on.
pub struct SampleTrain {
    /// The shipped encoder's tokenizer.
    pub builder: sqlcoder_model::input::InputBuilder,
    pub ds: sqlcoder_data::Dataset,
    /// The training cache of every question of `ds`.
    pub cached: Vec<sqlcoder_train::cache::CachedExample>,
}

pub fn sample_train() -> SampleTrain {
    use sqlcoder_data::{self as data, Split};
    let builder =
        sqlcoder_model::input::InputBuilder::from_file(encoder().join("tokenizer.json")).unwrap();
    let ds = data::load_split(&sample(), Split::Train).unwrap();
    let (cached, _) =
        sqlcoder_train::cache_build::build_cache(&ds.examples, &ds.tables, &builder, false)
            .unwrap();
    SampleTrain {
        builder,
        ds,
        cached,
    }
}
