//! Where the trained model and its encoder are, from any folder: the lookup behind `--model` /
//! `--encoder` defaults, and `sqlcoder install-model`, which copies them where the lookup finds
//! them. Nothing here is compiled in from the build: the places come from the environment, the
//! current folder and the executable's own location ([`Env`], injected in tests).

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The trained model's folder name inside a models folder (`models/` of a checkout,
/// `$SQLCODER_HOME`, the data folder).
pub const MODEL_NAME: &str = "sqlcoder-lora";
/// The encoder's folder name beside it.
pub const ENCODER_NAME: &str = "all-MiniLM-L6-v2";
/// The variable naming a models folder (holding `sqlcoder-lora/` and `all-MiniLM-L6-v2/`).
pub const HOME_VAR: &str = "SQLCODER_HOME";

/// What the lookup reads from the process: variables, current folder, executable.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub vars: HashMap<String, OsString>,
    pub cwd: PathBuf,
    /// The executable, symlinks resolved (`None` when unknown).
    pub exe: Option<PathBuf>,
    /// Windows rules for the data folder (`%LOCALAPPDATA%`).
    pub windows: bool,
}

impl Env {
    /// This process's environment.
    pub fn current() -> Env {
        let names = [HOME_VAR, "XDG_DATA_HOME", "HOME", "LOCALAPPDATA"];
        Env {
            vars: names
                .iter()
                .filter_map(|n| std::env::var_os(n).map(|v| (n.to_string(), v)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            exe: std::env::current_exe()
                .ok()
                .and_then(|e| e.canonicalize().ok()),
            windows: cfg!(windows),
        }
    }

    /// A variable, when set and not empty.
    fn var(&self, name: &str) -> Option<&OsString> {
        self.vars.get(name).filter(|v| !v.is_empty())
    }

    /// The platform data folder for sqlcoder: `$XDG_DATA_HOME/sqlcoder`, else
    /// `~/.local/share/sqlcoder` (`%LOCALAPPDATA%\sqlcoder` on Windows).
    pub fn data_dir(&self) -> Option<PathBuf> {
        if self.windows {
            return self
                .var("LOCALAPPDATA")
                .map(|d| PathBuf::from(d).join("sqlcoder"));
        }
        // The XDG spec ignores a relative XDG_DATA_HOME.
        if let Some(d) = self.var("XDG_DATA_HOME").map(PathBuf::from) {
            if d.is_absolute() {
                return Some(d.join("sqlcoder"));
            }
        }
        self.var("HOME")
            .map(|h| PathBuf::from(h).join(".local/share/sqlcoder"))
    }
}

/// Which rule found a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Variable,
    Checkout,
    DataDir,
    BesideExe,
}

impl Source {
    /// Whether the folder was put there by `install-model` (or by hand), rather than named or
    /// shipped with a checkout: a model there may be older than the binary.
    pub fn installed(self) -> bool {
        matches!(self, Source::Variable | Source::DataDir | Source::BesideExe)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--model/--encoder",
            Source::Variable => "$SQLCODER_HOME",
            Source::Checkout => "the checkout's models/",
            Source::DataDir => "the data folder",
            Source::BesideExe => "models/ beside the executable",
        })
    }
}

/// The model and encoder folders found, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub model: PathBuf,
    pub model_source: Source,
    pub encoder: PathBuf,
    pub encoder_source: Source,
}

/// The models folders to search, in order: `$SQLCODER_HOME`, the current folder's `models/`
/// (a checkout), the data folder, `models/` beside the executable.
pub fn candidates(env: &Env) -> Vec<(PathBuf, Source)> {
    let mut out = Vec::new();
    if let Some(home) = env.var(HOME_VAR) {
        out.push((PathBuf::from(home), Source::Variable));
    }
    out.push((env.cwd.join("models"), Source::Checkout));
    if let Some(d) = env.data_dir() {
        out.push((d, Source::DataDir));
    }
    if let Some(dir) = env.exe.as_deref().and_then(Path::parent) {
        out.push((dir.join("models"), Source::BesideExe));
    }
    out
}

/// Whether `dir` holds a trained model (its `slots.json`).
pub fn holds_model(dir: &Path) -> bool {
    dir.join(sqlcoder_model::slot_model::ARTIFACT_META)
        .is_file()
}

/// Whether `dir` holds an encoder (its `config.json`).
pub fn holds_encoder(dir: &Path) -> bool {
    dir.join("config.json").is_file()
}

