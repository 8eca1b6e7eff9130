//! The tokenized training cache: every example's input ids, its question/header structure and its
//! slot labels, in one binary file, so training epochs never re-tokenize.
//!
//! Format (all integers little-endian):
//! ```text
//! header:  magic "SQLCACHE" | version u32 | vocab_size u32 | max_len u32 | tokenizer sha256 [32]
//!          | count u64
//! record:  payload_len u32 | payload | fnv1a-64(payload) u64        (count times, then EOF)
//! payload: example_index u32 | seq_len u16 | input_ids [u16; seq_len]
//!          | question start u16, end u16 | n_headers u16 | per header start u16, end u16
//!          | sel u16 | agg u8 | n_conds u8 | per cond: col u16, op u8 (0xFF: none), has_span u8,
//!            start u16, end u16
//!          | n_matches u16 | per content match: token u16, col u16, kinds u8
//!          | family section ([`crate::cache_family`])
//! ```
//! Ids fit in u16 (the writer refuses a vocabulary over 65,536). Question byte offsets are not
//! stored: training needs token positions only; evaluation re-encodes with the `InputBuilder`.
//! Token type ids are implied: 0 up to and including the `[SEP]` after the question, 1 after.
//! The file is written to `<path>.tmp` and renamed when complete; every record carries a checksum
//! and is validated on reading, so a truncated or corrupt file is an error naming the record.

use crate::family_labels::LimitLabel;
use crate::labels::SlotLabels;
use anyhow::{bail, ensure, Context, Result};
use sqlcoder_data::io::StagedPath;
use sqlcoder_model::content::{ContentMatch, TOKEN_KINDS};
use sqlcoder_model::family_classes::{ITEM_AGGS, N_OPS};
use sqlcoder_model::family_heads::KEY_CLASSES;
use sqlcoder_model::input::{InputBuilder, TokenRow};
use sqlcoder_model::slot_row_from_fields;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SQLCACHE";
/// 2: content matches after the labels. 3: the family section, operators beyond the sketch.
pub const CACHE_VERSION: u32 = 3;
/// Byte offset of `count` in the header (patched when the writer finishes).
const COUNT_OFFSET: u64 = 8 + 4 + 4 + 4 + 32;
const HEADER_LEN: usize = COUNT_OFFSET as usize + 8;
/// Far above any real record (512 ids + 64 columns ≈ 1.3 KB); guards allocation on corrupt lengths.
const MAX_PAYLOAD: u32 = 1 << 20;

/// One training example, as cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedExample {
    /// Position of the example in the slice the cache was built from.
    pub example_index: u32,
    pub input_ids: Vec<u16>,
    pub question_tokens: Range<usize>,
    pub header_spans: Vec<Range<usize>>,
    /// Table-content matches of the question's pieces ([`sqlcoder_model::content`]).
    pub content: Vec<ContentMatch>,
    pub labels: SlotLabels,
}

impl TokenRow for CachedExample {
    fn token_len(&self) -> usize {
        self.input_ids.len()
    }
    fn write_row(&self, ids: &mut [i64], type_ids: &mut [i64]) {
        for (dst, &src) in ids.iter_mut().zip(&self.input_ids) {
            *dst = i64::from(src);
        }
        // Type 0 for [CLS] question [SEP], 1 for the headers.
        let first_header = self.question_tokens.end + 1;
        for (t, dst) in type_ids.iter_mut().enumerate().take(self.input_ids.len()) {
            *dst = i64::from(t >= first_header);
        }
    }
}

slot_row_from_fields!(CachedExample);

/// What a cache was built with; a cache is only valid for the same tokenizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheHeader {
    pub version: u32,
    pub vocab_size: u32,
    pub max_len: u32,
    pub tokenizer_sha256: [u8; 32],
    pub count: u64,
}

impl CacheHeader {
    pub fn for_builder(builder: &InputBuilder) -> Result<CacheHeader> {
        let vocab_size = builder.vocab_size();
        ensure!(
            vocab_size <= 1 << 16,
            "vocabulary of {vocab_size} does not fit the cache's 16-bit ids"
        );
        Ok(CacheHeader {
            version: CACHE_VERSION,
            vocab_size: vocab_size as u32,
            max_len: builder.max_len().min(u16::MAX as usize) as u32,
            tokenizer_sha256: builder.tokenizer_sha256(),
            count: 0,
        })
    }

