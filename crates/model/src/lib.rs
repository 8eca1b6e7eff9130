//! The model: the BERT encoder (config, layers, LoRA adapters, checkpoint loading), its input
//! builder and table-content features, the SQLova slot heads and the query family's heads, the
//! assembled slot model, and which backend runs it.

pub mod backend;
pub mod batch;
pub mod bert;
pub mod config;
pub mod content;
pub mod family_classes;
pub mod family_heads;
pub mod header_text;
pub mod heads;
pub mod input;
pub mod lora;
pub mod params;
pub mod slot_model;
pub mod trainable;
pub mod weights;

pub use bert::BertModel;
pub use config::BertConfig;
pub use lora::{AdaptedLinear, LoraAdapter, LoraConfig, LoraTargets};
