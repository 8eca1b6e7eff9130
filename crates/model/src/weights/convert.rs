//! Halving a checkpoint: f32 tensors → f16, everything else copied as is.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

/// One output tensor: name, dtype, shape and bytes (converted tensors own their bytes).
type OutTensor<'a> = (String, Dtype, Vec<usize>, std::borrow::Cow<'a, [u8]>);

/// What [`convert_to_f16`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct F16Conversion {
    /// Tensors converted from f32.
    pub converted: usize,
    /// Tensors of other dtypes, copied unchanged (e.g. the i64 `position_ids`).
    pub copied: usize,
    /// Largest |f32 − f16| over all converted values.
    pub max_abs_error: f32,
}

/// Writes a copy of the safetensors file `src` to `dst` with every f32 tensor stored as f16
/// (names, shapes and file metadata unchanged). Fails, writing nothing, if a value does not fit
/// in f16. Output goes to `dst.tmp` first and is renamed when complete.
pub fn convert_to_f16(src: &Path, dst: &Path) -> anyhow::Result<F16Conversion> {
    let bytes = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    let invalid =
        |err| anyhow::anyhow!("{} is not a valid safetensors file: {err:?}", src.display());
    let file = SafeTensors::deserialize(&bytes).map_err(invalid)?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(invalid)?;
    let metadata: Option<HashMap<String, String>> = header.metadata().clone();

    let mut report = F16Conversion {
        converted: 0,
        copied: 0,
        max_abs_error: 0.0,
    };
    let mut out: Vec<OutTensor> = Vec::new();
    for (name, view) in file.iter() {
        if view.dtype() != Dtype::F32 {
            report.copied += 1;
            out.push((
                name.to_string(),
                view.dtype(),
                view.shape().to_vec(),
                view.data().into(),
            ));
            continue;
        }
        let mut halves = Vec::with_capacity(view.data().len() / 2);
        for chunk in view.data().chunks_exact(4) {
            let x = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let h = half::f16::from_f32(x);
            if x.is_finite() && !h.is_finite() {
                bail!("tensor `{name}` holds {x}, which does not fit in f16");
            }
            report.max_abs_error = report.max_abs_error.max((h.to_f32() - x).abs());
            halves.extend_from_slice(&h.to_le_bytes());
        }
        report.converted += 1;
        out.push((
            name.to_string(),
            Dtype::F16,
            view.shape().to_vec(),
            halves.into(),
        ));
    }

    let views = out
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.clone(), data)
                .map(|view| (name.clone(), view))
                .map_err(|err| anyhow::anyhow!("tensor `{name}`: {err:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let staged = sqlcoder_data::io::StagedPath::new(dst)?;
    safetensors::serialize_to_file(views, metadata, staged.tmp_path())
        .map_err(|err| anyhow::anyhow!("writing {}: {err:?}", staged.tmp_path().display()))?;
    staged.commit()?;
    Ok(report)
}
