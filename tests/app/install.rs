//! The model from any folder: `install-model` into a prefix, then a copy of the binary run from
//! another folder (no checkout, empty HOME) finds it through the data folder or
//! $SQLCODER_HOME; an installed model older than the binary is an error saying to reinstall.

use crate::support::{self, binary, run, shipped_model, ROOT};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The copied binary run in `cwd` with none of the user's variables that steer the lookup.
fn bare(bin: &Path, cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(cwd)
        .env_remove("SQLCODER_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home);
    cmd
}

#[test]
fn an_installed_model_answers_from_another_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (prefix, home, work) = (
        tmp.path().join("prefix"),
        tmp.path().join("home"),
        tmp.path().join("work"),
    );
    for d in [&prefix.join("bin"), &home, &work] {
        std::fs::create_dir_all(d).unwrap();
    }
    let share = prefix.join("share/sqlcoder");
    // Installed from the checkout (its ./models), into the prefix.
    let mut install = bare(&binary(), Path::new(ROOT), &home);
    install.args(["install-model", "--to"]).arg(&share);
    let (ok, stdout, stderr) = run(install);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&share.display().to_string()), "{stdout}");
    let bin = prefix.join("bin/sqlcoder");
    std::fs::copy(binary(), &bin).unwrap();
    std::fs::write(work.join("emp.csv"), "name,salary\nAda,100\nBob,250\n").unwrap();

    let ask = |cmd: &mut Command| {
        cmd.args([
            "ask",
            "--csv",
            "emp.csv",
            "--json",
            "What is the total salary paid?",
        ]);
        let (ok, stdout, stderr) = run(cmd);
        assert!(ok, "{stderr}");
        let v: Value = serde_json::from_str(stdout.trim()).unwrap();
        let model = v["model"].as_str().expect("a model field").to_string();
        assert!(v["sql"].as_str().is_some(), "{v}");
        model
    };
    // Through the data folder: XDG_DATA_HOME = the prefix's share.
    let mut cmd = bare(&bin, &work, &home);
    cmd.env("XDG_DATA_HOME", prefix.join("share"));
    let model = ask(&mut cmd);
    assert_eq!(Path::new(&model), share.join("sqlcoder-lora"));
    // Through the variable, with an empty data folder.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = bare(&bin, &work, &home);
    cmd.env("XDG_DATA_HOME", &empty)
        .env("SQLCODER_HOME", &share);
    let model = ask(&mut cmd);
    assert!(Path::new(&model).starts_with(&prefix), "{model}");

    // Nothing installed: one line naming every place looked.
    let mut cmd = bare(&bin, &work, &home);
    cmd.env("XDG_DATA_HOME", &empty).args([
        "ask",
        "--csv",
        "emp.csv",
        "What is the total salary paid?",
    ]);
    let (ok, _, stderr) = run(cmd);
    assert!(!ok);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for place in [
        "$SQLCODER_HOME",
        &work.join("models/sqlcoder-lora").display().to_string(),
        &empty.join("sqlcoder/sqlcoder-lora").display().to_string(),
        &prefix
            .join("bin/models/sqlcoder-lora")
            .display()
            .to_string(),
        "install-model",
    ] {
        assert!(stderr.contains(place), "{place} missing: {stderr}");
    }

    // A WikiSQL table id outside a checkout: say to pass --csv.
    let mut cmd = bare(&bin, &work, &home);
    cmd.env("SQLCODER_HOME", &share)
        .args(["ask", "--table", support::TABLE, "Who?"]);
    let (ok, _, stderr) = run(cmd);
    assert!(!ok);
    assert!(stderr.contains("--csv"), "{stderr}");
    // `serve` without a table source too (before loading the model or listening).
    let mut cmd = bare(&bin, &work, &home);
    cmd.env("SQLCODER_HOME", &share)
        .args(["serve", "--port", "0"]);
    let (ok, _, stderr) = run(cmd);
    assert!(!ok);
    assert!(stderr.contains("pass --csv"), "{stderr}");
}

/// A copy of the shipped model in `dir/sqlcoder-lora`, changed by `edit`.
fn stale_copy(dir: &Path, edit: impl FnOnce(&Path)) -> std::path::PathBuf {
    let model = dir.join("sqlcoder-lora");
    std::fs::create_dir_all(&model).unwrap();
    for f in std::fs::read_dir(shipped_model()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), model.join(f.file_name())).unwrap();
    }
    edit(&model);
    model
}

/// `ask` through SQLCODER_HOME = `home` (in the checkout, so the encoder is its own): the error.
fn ask_error(home: &Path) -> String {
    let csv = home.join("emp.csv");
    std::fs::write(&csv, "name,salary\nAda,100\n").unwrap();
    let mut cmd = Command::new(binary());
    cmd.current_dir(ROOT)
        .env("SQLCODER_HOME", home)
        .args(["ask", "--csv"])
        .arg(&csv)
        .arg("What is the total salary paid?");
    let (ok, _, stderr) = run(cmd);
    assert!(!ok, "a stale model must not load");
    stderr
}

#[test]
fn a_stale_installed_model_says_to_reinstall() {
    let tmp = tempfile::tempdir().unwrap();
    // A newer format than this binary reads.
    let future = tmp.path().join("future");
    let model = stale_copy(&future, |m| {
        let meta = m.join("slots.json");
        let mut v: Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
        v["format_version"] = 99.into();
        std::fs::write(&meta, v.to_string()).unwrap();
    });
    let err = ask_error(&future);
    assert!(err.contains(&model.display().to_string()), "{err}");
    assert!(err.contains("sqlcoder install-model"), "{err}");

    // A head tensor missing (the weights of an older model).
    let old = tmp.path().join("old");
    let model = stale_copy(&old, |m| {
        let path = m.join("slots.safetensors");
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let tensors = st.tensors();
        let head = tensors
            .iter()
            .map(|(n, _)| n.clone())
            .find(|n| n.starts_with("heads."))
            .expect("a head tensor");
        let kept: Vec<_> = tensors.into_iter().filter(|(n, _)| *n != head).collect();
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        safetensors::serialize_to_file(kept, meta.metadata().clone(), &path).unwrap();
    });
    let err = ask_error(&old);
    assert!(err.contains(&model.display().to_string()), "{err}");
    assert!(err.contains("sqlcoder install-model"), "{err}");
}
