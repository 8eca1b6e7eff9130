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