/// The model folder (`model` when given, else the first candidate holding one) and the encoder
/// (`encoder` when given, else the one beside the model found, else the first candidate holding
/// one). Nothing found is an error listing every place looked, on one line.
pub fn locate(model: Option<&Path>, encoder: Option<&Path>, env: &Env) -> Result<Located> {
    let places = candidates(env);
    let find = |name: &str, holds: fn(&Path) -> bool| {
        places
            .iter()
            .map(|(root, source)| (root.join(name), *source))
            .find(|(dir, _)| holds(dir))
    };
    let looked = |name: &str| {
        let mut l = Vec::new();
        if env.var(HOME_VAR).is_none() {
            l.push(format!("${HOME_VAR}/{name} (not set)"));
        }
        l.extend(
            places
                .iter()
                .map(|(root, _)| root.join(name).display().to_string()),
        );
        l.join(", ")
    };
    let (model, model_source) = match model {
        Some(m) => (m.to_path_buf(), Source::Flag),
        None => find(MODEL_NAME, holds_model).with_context(|| {
            format!(
                "no trained model found (looked in --model, {}): pass --model DIR, set \
                 {HOME_VAR}, or run `sqlcoder install-model` in a checkout",
                looked(MODEL_NAME)
            )
        })?,
    };
    let (encoder, encoder_source) = match encoder {
        Some(e) => (e.to_path_buf(), Source::Flag),
        None => {
            let beside = (model_source != Source::Flag)
                .then(|| model.parent().map(|p| p.join(ENCODER_NAME)))
                .flatten()
                .filter(|d| holds_encoder(d));
            match beside {
                Some(d) => (d, model_source),
                None => find(ENCODER_NAME, holds_encoder).with_context(|| {
                    format!(
                        "no encoder found (looked in --encoder, {}): pass --encoder DIR, set \
                         {HOME_VAR}, or run `sqlcoder install-model` in a checkout",
                        looked(ENCODER_NAME)
                    )
                })?,
            }
        }
    };
    Ok(Located {
        model,
        model_source,
        encoder,
        encoder_source,
    })
}

/// The error for a model that was found but does not load: when it was installed, name its
/// folder and say to install it again (it is likely older than this binary).
pub fn explain_load_error(found: &Located, err: anyhow::Error) -> anyhow::Error {
    if found.model_source.installed() || found.encoder_source.installed() {
        err.context(format!(
            "the model installed in {} does not fit this sqlcoder (installed by another \
             version?): rerun `sqlcoder install-model`",
            found.model.display()
        ))
    } else {
        err
    }
}

/// Copies the model and encoder into `to` (as `sqlcoder-lora/` and `all-MiniLM-L6-v2/`): each
/// into a temporary folder first, then renamed into place (an old copy is moved aside and
/// removed). Returns the two folders written.
pub fn install(found: &Located, to: &Path) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let model = install_dir(&found.model, to, MODEL_NAME)?;
    let encoder = install_dir(&found.encoder, to, ENCODER_NAME)?;
    Ok((model, encoder))
}

