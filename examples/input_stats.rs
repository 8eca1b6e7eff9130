//! Input statistics on a WikiSQL split read straight from the shared xz files: token lengths,
//! value-span coverage, encode and cache-build throughput, and a check that assembling the pieces
//! equals the tokenizer's own pair encoding.
//!
//! `cargo run --release --example input_stats -- [dev|train] [SHARED_DIR]`
//! (Reads the files itself until `data::load_split` lands.)

use anyhow::{Context, Result};
use liblzma::read::XzDecoder;
use sqlcoder::data::{Agg, Cond, CondOp, CondValue, Example, Query, Table};
use sqlcoder::model::input::InputBuilder;
use sqlcoder::train::cache_build::build_cache_file;
use sqlcoder::train::labels::SlotLabels;
use sqlcoder::train::value_span::find_value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

fn xz_lines(path: &Path) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    BufReader::new(XzDecoder::new(file))
        .lines()
        .map(|l| l.map_err(Into::into))
        .collect()
}

fn parse_example(line: &str) -> Result<Example> {
    let v: serde_json::Value = serde_json::from_str(line)?;
    let sql = &v["sql"];
    let idx = |x: &serde_json::Value| x.as_u64().context("index").map(|i| i as usize);
    let conds = sql["conds"]
        .as_array()
        .context("conds")?
        .iter()
        .map(|c| {
            Ok(Cond {
                col: idx(&c[0])?,
                op: CondOp::from_index(idx(&c[1])?).context("op")?,
                value: serde_json::from_value::<CondValue>(c[2].clone())?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Example {
        table_id: v["table_id"].as_str().context("table_id")?.into(),
        question: v["question"].as_str().context("question")?.into(),
        query: Query {
            sel: idx(&sql["sel"])?,
            agg: Agg::from_index(idx(&sql["agg"])?).context("agg")?,
            conds,
        },
    })
}

fn percentile(sorted: &[usize], p: f64) -> usize {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let split = args.get(1).map_or("dev", String::as_str);
    let shared = Path::new(args.get(2).map_or("../shared", String::as_str));
    let wikisql = shared.join("wikisql");
    let (questions, tables_file) = match split {
        "train" => (
            "reconstructed/train.recon.jsonl.xz",
            "reconstructed/train.recon.tables.jsonl.xz",
        ),
        "test" => ("test.jsonl.xz", "reconstructed/test.tables.jsonl.xz"),
        _ => ("dev.jsonl.xz", "reconstructed/dev.tables.jsonl.xz"),
    };
    let t = Instant::now();
    let examples: Vec<Example> = xz_lines(&wikisql.join(questions))?
        .iter()
        .map(|l| parse_example(l))
        .collect::<Result<_>>()?;
    let tables: BTreeMap<String, Table> = xz_lines(&wikisql.join(tables_file))?
        .iter()
        .map(|l| serde_json::from_str::<Table>(l).map(|t| (t.id.clone(), t)))
        .collect::<Result<_, _>>()?;
    println!(
        "{split}: {} examples, {} tables, read in {:.1?}",
        examples.len(),
        tables.len(),
        t.elapsed()
    );

    let builder = InputBuilder::from_file(shared.join("encoder/all-MiniLM-L6-v2/tokenizer.json"))?;
    let items: Vec<(&str, &[String])> = examples
        .iter()
        .map(|e| (e.question.as_str(), tables[&e.table_id].header.as_slice()))
        .collect();

    // Throughput: one thread, then rayon over all cores.
    let n1 = items.len().min(2000);
    let t = Instant::now();
    for (q, h) in &items[..n1] {
        builder.encode(q, h)?;
    }
    let single = n1 as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let encoded = builder.encode_many(&items);
    let parallel = items.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "encode: {single:.0} examples/s on one thread, {parallel:.0}/s with rayon ({} threads)",
        rayon::current_num_threads()
    );

    let mut lens: Vec<usize> = Vec::new();
    let mut q_lens: Vec<usize> = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let (mut conds, mut found, mut mismatch_pair) = (0, 0, 0);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut inexact: Vec<String> = Vec::new();
    let mut tokenizer =
        tokenizers::Tokenizer::from_file(shared.join("encoder/all-MiniLM-L6-v2/tokenizer.json"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    tokenizer
        .with_truncation(None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tokenizer.with_padding(None);
    for ((ex, (_, headers)), enc) in examples.iter().zip(&items).zip(&encoded) {
        let enc = match enc {
            Ok(e) => e,
            Err(e) => {
                *errors.entry(e.to_string()).or_default() += 1;
                continue;
            }
        };
        lens.push(enc.len());
        q_lens.push(enc.question_len());
        // The assembled input must equal the tokenizer's pair encoding (question, " [SEP] ".join(headers)).
        if enc.header_cap.is_none() {
            let pair = tokenizer
                .encode(
                    (ex.question.as_str(), headers.join(" [SEP] ").as_str()),
                    true,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if pair.get_ids() != enc.input_ids.as_slice()
                || pair.get_type_ids() != enc.token_type_ids.as_slice()
            {
                mismatch_pair += 1;
            }
        }
        let labels = SlotLabels::from_example(ex, enc)?;
        for (cond, span) in ex.query.conds.iter().zip(&labels.value_spans) {
            conds += 1;
            match span {
                Some((s, e)) => {
                    found += 1;
                    let text = enc
                        .span_to_question_text(&ex.question, *s, *e)
                        .unwrap_or("");
                    let gold = cond.value.python_str();
                    if text.to_lowercase() != gold.to_lowercase() && inexact.len() < 15 {
                        inexact.push(format!("{gold:?} as {text:?}"));
                    }
                    let m = find_value(&ex.question, &enc.question_offsets, &cond.value).unwrap();
                    *kinds.entry(format!("{:?}", m.kind)).or_default() += 1;
                }
                None if misses.len() < 25 => misses.push(format!(
                    "{:?} in {:?}",
                    cond.value.python_str(),
                    ex.question
                )),
                None => {}
            }
        }
    }
    lens.sort_unstable();
    q_lens.sort_unstable();
    let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
    println!(
        "tokens: mean {mean:.1}, p50 {}, p95 {}, p99 {}, max {}; question tokens mean {:.1}, max {}",
        percentile(&lens, 0.5),
        percentile(&lens, 0.95),
        percentile(&lens, 0.99),
        lens[lens.len() - 1],
        q_lens.iter().sum::<usize>() as f64 / q_lens.len() as f64,
        q_lens[q_lens.len() - 1]
    );
    println!("encode errors: {errors:?}; pair-encoding mismatches: {mismatch_pair}");
    println!(
        "value spans found: {found}/{conds} ({:.2}%) by kind {kinds:?}",
        100.0 * found as f64 / conds as f64
    );
    for m in &misses {
        println!("  not found: {m}");
    }
    for m in &inexact {
        println!("  found, not verbatim: {m}");
    }

    let dir = tempfile_dir()?;
    let path = dir.join(format!("{split}.cache"));
    let t = Instant::now();
    let stats = build_cache_file(&path, &examples, &tables, &builder, false)?;
    println!(
        "cache: {stats}\n  built and written in {:.2?}, {} bytes",
        t.elapsed(),
        std::fs::metadata(&path)?.len()
    );
    let t = Instant::now();
    let (_, back) = sqlcoder::train::cache::read_cache(&path)?;
    println!("  read back {} examples in {:.2?}", back.len(), t.elapsed());
    std::fs::remove_file(&path)?;
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("sqlcoder-input-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
