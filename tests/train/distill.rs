//! `distill_from`: a run held to a teacher's sketch slots adds a distillation term on the
//! questions inside the sketch, logged as its own loss part; without a teacher the part is 0.

use crate::support;

use std::path::Path;
use std::process::Command;

/// Trains 3 steps from `init` (the family heads grown), with `extra` config lines; returns the
/// first metric line's `distill` part.
fn first_distill_part(init: &Path, tmp: &Path, name: &str, extra: &str) -> f64 {
    let config = tmp.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            "name = {name:?}\nruns_dir = {:?}\ncache_dir = {:?}\ndata_dir = \"data/sample\"\n\
             init_model = {init:?}\n{extra}epochs = 1\nmax_steps = 3\nbatch_size = 4\n\
             val_limit = 4\n[model]\nmode = \"lora\"\ndropout = 0.0\n[model.heads]\nfamily = true\n\
             [optim]\nlr_encoder = 1e-2\nlr_heads = 1e-2\nwarmup_fraction = 0.0\n",
            tmp.join("runs"),
            tmp.join("cache"),
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sqlcoder"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["train", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let metrics =
        std::fs::read_to_string(tmp.join("runs").join(name).join("metrics.jsonl")).unwrap();
    let step: serde_json::Value = metrics
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["kind"] == "step")
        .expect("a step line");
    step["parts"]["distill"].as_f64().expect("a distill part")
}

#[test]
fn a_teacher_adds_a_distillation_term_and_no_teacher_adds_none() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tmp.path().join("init");
    sqlcoder_infer::testing::random_head_artifact(&init, &support::encoder(), 3).unwrap();
    let teacher = format!("distill_from = {init:?}\ndistill_weight = 2.0\n");
    let held = first_distill_part(&init, tmp.path(), "held", &teacher);
    // The sample's questions are WikiSQL's, all inside the sketch; the term is a cross-entropy
    // against the teacher's distributions, so it is at least their entropy, above zero.
    assert!(held > 0.0, "distill part {held}");
    assert_eq!(first_distill_part(&init, tmp.path(), "free", ""), 0.0);
}