fn install_dir(from: &Path, to: &Path, name: &str) -> Result<PathBuf> {
    let dest = to.join(name);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(from, &dest) {
        return Ok(dest);
    }
    let tmp = to.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = to.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy_tree(from, &tmp).with_context(|| {
        let _ = std::fs::remove_dir_all(&tmp);
        format!("copying {} to {}", from.display(), tmp.display())
    })?;
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(&dest, &old)
            .with_context(|| format!("moving the old {} aside", dest.display()))?;
    }
    if let Err(e) = std::fs::rename(&tmp, &dest) {
        if had_old {
            let _ = std::fs::rename(&old, &dest);
        }
        return Err(e).with_context(|| format!("renaming {} into place", tmp.display()));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(dest)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if !from.is_dir() {
        bail!("{} is not a folder", from.display());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder with a model (`slots.json`) and/or an encoder (`config.json`) under `root`.
    fn models_folder(root: &Path, model: bool, encoder: bool) -> PathBuf {
        if model {
            std::fs::create_dir_all(root.join(MODEL_NAME)).unwrap();
            std::fs::write(root.join(MODEL_NAME).join("slots.json"), "{}").unwrap();
        }
        if encoder {
            std::fs::create_dir_all(root.join(ENCODER_NAME)).unwrap();
            std::fs::write(root.join(ENCODER_NAME).join("config.json"), "{}").unwrap();
        }
        root.to_path_buf()
    }

    struct World {
        _tmp: tempfile::TempDir,
        root: PathBuf,
        env: Env,
    }

    /// An environment whose every place is an empty folder under one temp folder.
    fn world() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for d in ["home", "cwd", "xdg", "bin", "var"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let env = Env {
            vars: [
                ("HOME".to_string(), root.join("home").into_os_string()),
                (HOME_VAR.to_string(), root.join("var").into_os_string()),
            ]
            .into_iter()
            .collect(),
            cwd: root.join("cwd"),
            exe: Some(root.join("bin/sqlcoder")),
            windows: false,
        };
        World {
            _tmp: tmp,
            root,
            env,
        }
    }

    #[test]
    fn each_rule_wins_over_the_ones_after_it() {
        let w = world();
        let r = &w.root;
        let home_data = r.join("home/.local/share/sqlcoder");
        // Fill the places from last to first; each new one takes over.
        let steps = [
            (r.join("bin/models"), Source::BesideExe),
            (home_data.clone(), Source::DataDir),
            (r.join("cwd/models"), Source::Checkout),
            (r.join("var"), Source::Variable),
        ];
        for (dir, source) in steps {
            models_folder(&dir, true, true);
            let found = locate(None, None, &w.env).unwrap();
            assert_eq!(found.model, dir.join(MODEL_NAME));
            assert_eq!(found.model_source, source);
            assert_eq!(found.encoder, dir.join(ENCODER_NAME));
            assert_eq!(found.encoder_source, source);
        }
        // The flags win over everything.
        let found = locate(Some(Path::new("m")), Some(Path::new("e")), &w.env).unwrap();
        assert_eq!(found.model, Path::new("m"));
        assert_eq!(found.encoder, Path::new("e"));
        assert_eq!(found.model_source, Source::Flag);
    }

    #[test]
    fn xdg_data_home_replaces_home_and_windows_uses_localappdata() {
        let mut w = world();
        let xdg = w.root.join("xdg");
        models_folder(&xdg.join("sqlcoder"), true, true);
        models_folder(&w.root.join("home/.local/share/sqlcoder"), true, true);
        w.env
            .vars
            .insert("XDG_DATA_HOME".into(), xdg.clone().into_os_string());
        let found = locate(None, None, &w.env).unwrap();
        assert_eq!(found.model, xdg.join("sqlcoder").join(MODEL_NAME));
        // A relative XDG_DATA_HOME is ignored.
        w.env.vars.insert("XDG_DATA_HOME".into(), "rel".into());
        assert_eq!(
            w.env.data_dir().unwrap(),
            w.root.join("home/.local/share/sqlcoder")
        );
        w.env.windows = true;
        w.env
            .vars
            .insert("LOCALAPPDATA".into(), w.root.join("xdg").into_os_string());
        assert_eq!(w.env.data_dir().unwrap(), xdg.join("sqlcoder"));
    }

    #[test]
    fn a_folder_without_a_model_is_skipped_and_the_encoder_follows() {
        let w = world();
        let r = &w.root;
        // The variable holds only an encoder; the checkout only a model; the data folder both.
        models_folder(&r.join("var"), false, true);
        models_folder(&r.join("cwd/models"), true, false);
        models_folder(&r.join("home/.local/share/sqlcoder"), true, true);
        let found = locate(None, None, &w.env).unwrap();
        assert_eq!(found.model_source, Source::Checkout);
        // No encoder beside the checkout's model: the first place holding one.
        assert_eq!(found.encoder, r.join("var").join(ENCODER_NAME));
        assert_eq!(found.encoder_source, Source::Variable);
        // --model given: the encoder comes from the lookup.
        let found = locate(Some(Path::new("m")), None, &w.env).unwrap();
        assert_eq!(found.encoder_source, Source::Variable);
    }

    #[test]
    fn nothing_found_lists_every_place_on_one_line() {
        let mut w = world();
        w.env.vars.remove(HOME_VAR);
        let err = format!("{:#}", locate(None, None, &w.env).unwrap_err());
        assert!(!err.contains('\n'), "{err}");
        for place in [
            "$SQLCODER_HOME/sqlcoder-lora (not set)".to_string(),
            w.root
                .join("cwd/models/sqlcoder-lora")
                .display()
                .to_string(),
            w.root
                .join("home/.local/share/sqlcoder/sqlcoder-lora")
                .display()
                .to_string(),
            w.root
                .join("bin/models/sqlcoder-lora")
                .display()
                .to_string(),
            "install-model".to_string(),
        ] {
            assert!(err.contains(&place), "{place} missing from {err}");
        }
        // A model but no encoder anywhere.
        models_folder(&w.root.join("cwd/models"), true, false);
        let err = format!("{:#}", locate(None, None, &w.env).unwrap_err());
        assert!(err.contains("no encoder found"), "{err}");
    }

    #[test]
    fn install_copies_both_folders_and_replaces_an_old_copy() {
        let w = world();
        let src = models_folder(&w.root.join("cwd/models"), true, true);
        let found = locate(None, None, &w.env).unwrap();
        let to = w.root.join("prefix/share/sqlcoder");
        models_folder(&to, true, false);
        std::fs::write(to.join(MODEL_NAME).join("stale"), "x").unwrap();
        let (m, e) = install(&found, &to).unwrap();
        assert_eq!(m, to.join(MODEL_NAME));
        assert_eq!(e, to.join(ENCODER_NAME));
        assert!(holds_model(&m) && holds_encoder(&e));
        assert!(!m.join("stale").exists(), "the old copy is replaced");
        let names: Vec<_> = std::fs::read_dir(&to)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary folders left: {names:?}");
        // Installing onto itself leaves it in place.
        let again = locate(Some(&m), Some(&e), &w.env).unwrap();
        install(&again, &to).unwrap();
        assert!(holds_model(&m));
        drop(src);
    }
}