    /// Errors unless this cache was built with `builder`'s tokenizer and length limit.
    pub fn check_matches(&self, builder: &InputBuilder) -> Result<()> {
        let expected = CacheHeader::for_builder(builder)?;
        ensure!(
            self.tokenizer_sha256 == expected.tokenizer_sha256
                && self.vocab_size == expected.vocab_size,
            "the cache was built with a different tokenizer; rebuild it"
        );
        ensure!(
            self.max_len == expected.max_len,
            "the cache was built with max_len {} (now {}); rebuild it",
            self.max_len,
            expected.max_len
        );
        Ok(())
    }

    fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.vocab_size.to_le_bytes());
        b[16..20].copy_from_slice(&self.max_len.to_le_bytes());
        b[20..52].copy_from_slice(&self.tokenizer_sha256);
        b[52..60].copy_from_slice(&self.count.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8; HEADER_LEN]) -> Result<CacheHeader> {
        ensure!(
            &b[..8] == MAGIC,
            "not a SQLCoder training cache (bad magic)"
        );
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let version = u32_at(8);
        ensure!(
            version == CACHE_VERSION,
            "cache format version {version}, this build reads {CACHE_VERSION}; rebuild it"
        );
        Ok(CacheHeader {
            version,
            vocab_size: u32_at(12),
            max_len: u32_at(16),
            tokenizer_sha256: b[20..52].try_into().unwrap(),
            count: u64::from_le_bytes(b[52..60].try_into().unwrap()),
        })
    }
}

/// Writes a cache under its staged name ([`StagedPath`]), moved to `path` by
/// [`CacheWriter::finish`]; dropped unfinished, the temporary file is removed.
pub struct CacheWriter {
    out: BufWriter<File>,
    header: CacheHeader,
    staged: StagedPath,
    payload: Vec<u8>,
}

impl CacheWriter {
    pub fn create(path: &Path, header: CacheHeader) -> Result<CacheWriter> {
        let staged = StagedPath::new(path)?;
        let tmp = staged.tmp_path();
        let file = File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut out = BufWriter::new(file);
        out.write_all(
            &CacheHeader {
                count: 0,
                ..header.clone()
            }
            .to_bytes(),
        )?;
        Ok(CacheWriter {
            out,
            header: CacheHeader { count: 0, ..header },
            staged,
            payload: Vec::with_capacity(2048),
        })
    }

    pub fn write(&mut self, ex: &CachedExample) -> Result<()> {
        self.payload.clear();
        encode_record(ex, &mut self.payload)?;
        let out = &mut self.out;
        out.write_all(&(self.payload.len() as u32).to_le_bytes())?;
        out.write_all(&self.payload)?;
        out.write_all(&fnv1a(&self.payload).to_le_bytes())?;
        self.header.count += 1;
        Ok(())
    }

    /// Writes the record count, syncs and renames into place. Returns the count.
    pub fn finish(self) -> Result<u64> {
        let CacheWriter {
            out,
            header,
            staged,
            ..
        } = self;
        let write = || -> Result<()> {
            let mut file = out.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(COUNT_OFFSET))?;
            file.write_all(&header.count.to_le_bytes())?;
            file.sync_all()?;
            Ok(())
        };
        write().with_context(|| format!("cannot write {}", staged.tmp_path().display()))?;
        staged.commit()?;
        Ok(header.count)
    }
}

/// Writes `examples` as a complete cache file.
pub fn write_cache(path: &Path, header: CacheHeader, examples: &[CachedExample]) -> Result<()> {
    let mut w = CacheWriter::create(path, header)?;
    for ex in examples {
        w.write(ex)?;
    }
    w.finish()
        .with_context(|| format!("writing cache {}", path.display()))?;
    Ok(())
}

/// Streams a cache's records; each item is one record or the error that stops the stream.
pub struct CacheReader {
    input: BufReader<File>,
    header: CacheHeader,
    path: PathBuf,
    next: u64,
    failed: bool,
}

impl CacheReader {
    pub fn open(path: &Path) -> Result<CacheReader> {
        let file = File::open(path).with_context(|| format!("opening cache {}", path.display()))?;
        let mut input = BufReader::new(file);
        let mut bytes = [0u8; HEADER_LEN];
        input
            .read_exact(&mut bytes)
            .map_err(|_| anyhow::anyhow!("cache {} truncated in its header", path.display()))?;
        let header = CacheHeader::from_bytes(&bytes)
            .with_context(|| format!("reading cache {}", path.display()))?;
        Ok(CacheReader {
            input,
            header,
            path: path.to_path_buf(),
            next: 0,
            failed: false,
        })
    }

