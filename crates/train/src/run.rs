//! `sqlcoder train`: the cache, the data, the pretrained model and the backend put together
//! for a [`Trainer`].

use super::cache::{self, CachedExample};
use super::cache_build::{self, FamilyQuestion};
use super::config::TrainConfig;
use super::trainer::{TrainSummary, Trainer};
use super::val::ValSet;
use anyhow::{Context, Result};
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlcoder_augment::ReadLine;
use sqlcoder_data::types::{FamilyQuery, Table};
use sqlcoder_data::{self as data, dataset_path, Split};
use sqlcoder_model::backend::{BackendKind, GpuOptions};
use sqlcoder_model::heads::HeadOptions;
use sqlcoder_model::input::InputBuilder;
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_model::trainable::{apply_mode, apply_trains};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The tokenized cache of the challenge-format file `source` (the train split, or extra training
/// questions), built first if it is missing, or rebuilt when it was made by another cache format
/// or tokenizer, or is older than `source`. With `family`, `source` is read as `data augment`
/// writes it and its lines outside the sketch are kept too; without, they are left out.
pub fn ensure_cache(
    source: &Path,
    path: PathBuf,
    builder: &InputBuilder,
    family: bool,
) -> Result<PathBuf> {
    let newer_source = || -> Result<bool> {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified());
        Ok(match (modified(source), modified(&path)) {
            (Ok(s), Ok(c)) => s > c,
            _ => false,
        })
    };
    if path.exists() {
        let current = cache::CacheReader::open(&path)
            .and_then(|reader| reader.header().check_matches(builder));
        match current {
            Ok(()) if !newer_source()? => return Ok(path),
            Ok(()) => eprintln!(
                "rebuilding {}: {} changed",
                path.display(),
                source.display()
            ),
            Err(why) => eprintln!("rebuilding the training cache: {why:#}"),
        }
    } else {
        eprintln!("building the training cache {} (once)", path.display());
    }
    std::fs::create_dir_all(path.parent().unwrap())?;
    let stats = if family {
        let (questions, tables) = read_generated(source)?;
        cache_build::build_cache_file(&path, &questions, &tables, builder, true)?
    } else {
        let ds = data::challenge::read_file(source, Split::Train)?;
        cache_build::build_cache_file(&path, &ds.examples, &ds.tables, builder, true)?
    };
    eprintln!("{stats:?}");
    Ok(path)
}

/// Every question of a file `data augment` wrote (its format is in `sqlcoder_augment`'s docs),
/// with the tables they ask about; a line that cannot be read is an error naming it.
fn read_generated(source: &Path) -> Result<(Vec<FamilyQuestion>, BTreeMap<String, Table>)> {
    let text =
        std::fs::read_to_string(source).with_context(|| format!("reading {}", source.display()))?;
    let mut questions = Vec::new();
    let mut tables = BTreeMap::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let read = sqlcoder_augment::read_line(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", source.display(), n + 1))?;
        let (question, table, query) = match read {
            ReadLine::Sketch {
                question,
                table,
                query,
            } => (question, table, FamilyQuery::from(&query)),
            ReadLine::Family {
                question,
                table,
                query,
            } => (question, table, query),
        };
        questions.push(FamilyQuestion {
            table_id: table.id.clone(),
            question,
            query,
        });
        tables.entry(table.id.clone()).or_insert(table);
    }
    Ok((questions, tables))
}

/// `sqlcoder train`: data from `config.data_dir`, encoder from `config.encoder_dir`; `gpu`
/// configures the CUDA backend's kernel cache.
pub fn run(
    config: &TrainConfig,
    backend: BackendKind,
    gpu: &GpuOptions,
    resume: bool,
) -> Result<TrainSummary> {
    config.validate()?;
    let mut config = config.clone();
    config.shapes.get_or_insert(backend.default_shapes());
    let config = &config;
    let builder = InputBuilder::from_file(config.encoder_dir.join("tokenizer.json"))
        .with_context(|| {
            format!(
                "loading the tokenizer from {}",
                config.encoder_dir.display()
            )
        })?
        .with_spoken_headers(config.model.spoken_headers);
    let train_file = dataset_path(&config.data_dir, Split::Train);
    let cache_path = ensure_cache(&train_file, config.cache_path(), &builder, false)?;
    let (header, mut train) = cache::read_cache(&cache_path)?;
    header.check_matches(&builder)?;
    if let Some(n) = config.train_limit {
        train.shuffle(&mut rand::rngs::StdRng::seed_from_u64(config.seed));
        train.truncate(n);
    }
    // Extra questions come after the limit: it subsets the train split only.
    for extra in &config.extra_train {
        let stem = extra
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("extra");
        // A model with the family heads learns the lines outside the sketch too.
        let family = config.model.heads.family;
        let name = match family {
            true => format!("extra-{stem}-family"),
            false => format!("extra-{stem}"),
        };
        let path = ensure_cache(extra, config.cache_file(&name), &builder, family)?;
        let (header, mut examples) = cache::read_cache(&path)?;
        header.check_matches(&builder)?;
        if let Some(n) = config.extra_limit {
            examples.shuffle(&mut rand::rngs::StdRng::seed_from_u64(config.seed));
            examples.truncate(n);
        }
        if config.extra_beyond_sketch_only {
            examples.retain(|e| !e.labels.in_sketch());
        }
        eprintln!(
            "{}: {} more training examples",
            extra.display(),
            examples.len()
        );
        train.extend(examples);
    }
    let val = ValSet::load(&config.data_dir, Split::Val, config.val_limit, &builder)?;
    match backend {
        BackendKind::Ndarray => train_on::<Autodiff<NdArray>>(config, &train, &val, resume),
        BackendKind::Cuda => train_cuda(config, &train, &val, gpu, resume),
    }
}

