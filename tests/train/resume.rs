//! kill -9 during training, then `--resume`: training continues from the last checkpoint and
//! finishes with the same step count an uninterrupted run has, logging no step twice.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sqlcoder"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn checkpoint_step(run: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(run.join("checkpoint/state.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["step"].as_u64()
}

#[test]
fn killed_run_resumes_from_its_last_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("resume.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"resume\"\nruns_dir = {:?}\ncache_dir = {:?}\ndata_dir = \"data/sample\"\n\
             epochs = 2\nbatch_size = 8\ncheckpoint_every = 2\nval_limit = 16\n[optim]\nlr_heads = 1e-3\n",
            tmp.path().join("runs"),
            tmp.path().join("cache")
        ),
    )
    .unwrap();
    let run = tmp.path().join("runs/resume");

    let mut child = bin()
        .args(["train", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while checkpoint_step(&run).unwrap_or(0) < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let saved = checkpoint_step(&run).unwrap();
    assert!(saved < 16, "the run finished before the kill");

    // Starting over on top of a checkpoint is refused; resuming continues it.
    let refused = bin()
        .args(["train", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let resumed = bin()
        .args(["train", "--resume", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "resume failed: {stderr}");
    let from = checkpoint_step_in(&stderr).expect("resume message");
    assert!(
        from >= saved,
        "resumed from step {from}, checkpoint had {saved}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(
        summary["steps"], 16,
        "64 sample questions / batch 8 × 2 epochs"
    );
    assert_eq!(summary["finished"], true);

    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let steps: Vec<u64> = metrics
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "step")
        .map(|v| v["step"].as_u64().unwrap())
        .collect();
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "steps logged twice or out of order: {steps:?}"
    );
    assert!(run.join("best/slots.safetensors").exists());
}

/// The step in "resuming at epoch E batch B (step S)".
fn checkpoint_step_in(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.starts_with("resuming at"))?;
    line.rsplit("(step ")
        .next()?
        .trim_end_matches(')')
        .parse()
        .ok()
}
