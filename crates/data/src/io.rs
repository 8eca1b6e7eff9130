//! File access for the data layer: text files that may be `.xz`-compressed, JSON-lines parsing
//! with file:line errors, and output files that only appear once they are complete.

use anyhow::{anyhow, Context, Result};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `path` with `.xz` appended to its file name (`dev.jsonl` → `dev.jsonl.xz`).
pub fn xz_variant(path: &Path) -> PathBuf {
    with_suffix(path, ".xz")
}

/// `path` with `suffix` appended to its file name, whatever the extension.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// `path` if it exists, else `path.xz` if that exists, else `None`.
pub fn find_plain_or_xz(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let xz = xz_variant(path);
    xz.is_file().then_some(xz)
}

/// Like [`find_plain_or_xz`], but a missing file is an error naming both names tried.
pub fn require_plain_or_xz(path: &Path) -> Result<PathBuf> {
    find_plain_or_xz(path).ok_or_else(|| {
        anyhow!(
            "missing file: neither {} nor {} exists",
            path.display(),
            xz_variant(path).display()
        )
    })
}

/// Whether a file is read through the xz decoder: by its `.xz` extension.
fn is_xz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "xz")
}

/// Open a text file for buffered reading, decompressing it on the fly when it ends in `.xz`.
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(if is_xz(path) {
        // A multi-stream decoder also reads files made by concatenating .xz streams.
        let decoder = liblzma::read::XzDecoder::new_multi_decoder(BufReader::new(file));
        Box::new(BufReader::with_capacity(1 << 16, decoder))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

/// One line of a text file with its 1-based line number, for error messages.
#[derive(Clone, Debug)]
pub struct NumberedLine {
    pub number: usize,
    pub text: String,
}

/// All non-blank lines of a (possibly `.xz`) text file; blank lines are skipped but still counted.
pub fn read_lines(path: &Path) -> Result<Vec<NumberedLine>> {
    let reader = open_text(path)?;
    let mut lines = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let text = line.map_err(|e| line_error(path, i + 1, e))?;
        if !text.trim().is_empty() {
            lines.push(NumberedLine {
                number: i + 1,
                text,
            });
        }
    }
    Ok(lines)
}

/// The error for a bad line: `<file>:<line>: <what>`, so the place is in the first thing read.
pub fn line_error(path: &Path, line: usize, what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{}:{}: {}", path.display(), line, what)
}

/// Parse each line as JSON `T` (in parallel); the first bad line (in file order) is the error.
pub fn parse_json_lines<T: DeserializeOwned + Send>(
    path: &Path,
    lines: &[NumberedLine],
) -> Result<Vec<T>> {
    lines
        .par_iter()
        .map(|line| {
            serde_json::from_str(&line.text)
                .map_err(|e| line_error(path, line.number, format!("invalid JSON line: {e}")))
        })
        .collect()
}

/// A path that is written under a temporary name (`<name>.tmp`) and renamed into place by
/// [`StagedPath::commit`]. Dropped uncommitted, the temporary file is removed: a failed run
/// leaves neither a half-written output nor litter. A symlink is written through: its target
/// is replaced (atomically) and the link stays; a target that is not a regular file (a FIFO, a
/// device, a folder) is refused before anything is written.
///
/// An existing file's permissions are kept: the new content gets them (a `0600` output stays
/// private instead of taking the umask's mode).
#[derive(Debug)]
pub struct StagedPath {
    final_path: PathBuf,
    tmp_path: PathBuf,
    /// The permissions of the file being replaced, if there is one.
    permissions: Option<std::fs::Permissions>,
    committed: bool,
}

impl StagedPath {
    /// Stage `path`: creates its parent folder and removes a stale `<name>.tmp` from an earlier crash.
    pub fn new(path: &Path) -> Result<StagedPath> {
        let path = &write_target(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create folder {}", parent.display()))?;
        }
        let tmp_path = with_suffix(path, ".tmp");
        if tmp_path.exists() {
            std::fs::remove_file(&tmp_path)
                .with_context(|| format!("cannot remove stale {}", tmp_path.display()))?;
        }
        // `write_target` has followed any links: this is the regular file replaced, if any.
        let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
        Ok(StagedPath {
            final_path: path.to_path_buf(),
            tmp_path,
            permissions,
            committed: false,
        })
    }

    /// Give the temporary file the permissions of the file it replaces (none: left as created).
    fn keep_permissions(&self) -> Result<()> {
        if let Some(permissions) = &self.permissions {
            std::fs::set_permissions(&self.tmp_path, permissions.clone()).with_context(|| {
                format!("cannot set the permissions of {}", self.tmp_path.display())
            })?;
        }
        Ok(())
    }

    /// Where to write the content.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp_path
    }

    /// Where the content appears on commit.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Move the finished temporary file into place (replacing an older one).
    pub fn commit(mut self) -> Result<()> {
        self.keep_permissions()?;
        std::fs::rename(&self.tmp_path, &self.final_path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.tmp_path.display(),
                self.final_path.display()
            )
        })?;
        self.committed = true;
        Ok(())
    }
}

/// Where writing `path` lands: `path` itself, or through symlinks the file they name (so that
/// renaming into place replaces the target, not the link). Refused: an existing target that is
/// not a regular file, since a rename would replace a FIFO or a device by a plain file.
fn write_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_path_buf();
    // As many links as the kernel follows before ELOOP.
    for _ in 0..40 {
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(target),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot inspect {}", target.display()))
            }
        };
        let kind = meta.file_type();
        if kind.is_file() {
            return Ok(target);
        }
        if !kind.is_symlink() {
            anyhow::bail!(
                "{} is {}, not a regular file: refusing to write over it",
                path.display(),
                file_kind(&kind)
            );
        }
        let link = std::fs::read_link(&target)
            .with_context(|| format!("cannot read the link {}", target.display()))?;
        // A relative link is relative to the folder holding it (joining an absolute one
        // replaces the base).
        target = match target.parent() {
            Some(parent) => parent.join(link),
            None => link,
        };
    }
    anyhow::bail!("{}: too many levels of symbolic links", path.display())
}