    pub fn header(&self) -> &CacheHeader {
        &self.header
    }

    fn read_record(&mut self) -> Result<CachedExample> {
        let index = self.next;
        let truncated = || format!("record {index} of {} truncated", self.header.count);
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len).with_context(truncated)?;
        let len = u32::from_le_bytes(len);
        ensure!(
            len <= MAX_PAYLOAD,
            "record {index} is corrupt (length {len})"
        );
        let mut payload = vec![0u8; len as usize];
        self.input
            .read_exact(&mut payload)
            .with_context(truncated)?;
        let mut sum = [0u8; 8];
        self.input.read_exact(&mut sum).with_context(truncated)?;
        ensure!(
            u64::from_le_bytes(sum) == fnv1a(&payload),
            "record {index} is corrupt (checksum mismatch)"
        );
        decode_record(&payload, self.header.vocab_size)
            .with_context(|| format!("record {index} is corrupt"))
    }
}

impl Iterator for CacheReader {
    type Item = Result<CachedExample>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = if self.next < self.header.count {
            self.read_record()
        } else {
            // All records read: anything left means the count or the file is wrong.
            let mut extra = [0u8; 1];
            match self.input.read(&mut extra) {
                Ok(0) => return None,
                Ok(_) => Err(anyhow::anyhow!("data after the last record")),
                Err(e) => Err(e.into()),
            }
        };
        self.next += 1;
        if result.is_err() {
            self.failed = true;
        }
        Some(result.with_context(|| format!("reading cache {}", self.path.display())))
    }
}

/// Reads a whole cache into memory.
pub fn read_cache(path: &Path) -> Result<(CacheHeader, Vec<CachedExample>)> {
    let reader = CacheReader::open(path)?;
    let header = reader.header().clone();
    let examples = reader.collect::<Result<Vec<_>>>()?;
    Ok((header, examples))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn u16_of(v: usize, what: &str) -> Result<[u8; 2]> {
    let v = u16::try_from(v).with_context(|| format!("{what} {v} does not fit in 16 bits"))?;
    Ok(v.to_le_bytes())
}

fn encode_record(ex: &CachedExample, out: &mut Vec<u8>) -> Result<()> {
    let l = &ex.labels;
    ensure!(
        l.where_cols.len() == l.where_count
            && l.ops.len() == l.where_count
            && l.value_spans.len() == l.where_count,
        "inconsistent condition labels"
    );
    out.extend_from_slice(&ex.example_index.to_le_bytes());
    out.extend_from_slice(&u16_of(ex.input_ids.len(), "sequence length")?);
    for &id in &ex.input_ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let range = |r: &Range<usize>, out: &mut Vec<u8>| -> Result<()> {
        out.extend_from_slice(&u16_of(r.start, "position")?);
        out.extend_from_slice(&u16_of(r.end, "position")?);
        Ok(())
    };
    range(&ex.question_tokens, out)?;
    out.extend_from_slice(&u16_of(ex.header_spans.len(), "column count")?);
    for span in &ex.header_spans {
        range(span, out)?;
    }
    out.extend_from_slice(&u16_of(l.sel, "sel")?);
    out.push(u8::try_from(l.agg).context("agg")?);
    out.push(u8::try_from(l.where_count).context("condition count")?);
    for i in 0..l.where_count {
        out.extend_from_slice(&u16_of(l.where_cols[i], "column")?);
        out.push(match l.ops[i] {
            Some(op) => u8::try_from(op).context("operator")?,
            None => u8::MAX,
        });
        let (has, (s, e)) = match l.value_spans[i] {
            Some(span) => (1, span),
            None => (0, (0, 0)),
        };
        out.push(has);
        out.extend_from_slice(&u16_of(s, "span start")?);
        out.extend_from_slice(&u16_of(e, "span end")?);
    }
    out.extend_from_slice(&u16_of(ex.content.len(), "content match count")?);
    for m in &ex.content {
        out.extend_from_slice(&m.token.to_le_bytes());
        out.extend_from_slice(&m.col.to_le_bytes());
        out.push(m.kinds);
    }
    crate::cache_family::encode(&l.family, out)
}

/// A cursor over a record's payload; running past the end is an error, not a panic.
pub(crate) struct Payload<'a> {
    bytes: &'a [u8],
}

