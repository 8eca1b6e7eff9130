//! Which burn backend runs the model, and GPU start-up: where cubecl keeps compiled kernels, and
//! a progress line while the first step's kernels compile. The command-line parsing of these
//! options is the app's (`sqlcoder::cli`).
//!
//! burn's CUDA backend JIT-compiles every kernel (NVRTC) on first use; the kernels persist in the
//! kernel cache folder, so a second run (or a run that carries the folder in) skips that. The
//! `cuda` build has no autotune (compiled out: with it, the first step stalled for minutes while
//! matmul candidates compiled), so there is no autotune level to choose. See
//! `experiments/gpu/README.md`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::batch::ShapePolicy;

/// Which burn backend runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// CPU (burn-ndarray).
    Ndarray,
    /// NVIDIA GPU (burn-cuda); needs a build with `--features cuda`.
    Cuda,
}

impl BackendKind {
    /// Every backend, in the order the command line lists them.
    pub const ALL: [BackendKind; 2] = [BackendKind::Ndarray, BackendKind::Cuda];

    /// The name the command line takes.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Ndarray => "ndarray",
            BackendKind::Cuda => "cuda",
        }
    }

    /// One line for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            BackendKind::Ndarray => "CPU (burn-ndarray)",
            BackendKind::Cuda => "NVIDIA GPU (burn-cuda); needs a build with `--features cuda`",
        }
    }

    /// Batch shapes that suit the backend: exact lengths on the CPU (no wasted work), a few
    /// fixed shapes on the GPU (each new shape compiles and autotunes kernels).
    pub fn default_shapes(self) -> ShapePolicy {
        match self {
            BackendKind::Ndarray => ShapePolicy::Exact,
            BackendKind::Cuda => ShapePolicy::Buckets,
        }
    }
}

/// The error of `--backend cuda` in a binary built without the `cuda` feature.
pub fn no_cuda() -> anyhow::Error {
    anyhow::anyhow!(
        "this binary was built without CUDA: rebuild with `cargo build --release --features cuda`"
    )
}

/// GPU options shared by the commands that run a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuOptions {
    /// Folder where compiled GPU kernels persist between runs.
    pub kernel_cache: PathBuf,
}

/// Where compiled GPU kernels persist unless `--kernel-cache` says otherwise.
pub const DEFAULT_KERNEL_CACHE: &str = "target/cubecl-cache";

impl Default for GpuOptions {
    fn default() -> Self {
        Self {
            kernel_cache: DEFAULT_KERNEL_CACHE.into(),
        }
    }
}

/// The compile log file named by `SQLCODER_KERNEL_LOG` (one line per compiled kernel; off by
/// default because cubecl then also formats every kernel's source, which slows compilation).
pub fn kernel_log_path() -> Option<PathBuf> {
    std::env::var_os("SQLCODER_KERNEL_LOG").map(PathBuf::from)
}

/// Configures cubecl before the first GPU use: the kernel cache in `options.kernel_cache`, the
/// optional compile log. Other settings come from
/// a `cubecl.toml` above the working directory and cubecl's environment variables, as usual.
/// Later calls in the same process keep the first configuration.
#[cfg(feature = "cuda")]
pub fn configure_cubecl(options: &GpuOptions) -> anyhow::Result<()> {
    use anyhow::Context;
    use burn::cubecl::config::{
        cache::CacheConfig, compilation::CompilationLogLevel, CubeClRuntimeConfig, RuntimeConfig,
    };
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if DONE.get().is_some() {
        return Ok(());
    }
    std::fs::create_dir_all(&options.kernel_cache)
        .with_context(|| format!("creating {}", options.kernel_cache.display()))?;
    // cubecl resolves relative cache roots against the working directory at first use.
    let root = std::fs::canonicalize(&options.kernel_cache)?;
    let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
    config.compilation.cache = Some(CacheConfig::File(root.clone()));
    if let Some(log) = kernel_log_path() {
        config.compilation.logger.level = CompilationLogLevel::Basic;
        config.compilation.logger.file = Some(log);
    }
    eprintln!("GPU kernel cache: {}", root.display());
    CubeClRuntimeConfig::set(config);
    let _ = DONE.set(());
    Ok(())
}

/// Prints "compiling GPU kernels (first run only) …" with the elapsed time (and the number of
/// kernels compiled so far, when the compile log is on) every `period` until dropped.
pub struct CompileNotice {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CompileNotice {
    pub fn start(period: Duration) -> Self {
        let kernel_log = kernel_log_path();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let started = Instant::now();
        eprintln!("compiling GPU kernels (first run only; a warm kernel cache skips this) …");
        let thread = std::thread::spawn(move || {
            let tick = Duration::from_millis(200);
            let mut next = period;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                if started.elapsed() >= next && !flag.load(Ordering::Relaxed) {
                    next += period;
                    let kernels = kernel_log
                        .as_ref()
                        .and_then(|p| std::fs::read_to_string(p).ok())
                        .map(|log| {
                            format!(": {} kernels", log.matches("[Compiling kernel]").count())
                        })
                        .unwrap_or_default();
                    eprintln!(
                        "compiling GPU kernels (first run only){kernels} … {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        });
        Self {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for CompileNotice {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether a burn backend JIT-compiles its kernels (the cubecl backends: CUDA, wgpu, …), by
/// the backend's name.
pub fn compiles_kernels(backend_name: &str) -> bool {
    backend_name.contains("cubecl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubecl_backends_compile_kernels_and_ndarray_does_not() {
        use burn::backend::{Autodiff, NdArray};
        use burn::tensor::backend::Backend;
        let name = <Autodiff<NdArray> as Backend>::name(&Default::default());
        assert!(!compiles_kernels(&name), "{name}");
        assert!(compiles_kernels("autodiff<fusion<cubecl<cuda>>>"));
    }
}
