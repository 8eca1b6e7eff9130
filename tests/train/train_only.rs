//! `train_only`: new heads learn on a trained model without changing the rest of it. The family
//! heads are grown on a LoRA artifact and trained a few steps with `train_only = ["heads.family"]`:
//! every weight the artifact had comes back bit for bit, and the family heads are saved beside
//! them. The same run without `train_only` changes the artifact's weights (so the comparison can
//! fail); with `["heads.family", "encoder"]` the adapters learn and the sketch heads stay.

use crate::support;

use safetensors::SafeTensors;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every tensor of a model folder's weights, by name.
fn tensors(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(dir.join("slots.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, view)| (name, view.data().to_vec()))
        .collect()
}

/// `sqlcoder train --config CONFIG` from the repository root.
fn sqlcoder_train(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sqlcoder"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["train", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

/// Trains 3 steps of 4 sample questions from `init` with the family heads grown, `extra` config
/// lines added; the run's folder.
pub fn train_family_steps(init: &Path, tmp: &Path, name: &str, extra: &str) -> PathBuf {
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
    let out = sqlcoder_train(&config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tmp.join("runs").join(name)
}

/// [`train_family_steps`] with `train_only` as given; the model saved.
fn train(init: &Path, tmp: &Path, name: &str, train_only: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let only = format!("train_only = {train_only:?}\n");
    tensors(&train_family_steps(init, tmp, name, &only).join("last"))
}

#[test]
fn train_only_the_family_heads_keeps_every_other_weight() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tmp.path().join("init");
    sqlcoder_infer::testing::random_head_artifact(&init, &support::encoder(), 3).unwrap();
    let before = tensors(&init);
    assert!(before.keys().all(|k| !k.starts_with("heads.family")));

    let only = train(&init, tmp.path(), "only", &["heads.family"]);
    for (name, bytes) in &before {
        assert!(
            only.get(name) == Some(bytes),
            "{name} changed or went missing"
        );
    }
    let family = only
        .keys()
        .filter(|k| k.starts_with("heads.family"))
        .count();
    assert!(family > 5, "{family} family tensors saved");

    let all = train(&init, tmp.path(), "all", &[]);
    let changed = before
        .iter()
        .filter(|(n, b)| all.get(*n) != Some(*b))
        .count();
    assert!(
        changed > 0,
        "without train_only no weight of the artifact changed"
    );

    // The family heads and the encoder's adapters learn; the sketch heads stay as they were.
    let under = train(&init, tmp.path(), "under", &["heads.family", "encoder"]);
    let (heads, encoder): (Vec<_>, Vec<_>) =
        before.iter().partition(|(n, _)| n.starts_with("heads."));
    assert!(!heads.is_empty() && !encoder.is_empty());
    for (name, bytes) in heads {
        assert!(
            under.get(name) == Some(bytes),
            "{name} changed or went missing"
        );
    }
    assert!(
        encoder.iter().any(|(n, b)| under.get(*n) != Some(*b)),
        "no encoder weight learned"
    );

    // A prefix that names nothing trainable is refused.
    let config = tmp.path().join("none.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"none\"\nruns_dir = {:?}\ncache_dir = {:?}\ndata_dir = \"data/sample\"\n\
             init_model = {init:?}\ntrain_only = [\"heads.nothing\"]\n[model]\nmode = \"lora\"\n\
             dropout = 0.0\n",
            tmp.path().join("runs"),
            tmp.path().join("cache"),
        ),
    )
    .unwrap();
    let out = sqlcoder_train(&config);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("heads.nothing"), "{stderr}");
}
