//! README.md and docs/ stay true: every relative link in them resolves (to a file, and a
//! `#anchor` to a heading of the Markdown file it names), and README's shell blocks run.
//!
//! How README marks its shell blocks: HTML comments (invisible once rendered) on the lines
//! right above a ```` ```sh ```` fence.
//! - `<!-- expect: TEXT -->`: the block's standard output must contain TEXT (repeatable). A
//!   block that runs needs at least one, so that "it printed something sensible" is checked.
//! - `<!-- not run: REASON -->`: the test leaves the block alone, for the REASON given (a server
//!   it needs, or one that runs until stopped). Everything else runs.
//!
//! A block runs as a reader pastes it: in bash, from the checkout's root (the workbook example
//! from a folder holding the workbook, see `WORKBOOK_BLOCK`), each command required to succeed,
//! with `cargo run --release --` replaced by the binary cargo built for this test (building it
//! again inside a test would take minutes). `cargo test --release` is not run (it is what runs
//! this test); it must instead be the test command of `.ci/run`, which says it runs README's.
//! Blocks in docs/ are reference (training, full data, GPU) and are not run.

use crate::support::{binary, run, ROOT};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What README's examples write in place of the binary.
const RUN_PREFIX: &str = "cargo run --release --";
/// README's test command, which `.ci/run` runs too.
const TEST_COMMAND: &str = "cargo test --release";

/// README's workbook example asks about `cities.xlsx`, a file of the reader's own: the test
/// writes it (the rows of `data/sample/cities.csv` in a sheet `Cities`) into a temporary folder
/// and runs the block there.
const WORKBOOK_BLOCK: &str = "--xlsx cities.xlsx --sheet Cities";

/// A temporary folder holding `cities.xlsx`: `data/sample/cities.csv`, numbers as numbers.
fn cities_workbook_folder() -> tempfile::TempDir {
    let csv = std::fs::read_to_string(Path::new(ROOT).join("data/sample/cities.csv")).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Cities").unwrap();
    for (row, line) in csv.lines().enumerate() {
        for (col, cell) in line.split(',').enumerate() {
            let (row, col) = (row as u32, col as u16);
            match cell.parse::<f64>() {
                Ok(number) => sheet.write_number(row, col, number).unwrap(),
                Err(_) => sheet.write_string(row, col, cell).unwrap(),
            };
        }
    }
    let dir = tempfile::tempdir().unwrap();
    workbook.save(dir.path().join("cities.xlsx")).unwrap();
    dir
}

/// A ```` ```sh ```` block of a Markdown file and the markers above it.
struct ShellBlock {
    /// 1-based line of the opening fence, for messages.
    line: usize,
    commands: String,
    expected: Vec<String>,
    not_run_reason: Option<String>,
}

fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is missing")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The lines of `text` outside fenced code blocks, with their 1-based numbers (links and
/// headings inside code are not Markdown).
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_code = false;
    let mut prose = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            prose.push((i + 1, line));
        }
    }
    prose
}

