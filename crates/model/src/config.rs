//! The encoder's hyper-parameters, read from a Hugging Face `config.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Why a `config.json` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read encoder config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid encoder config {path}: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("unsupported encoder config: {0}")]
    Unsupported(String),
}

/// The subset of a BERT `config.json` the encoder needs (unknown keys are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    /// BERT uses 1e-12, far below burn's LayerNorm default of 1e-5.
    pub layer_norm_eps: f64,
    pub hidden_dropout_prob: f64,
    pub attention_probs_dropout_prob: f64,
    /// Only `"gelu"` (the exact erf form) is supported.
    pub hidden_act: String,
    /// Only `"absolute"` position embeddings are supported (the HF default when absent).
    #[serde(default = "absolute")]
    pub position_embedding_type: String,
}

impl BertConfig {
    /// A small BERT of the given sizes (tests and smoke runs): `intermediate = 2 × hidden`,
    /// 512 positions, two token types, BERT's LayerNorm eps.
    pub fn tiny(
        vocab_size: usize,
        hidden_size: usize,
        layers: usize,
        heads: usize,
        dropout: f64,
    ) -> Self {
        Self {
            vocab_size,
            hidden_size,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            intermediate_size: 2 * hidden_size,
            max_position_embeddings: 512,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            hidden_dropout_prob: dropout,
            attention_probs_dropout_prob: dropout,
            hidden_act: "gelu".into(),
            position_embedding_type: absolute(),
        }
    }
}

fn absolute() -> String {
    "absolute".to_string()
}

impl BertConfig {
    /// Reads and validates a Hugging Face `config.json`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::from_json(&text).map_err(|err| match err {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: shown,
                source,
            },
            other => other,
        })
    }

    /// Parses and validates the JSON text of a `config.json`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let config: Self = serde_json::from_str(text).map_err(|source| ConfigError::Parse {
            path: "<json>".to_string(),
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values the encoder relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |msg: String| Err(ConfigError::Unsupported(msg));
        if self.hidden_act != "gelu" {
            return bad(format!(
                "hidden_act is {:?}, only \"gelu\" (exact erf GELU) is supported",
                self.hidden_act
            ));
        }
        if self.position_embedding_type != "absolute" {
            return bad(format!(
                "position_embedding_type is {:?}, only \"absolute\" is supported",
                self.position_embedding_type
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return bad(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        let sizes = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, size)| *size == 0) {
            return bad(format!("{name} is 0"));
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("{name} is {p}, expected a probability in [0, 1)"));
            }
        }
        if self.layer_norm_eps.is_nan() || self.layer_norm_eps <= 0.0 {
            return bad(format!("layer_norm_eps is {}", self.layer_norm_eps));
        }
        Ok(())
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINILM: &str = r#"{
        "_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
        "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
        "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
        "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": 30522
    }"#;

    #[test]
    fn reads_minilm_config() {
        let config = BertConfig::from_json(MINILM).unwrap();
        assert_eq!(config.hidden_size, 384);
        assert_eq!(config.num_hidden_layers, 6);
        assert_eq!(config.head_dim(), 32);
        assert_eq!(config.layer_norm_eps, 1e-12);
        assert_eq!(config.vocab_size, 30522);
    }

    #[test]
    fn rejects_other_activations() {
        let text = MINILM.replace(r#""hidden_act": "gelu""#, r#""hidden_act": "gelu_new""#);
        let err = BertConfig::from_json(&text).unwrap_err().to_string();
        assert!(err.contains("gelu_new"), "{err}");
    }

    #[test]
    fn rejects_missing_fields_and_bad_head_count() {
        let text = MINILM.replace(r#""layer_norm_eps": 1e-12,"#, "");
        assert!(BertConfig::from_json(&text).is_err());
        let text = MINILM.replace(
            r#""num_attention_heads": 12"#,
            r#""num_attention_heads": 7"#,
        );
        let err = BertConfig::from_json(&text).unwrap_err().to_string();
        assert!(err.contains("num_attention_heads 7"), "{err}");
    }
}
