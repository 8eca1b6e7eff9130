//! Which parameters train in each fine-tuning mode, decided by module path.
//!
//! One path predicate drives both freezing (require-grad flags) and what a shipped artifact
//! stores, so the two can never disagree.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// Which encoder weights train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FineTune {
    /// Every weight trains (an ablation: its weights are too large to ship).
    Full,
    /// Low-rank adapters on the encoder's dense layers, its LayerNorms and the heads train.
    Lora,
    /// Only the heads train.
    Frozen,
}

impl FineTune {
    /// Does the parameter at `path` (e.g. `encoder.encoder.layer.0.attention.self_attention.query.lora.a`) train?
    pub fn trains(self, path: &str) -> bool {
        let head = path.starts_with("heads.");
        match self {
            FineTune::Full => true,
            FineTune::Frozen => head,
            FineTune::Lora => head || path.contains(".lora.") || path.contains("layer_norm"),
        }
    }
}

/// Sets every float parameter's require-grad flag from a path predicate.
struct RequireGradByPath<F: Fn(&str) -> bool> {
    path: Vec<String>,
    trains: F,
    trainable: usize,
    frozen: usize,
}

impl<B: Backend, F: Fn(&str) -> bool> ModuleMapper<B> for RequireGradByPath<F> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let on = (self.trains)(&self.path.join("."));
        let n = param.val().shape().num_elements();
        if on {
            self.trainable += n;
        } else {
            self.frozen += n;
        }
        param.set_require_grad(on)
    }
}

/// Parameter counts after applying a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ParamCounts {
    pub trainable: usize,
    pub frozen: usize,
}

/// Apply `mode`'s require-grad flags to every parameter of `module`.
pub fn apply_mode<B: Backend, M: Module<B>>(module: M, mode: FineTune) -> (M, ParamCounts) {
    apply_trains(module, |p| mode.trains(p))
}

/// Sets every parameter's require-grad flag from its path (e.g.
/// `heads.family.order_col.weight`): `trains` decides, whatever a mode says.
pub fn apply_trains<B: Backend, M: Module<B>>(
    module: M,
    trains: impl Fn(&str) -> bool,
) -> (M, ParamCounts) {
    let mut mapper = RequireGradByPath {
        path: Vec::new(),
        trains,
        trainable: 0,
        frozen: 0,
    };
    let module = module.map(&mut mapper);
    (
        module,
        ParamCounts {
            trainable: mapper.trainable,
            frozen: mapper.frozen,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lora_trains_adapters_norms_and_heads_only() {
        let m = FineTune::Lora;
        assert!(m.trains("heads.sel_out.weight"));
        assert!(m.trains("encoder.encoder.layer.3.attention.self_attention.query.lora.a"));
        assert!(m.trains("encoder.encoder.layer.3.output.layer_norm.gamma"));
        assert!(!m.trains("encoder.encoder.layer.3.attention.self_attention.query.base.weight"));
        assert!(!m.trains("encoder.embeddings.word_embeddings.weight"));
        assert!(!FineTune::Frozen.trains("encoder.embeddings.layer_norm.gamma"));
        assert!(FineTune::Full.trains("encoder.embeddings.word_embeddings.weight"));
    }
}
