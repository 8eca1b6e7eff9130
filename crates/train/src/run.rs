//! `sqlcoder train`: the cache, the data, the pretrained model and the backend put together
//! for a [`Trainer`].

use super::cache::{self, CachedExample};
use super::cache_build;
use super::config::TrainConfig;
use super::trainer::{TrainSummary, Trainer};
use super::val::ValSet;
use anyhow::{Context, Result};
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlcoder_data::{self as data, Split};
use sqlcoder_model::backend::{BackendKind, GpuOptions};
use sqlcoder_model::input::InputBuilder;
use sqlcoder_model::slot_model::SlotModel;
use std::path::{Path, PathBuf};

/// The tokenized training cache of `data_dir`, built first if it is missing, or rebuilt when it
/// was made by another cache format or tokenizer.
pub fn ensure_cache(data_dir: &Path, path: PathBuf, builder: &InputBuilder) -> Result<PathBuf> {
    if path.exists() {
        let current = cache::CacheReader::open(&path)
            .and_then(|reader| reader.header().check_matches(builder));
        match current {
            Ok(()) => return Ok(path),
            Err(why) => eprintln!("rebuilding the training cache: {why:#}"),
        }
    } else {
        eprintln!("building the training cache {} (once)", path.display());
    }
    let ds = data::load_split(data_dir, Split::Train)?;
    std::fs::create_dir_all(path.parent().unwrap())?;
    let stats = cache_build::build_cache_file(&path, &ds.examples, &ds.tables, builder, true)?;
    eprintln!("{stats:?}");
    Ok(path)
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
    let builder =
        InputBuilder::from_file(config.encoder_dir.join("tokenizer.json")).with_context(|| {
            format!(
                "loading the tokenizer from {}",
                config.encoder_dir.display()
            )
        })?;
    let cache_path = ensure_cache(&config.data_dir, config.cache_path(), &builder)?;
    let (header, mut train) = cache::read_cache(&cache_path)?;
    header.check_matches(&builder)?;
    if let Some(n) = config.train_limit {
        train.shuffle(&mut rand::rngs::StdRng::seed_from_u64(config.seed));
        train.truncate(n);
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
    let (model, counts) = SlotModel::<B>::pretrained(&config.encoder_dir, &config.model, &device)?;
    eprintln!(
        "model: {:?} fine-tuning, {} trainable / {} frozen parameters; {} training examples, {} validation questions",
        config.model.mode,
        counts.trainable,
        counts.frozen,
        train.len(),
        val.len()
    );
    Trainer::new(config, model, device, resume)?.fit(train, val)
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
