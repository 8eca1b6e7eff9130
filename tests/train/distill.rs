//! `distill_from`: a run held to a teacher's sketch slots adds a distillation term on the
//! questions inside the sketch, logged as its own loss part; without a teacher the part is 0.

use crate::support;
use crate::train_only::train_family_steps;

use std::path::Path;

/// Trains 3 steps from `init` with `extra` config lines; the first metric line's `distill` part.
fn first_distill_part(init: &Path, tmp: &Path, name: &str, extra: &str) -> f64 {
    let run = train_family_steps(init, tmp, name, extra);
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
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