/// The pretrained encoder with fresh heads, trained on backend `B`.
fn train_on<B: AutodiffBackend>(
    config: &TrainConfig,
    train: &[CachedExample],
    val: &ValSet,
    resume: bool,
) -> Result<TrainSummary> {
    let device = B::Device::default();
    B::seed(&device, config.seed);
    let (model, counts) = match &config.init_model {
        None => SlotModel::<B>::pretrained(&config.encoder_dir, &config.model, &device)?,
        Some(dir) => {
            let (model, spec) = SlotModel::<B>::load_artifact(dir, &config.encoder_dir, &device)
                .with_context(|| format!("loading the initial model {}", dir.display()))?;
            // How headers are read may change (the model adapts to it); the weights' layout may
            // not, except that an in-sketch model may grow the family heads (fresh, the rest kept).
            let wanted = &config.model;
            let grows_family = !spec.heads.family && wanted.heads.family;
            let same_layout = ModelSpec {
                spoken_headers: wanted.spoken_headers,
                heads: HeadOptions {
                    family: wanted.heads.family,
                    ..spec.heads.clone()
                },
                ..spec.clone()
            };
            anyhow::ensure!(
                same_layout == config.model,
                "the initial model {} was built as {spec:?}, the config asks for {:?}",
                dir.display(),
                config.model
            );
            eprintln!("continuing from {}", dir.display());
            let model = if grows_family {
                eprintln!("adding the family heads (fresh) to it");
                model.with_family_heads(&device)
            } else {
                model
            };
            // Loading sets weights but not which of them train: the mode decides that.
            apply_mode(model, spec.mode)
        }
    };
    let (model, counts) = match config.train_only.as_slice() {
        [] => (model, counts),
        prefixes => {
            let mode = config.model.mode;
            let (model, counts) = apply_trains(model, |p| {
                mode.trains(p) && prefixes.iter().any(|prefix| p.starts_with(prefix.as_str()))
            });
            anyhow::ensure!(
                counts.trainable > 0,
                "train_only = {prefixes:?} names no parameter this model trains"
            );
            (model, counts)
        }
    };
    eprintln!(
        "model: {:?} fine-tuning, {} trainable / {} frozen parameters; {} training examples, {} validation questions",
        config.model.mode,
        counts.trainable,
        counts.frozen,
        train.len(),
        val.len()
    );
    let trainer = Trainer::new(config, model, device.clone(), resume)?;
    let trainer = match &config.distill_from {
        None => trainer,
        Some(dir) => {
            let (teacher, spec) =
                SlotModel::<B::InnerBackend>::load_artifact(dir, &config.encoder_dir, &device)
                    .with_context(|| format!("loading the teacher {}", dir.display()))?;
            anyhow::ensure!(
                spec.spoken_headers == config.model.spoken_headers
                    && spec.content == config.model.content,
                "the teacher {} reads its input otherwise ({spec:?}) than the model trained",
                dir.display()
            );
            eprintln!(
                "holding the sketch's slots to {} (weight {})",
                dir.display(),
                config.distill_weight
            );
            trainer.with_teacher(teacher, config.distill_weight as f32)
        }
    };
    trainer.fit(train, val)
}

#[cfg(feature = "cuda")]
fn train_cuda(
    config: &TrainConfig,
    train: &[CachedExample],
    val: &ValSet,
    gpu: &GpuOptions,
    resume: bool,
) -> Result<TrainSummary> {
    use burn::backend::Cuda;
    sqlcoder_model::backend::configure_cubecl(gpu)?;
    train_on::<Autodiff<Cuda>>(config, train, val, resume)
}

#[cfg(not(feature = "cuda"))]
fn train_cuda(
    _: &TrainConfig,
    _: &[CachedExample],
    _: &ValSet,
    _: &GpuOptions,
    _: bool,
) -> Result<TrainSummary> {
    Err(sqlcoder_model::backend::no_cuda())
}
