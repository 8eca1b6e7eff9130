//! The layers hold: `src/lib.rs` declares the top-level modules in layer order, and no module
//! names one declared after it (`crate::<later>` in a path or a `use crate::{…}` group).
//!
//! Only code counts: comments (and so doc links) are stripped before scanning.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The `pub mod NAME;` lines of `lib.rs`, in order.
fn declared_order(lib_rs: &str) -> Vec<String> {
    lib_rs
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(|name| name.trim().to_string())
        .collect()
}

/// `text` with `//` comments and `/* */` comments blanked out (newlines kept, so line numbers
/// stay right); string and char literals are kept as they are, their content not read as comments.
fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every top-level module a `crate::` path in `code` names, with its 1-based line:
/// `crate::a::b` gives `a`; `use crate::{a::x, b, c::{y, z}}` gives `a`, `b` and `c`.
fn crate_uses(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let line_of = |pos: usize| chars[..pos].iter().filter(|&&c| c == '\n').count() + 1;
    let mut found = Vec::new();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let starts_word = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == '$');
        if !(starts_word && chars[i..i + needle.len()] == needle[..]) {
            i += 1;
            continue;
        }
        let mut j = i + needle.len();
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        if chars.get(j) == Some(&'{') {
            // A group: the first name of every item at depth 1.
            let mut depth = 0;
            let mut expect_name = true;
            while j < chars.len() {
                let c = chars[j];
                match c {
                    '{' => {
                        depth += 1;
                        expect_name = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect_name = true,
                    c if is_ident(c) && expect_name && depth == 1 => {
                        let start = j;
                        while j < chars.len() && is_ident(chars[j]) {
                            j += 1;
                        }
                        let name: String = chars[start..j].iter().collect();
                        found.push((line_of(start), name));
                        expect_name = false;
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
        } else {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            if j > start {
                found.push((line_of(start), chars[start..j].iter().collect()));
            }
        }
        i = j.max(i + 1);
    }
    found
}

/// `src/<module>.rs` and every `.rs` file under `src/<module>/`.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut stack = vec![src.join(module)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `file:line: <module> uses crate::<later>` for every use of a module declared later.
fn violations(root: &Path) -> Vec<String> {
    let src = root.join("src");
    let order = declared_order(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut found = Vec::new();
    for (rank, module) in order.iter().enumerate() {
        for file in module_files(&src, module) {
            let code = strip_comments(&std::fs::read_to_string(&file).unwrap());
            for (line, used) in crate_uses(&code) {
                let later = order
                    .iter()
                    .position(|m| *m == used)
                    .is_some_and(|r| r > rank);
                if later {
                    found.push(format!(
                        "{}:{line}: {module} uses crate::{used}, declared after it",
                        file.strip_prefix(root).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn lib_rs_declares_every_top_level_module() {
    let src = Path::new(ROOT).join("src");
    let order = declared_order(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(order.len() >= 7, "{order:?}");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" || name == "bin" {
            continue;
        }
        assert!(
            order.contains(&name),
            "src/{name} is not declared in src/lib.rs"
        );
    }
}

#[test]
fn no_module_uses_one_declared_after_it() {
    let found = violations(Path::new(ROOT));
    assert!(
        found.is_empty(),
        "layer order broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scanner_sees_paths_and_groups_but_not_comments() {
    let code = "use crate::data::x;\n\
                // use crate::app::y;\n\
                /* crate::train */ let s = \"// not a comment\";\n\
                use crate::{\n    sql::{a, b},\n    model,\n};\n\
                fn f() { crate::infer::go(); $crate::app::m!(); mycrate::app::z(); }\n";
    let uses = crate_uses(&strip_comments(code));
    let want: Vec<(usize, String)> = [(1, "data"), (5, "sql"), (6, "model"), (8, "infer")]
        .iter()
        .map(|(l, m)| (*l, m.to_string()))
        .collect();
    assert_eq!(uses, want);
    let lib = "//! x\npub mod data;\n\n/// y\npub mod sql;\npub mod app;\n";
    assert_eq!(declared_order(lib), vec!["data", "sql", "app"]);
}