/// Targets of inline links `[text](target)` in one line, inline code spans left out.
fn link_targets(line: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    for (i, part) in line.split('`').enumerate() {
        // Odd parts sit between backticks: code, not links.
        if i % 2 == 1 {
            continue;
        }
        let mut rest = part;
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find(')') else { break };
            targets.push(&rest[..end]);
            rest = &rest[end + 1..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, and
/// `-1`, `-2`, … on repeats.
fn heading_anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    for (_, line) in prose_lines(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let title = heading.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut repeat = 0;
        while anchors.contains(&anchor) {
            repeat += 1;
            anchor = format!("{slug}-{repeat}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// Where `target` (relative to `file`) fails to resolve, or `None` when it resolves.
fn broken_link(file: &Path, target: &str) -> Option<String> {
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let resolved = if path.is_empty() {
        file.to_path_buf()
    } else {
        file.parent().unwrap().join(path)
    };
    if !resolved.exists() {
        return Some(format!("{} does not exist", resolved.display()));
    }
    if anchor.is_empty() || resolved.extension().is_none_or(|ext| ext != "md") {
        return None;
    }
    let text = std::fs::read_to_string(&resolved).unwrap();
    (!heading_anchors(&text).contains(anchor))
        .then(|| format!("{} has no heading #{anchor}", resolved.display()))
}

#[test]
fn readme_and_docs_links_resolve() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                if let Some(why) = broken_link(&file, target) {
                    broken.push(format!("{}:{number}: ({target}): {why}", file.display()));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} relative links found: is the parser broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The shell blocks of README, each with the marker comments right above its fence.
fn shell_blocks(readme: &str) -> Vec<ShellBlock> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !matches!(lines[i].trim(), "```sh" | "```bash" | "```shell") {
            i += 1;
            continue;
        }
        let mut block = ShellBlock {
            line: i + 1,
            commands: String::new(),
            expected: Vec::new(),
            not_run_reason: None,
        };
        for marker in lines[..i].iter().rev().map_while(|l| {
            l.trim()
                .strip_prefix("<!--")
                .and_then(|l| l.strip_suffix("-->"))
        }) {
            let marker = marker.trim();
            if let Some(text) = marker.strip_prefix("expect:") {
                block.expected.push(text.trim().to_string());
            } else if let Some(reason) = marker.strip_prefix("not run:") {
                block.not_run_reason = Some(reason.trim().to_string());
            } else {
                panic!("README.md:{}: unknown marker <!--{marker}-->", i + 1);
            }
        }
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            block.commands.push_str(lines[i]);
            block.commands.push('\n');
            i += 1;
        }
        blocks.push(block);
        i += 1;
    }
    blocks
}

/// `commands` as they run here: the built binary for `cargo run`, README's test command left
/// out (checked against `.ci/run` instead).
fn runnable(commands: &str, binary: &Path) -> String {
    let quoted_binary = format!("'{}'", binary.display());
    commands
        .lines()
        .filter(|line| line.trim() != TEST_COMMAND)
        .map(|line| line.replace(RUN_PREFIX, &quoted_binary) + "\n")
        .collect()
}

#[test]
fn readme_shell_blocks_run() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let blocks = shell_blocks(&readme);
    let first = blocks.first().expect("README has no shell block");
    let opening: Vec<&str> = first.commands.lines().collect();
    assert!(
        opening.len() == 2 && opening[0].starts_with(RUN_PREFIX) && opening[1] == TEST_COMMAND,
        "README must open with the two commands (ask on the sample, then {TEST_COMMAND}): {opening:?}"
    );
    let ci = std::fs::read_to_string(Path::new(ROOT).join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|line| line.trim() == TEST_COMMAND),
        ".ci/run no longer runs README's test command `{TEST_COMMAND}`"
    );

    let mut ran = 0;
    for block in &blocks {
        let at = format!("README.md:{}", block.line);
        if let Some(reason) = &block.not_run_reason {
            assert!(!reason.is_empty(), "{at}: `not run` needs its reason");
            eprintln!("{at}: not run: {reason}");
            continue;
        }
        assert!(
            !block.expected.is_empty(),
            "{at}: a block that runs needs an <!-- expect: TEXT --> marker"
        );
        let script = runnable(&block.commands, &binary());
        let mut bash = Command::new("bash");
        bash.args(["-euo", "pipefail", "-c", &script])
            .current_dir(ROOT);
        // Kept alive until the block has run.
        let workbook_folder = block
            .commands
            .contains(WORKBOOK_BLOCK)
            .then(cities_workbook_folder);
        if let Some(folder) = &workbook_folder {
            // Outside the checkout the model is found through $SQLCODER_HOME.
            bash.current_dir(folder.path())
                .env("SQLCODER_HOME", Path::new(ROOT).join("models"));
        }
        let (ok, stdout, stderr) = run(bash);
        assert!(
            ok,
            "{at} failed:\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        for expected in &block.expected {
            assert!(
                stdout.contains(expected.as_str()),
                "{at}: output lacks {expected:?}:\n{stdout}"
            );
        }
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} README blocks ran");
}