/// What a non-regular file is, for messages.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

impl Drop for StagedPath {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the file may never have been created.
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

/// A buffered output file written atomically: see [`StagedPath`].
#[derive(Debug)]
pub struct AtomicFile {
    writer: BufWriter<File>,
    staged: StagedPath,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let staged = StagedPath::new(path)?;
        let file = File::create(staged.tmp_path())
            .with_context(|| format!("cannot create {}", staged.tmp_path().display()))?;
        // Before any content is written: a private file's new content is never readable by
        // others, not even under its temporary name.
        staged.keep_permissions()?;
        Ok(AtomicFile {
            writer: BufWriter::with_capacity(1 << 16, file),
            staged,
        })
    }

    /// Flush and sync the content, leaving it staged: for committing several outputs together.
    pub fn finish(self) -> Result<StagedPath> {
        let AtomicFile { writer, staged } = self;
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", staged.tmp_path().display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", staged.tmp_path().display()))?;
        Ok(staged)
    }

    /// Flush, sync and move the file into place.
    pub fn commit(self) -> Result<()> {
        self.finish()?.commit()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Write `contents` to `path` atomically (see [`AtomicFile`]): a whole small file in one call.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents.as_ref())
        .with_context(|| format!("cannot write {}", file.staged.tmp_path().display()))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_xz(path: &Path, text: &str) {
        let file = File::create(path).unwrap();
        let mut enc = liblzma::write::XzEncoder::new(file, 6);
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
    }

    #[test]
    fn finds_plain_before_xz_and_xz_alone() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        assert_eq!(find_plain_or_xz(&plain), None);
        write_xz(&xz_variant(&plain), "x\n");
        assert_eq!(
            find_plain_or_xz(&plain),
            Some(dir.path().join("a.jsonl.xz"))
        );
        std::fs::write(&plain, "y\n").unwrap();
        assert_eq!(find_plain_or_xz(&plain), Some(plain.clone()));
    }

    #[test]
    fn missing_file_error_names_both_candidates() {
        let err = require_plain_or_xz(Path::new("/nowhere/q.jsonl")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nowhere/q.jsonl ") && msg.contains("/nowhere/q.jsonl.xz"));
    }

    #[test]
    fn xz_and_plain_read_the_same_lines() {
        let dir = tempfile::tempdir().unwrap();
        let text = "one\n\ntwo\nthree";
        std::fs::write(dir.path().join("p.txt"), text).unwrap();
        write_xz(&dir.path().join("p.txt.xz"), text);
        let plain = read_lines(&dir.path().join("p.txt")).unwrap();
        let xz = read_lines(&dir.path().join("p.txt.xz")).unwrap();
        let numbers: Vec<usize> = xz.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 3, 4]);
        let texts = |v: &[NumberedLine]| v.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&plain), texts(&xz));
        assert_eq!(texts(&xz), vec!["one", "two", "three"]);
    }

    #[test]
    fn bad_json_line_error_has_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.jsonl");
        std::fs::write(&path, "1\n2\n\n{oops\n").unwrap();
        let lines = read_lines(&path).unwrap();
        let err = parse_json_lines::<i64>(&path, &lines).unwrap_err();
        assert!(err
            .to_string()
            .starts_with(&format!("{}:4: ", path.display())));
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.jsonl");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!path.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");
        write_atomic(&path, "again").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "again");
        assert!(!dir.path().join("sub/out.jsonl.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn writing_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real/out.json");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real/out.json", &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link gets its target created.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("fresh.json"), &dangling).unwrap();
        write_atomic(&dangling, "fresh").unwrap();
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("fresh.json")).unwrap(),
            "fresh"
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_regular_targets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = write_atomic(&fifo, "x").unwrap_err().to_string();
        assert!(err.contains("is a FIFO, not a regular file"), "{err}");
        assert!(!dir.path().join("pipe.tmp").exists());
        let link = dir.path().join("to-null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let err = write_atomic(&link, "x").unwrap_err().to_string();
        assert!(err.contains("is a device"), "{err}");
        let err = write_atomic(dir.path(), "x").unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn rewriting_a_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        assert_eq!(mode(&dir.path().join("out.jsonl.tmp")), 0o600);
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o600);
        // Through a symlink, the target's mode is kept too; and a StagedPath written by others.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink("out.jsonl", &link).unwrap();
        write_atomic(&link, "again").unwrap();
        assert_eq!(mode(&path), 0o640);
        let staged = StagedPath::new(&path).unwrap();
        std::fs::write(staged.tmp_path(), "staged").unwrap();
        staged.commit().unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "staged");
        // A new file gets the usual mode (the umask's), not a neighbour's.
        let fresh = dir.path().join("fresh.jsonl");
        write_atomic(&fresh, "x").unwrap();
        let expected = {
            std::fs::write(dir.path().join("plain"), "x").unwrap();
            mode(&dir.path().join("plain"))
        };
        assert_eq!(mode(&fresh), expected);
    }

    #[test]
    fn dropped_atomic_file_leaves_nothing_and_keeps_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "old").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"half").unwrap();
            f.flush().unwrap();
            assert!(dir.path().join("out.jsonl.tmp").exists());
        }
        assert!(!dir.path().join("out.jsonl.tmp").exists());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    }
}
