//! The neural side: the BERT encoder (config, layers, LoRA adapters, checkpoint loading).

pub mod bert;
pub mod config;
pub mod lora;
pub mod weights;

pub use bert::BertModel;
pub use config::BertConfig;
pub use lora::{AdaptedLinear, LoraAdapter, LoraConfig, LoraTargets};