impl Payload<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        ensure!(self.bytes.len() >= N, "payload ends early");
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        Ok(head.try_into().unwrap())
    }
    pub(crate) fn u8(&mut self) -> Result<usize> {
        Ok(self.take::<1>()?[0] as usize)
    }
    pub(crate) fn u16(&mut self) -> Result<usize> {
        Ok(u16::from_le_bytes(self.take()?) as usize)
    }
    fn range(&mut self) -> Result<Range<usize>> {
        Ok(self.u16()?..self.u16()?)
    }
}

fn decode_record(bytes: &[u8], vocab_size: u32) -> Result<CachedExample> {
    let mut p = Payload { bytes };
    let example_index = u32::from_le_bytes(p.take()?);
    let seq_len = p.u16()?;
    let input_ids = (0..seq_len)
        .map(|_| Ok(u16::from_le_bytes(p.take()?)))
        .collect::<Result<Vec<u16>>>()?;
    ensure!(
        input_ids.iter().all(|&id| u32::from(id) < vocab_size),
        "token id outside the vocabulary"
    );
    let question_tokens = p.range()?;
    let within = |r: &Range<usize>| r.start <= r.end && r.end <= seq_len;
    ensure!(within(&question_tokens), "question span out of range");
    let n_headers = p.u16()?;
    let header_spans = (0..n_headers)
        .map(|_| p.range())
        .collect::<Result<Vec<_>>>()?;
    ensure!(header_spans.iter().all(within), "header span out of range");
    let sel = p.u16()?;
    let agg = p.u8()?;
    let where_count = p.u8()?;
    let (mut where_cols, mut ops, mut value_spans) = (vec![], vec![], vec![]);
    for _ in 0..where_count {
        where_cols.push(p.u16()?);
        ops.push(Some(p.u8()?).filter(|&op| op != usize::from(u8::MAX)));
        let has = p.u8()?;
        let span = (p.u16()?, p.u16()?);
        value_spans.push(match has {
            0 => None,
            1 => Some(span),
            _ => bail!("bad span flag {has}"),
        });
    }
    let n_matches = p.u16()?;
    let content = (0..n_matches)
        .map(|_| {
            Ok(ContentMatch {
                token: p.u16()? as u16,
                col: p.u16()? as u16,
                kinds: p.u8()? as u8,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let family = crate::cache_family::decode(&mut p)?;
    ensure!(p.bytes.is_empty(), "{} unread bytes", p.bytes.len());
    let all_kinds = TOKEN_KINDS.iter().fold(0, |a, &k| a | k);
    ensure!(
        content
            .iter()
            .all(|m| usize::from(m.token) < question_tokens.len()
                && usize::from(m.col) < n_headers
                && m.kinds & !all_kinds == 0),
        "content match out of range"
    );
    let q_len = question_tokens.len();
    ensure!(agg < ITEM_AGGS.len(), "aggregation {agg} out of range");
    ensure!(
        ops.iter().flatten().all(|&op| op < N_OPS),
        "operator out of range"
    );
    ensure!(
        sel < n_headers
            && where_cols.iter().all(|&c| c < n_headers)
            && family.columns().all(|c| c < n_headers),
        "column label out of range"
    );
    ensure!(
        family.items.iter().all(|&(_, a)| a < ITEM_AGGS.len()),
        "item aggregation out of range"
    );
    let having_ok = family.having.as_ref().is_none_or(|h| {
        h.key < KEY_CLASSES.len() && h.op < 6 && h.span.is_none_or(|(s, e)| s <= e && e < q_len)
    });
    ensure!(having_ok, "having label out of range");
    let limit_ok = !matches!(family.limit, LimitLabel::At(piece) if piece >= q_len);
    ensure!(limit_ok, "limit piece out of range");
    ensure!(
        value_spans
            .iter()
            .flatten()
            .all(|&(s, e)| s <= e && e < q_len),
        "value span out of range"
    );
    Ok(CachedExample {
        example_index,
        input_ids,
        question_tokens,
        header_spans,
        content,
        labels: SlotLabels {
            sel,
            agg,
            where_count,
            where_cols,
            ops,
            value_spans,
            family,
        },
    })
}
