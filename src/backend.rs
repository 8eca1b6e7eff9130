//! `--backend` and `--kernel-cache`: the command-line form of
//! [`sqlcoder_model::backend`] (which holds the backend choice itself, below inference).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use sqlcoder_model::backend::{BackendKind, GpuOptions, DEFAULT_KERNEL_CACHE};
use std::path::PathBuf;

/// Which backend runs the model, and the GPU's start-up options.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct BackendArgs {
    /// Backend that runs the model (cuda needs a build with `--features cuda`).
    #[arg(long = "backend", default_value = "ndarray", value_parser = backend_parser())]
    pub kind: BackendKind,
    /// Folder where compiled GPU kernels persist between runs (cuda only).
    #[arg(long, default_value = DEFAULT_KERNEL_CACHE)]
    pub kernel_cache: PathBuf,
}

impl BackendArgs {
    pub fn gpu(&self) -> GpuOptions {
        GpuOptions {
            kernel_cache: self.kernel_cache.clone(),
        }
    }
}

fn backend_parser() -> impl TypedValueParser<Value = BackendKind> {
    let names =
        BackendKind::ALL.map(|kind| PossibleValue::new(kind.name()).help(kind.description()));
    PossibleValuesParser::new(names).map(|name| {
        BackendKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .expect("clap accepts only the listed names")
    })
}
