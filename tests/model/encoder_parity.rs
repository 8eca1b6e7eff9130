//! The encoder against an independent numpy BERT (`tools/bert_reference.py` in the shared folder):
//! final hidden states for three WikiSQL-style inputs, with the upstream f32 weights and with
//! our shipped f16 copy; masking of padded batches; strict checkpoint loading.

use crate::support;

use std::collections::HashMap;
use std::path::Path;

use burn::backend::NdArray;
use burn::tensor::{Bool, Int, Tensor, TensorData};
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use sqlcoder_model::params::WeightsError;
use sqlcoder_model::weights;
use sqlcoder_model::{BertConfig, BertModel, LoraConfig};
use support::Fixture;

type B = NdArray;

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/all-MiniLM-L6-v2");

fn fixture() -> Fixture {
    support::encoder_fixture().expect("the reference fixture in the shared folder")
}

/// Runs the encoder on rows padded to the longest (pad id 0, type 0, masked); returns, per
/// row, its real tokens' hidden states.
fn encode(model: &BertModel<B>, rows: &[(&[i64], &[i64])]) -> Vec<Vec<Vec<f32>>> {
    let device = Default::default();
    let seq = rows.iter().map(|(ids, _)| ids.len()).max().unwrap();
    let (mut ids, mut types, mut pad) = (vec![], vec![], vec![]);
    for (row_ids, row_types) in rows {
        let extra = seq - row_ids.len();
        ids.extend(row_ids.iter().copied().chain(std::iter::repeat_n(0, extra)));
        types.extend(
            row_types
                .iter()
                .copied()
                .chain(std::iter::repeat_n(0, extra)),
        );
        pad.extend(
            std::iter::repeat_n(false, row_ids.len()).chain(std::iter::repeat_n(true, extra)),
        );
    }
    let shape = [rows.len(), seq];
    let out = model.forward(
        Tensor::<B, 2, Int>::from_data(TensorData::new(ids, shape), &device),
        Tensor::<B, 2, Int>::from_data(TensorData::new(types, shape), &device),
        Tensor::<B, 2, Bool>::from_data(TensorData::new(pad, shape), &device),
    );
    let hidden = model.hidden_size();
    let values = out.into_data().to_vec::<f32>().unwrap();
    rows.iter()
        .enumerate()
        .map(|(r, (row_ids, _))| {
            (0..row_ids.len())
                .map(|t| {
                    let start = (r * seq + t) * hidden;
                    values[start..start + hidden].to_vec()
                })
                .collect()
        })
        .collect()
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len(), "token counts differ");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len(), "hidden sizes differ");
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

/// Largest difference to the reference over all cases, each encoded alone.
fn worst_case_diff(model: &BertModel<B>) -> f32 {
    fixture()
        .cases
        .iter()
        .map(|case| {
            let got = encode(model, &[(&case.input_ids, &case.token_type_ids)]);
            max_abs_diff(&got[0], &case.last_hidden_state)
        })
        .fold(0.0, f32::max)
}

#[test]
fn f32_weights_match_reference() {
    let (_, model) =
        weights::load_pretrained::<B>(&support::upstream_encoder(), &Default::default()).unwrap();
    let diff = worst_case_diff(&model);
    eprintln!("f32 max abs diff to reference: {diff:e}");
    assert!(diff <= 1e-4, "f32 max abs diff {diff}");

    // Fresh LoRA adapters (B = 0) must not change the function.
    let adapted = model.with_lora(&LoraConfig::default());
    let diff = worst_case_diff(&adapted);
    assert!(
        diff <= 1e-4,
        "with fresh LoRA adapters: max abs diff {diff}"
    );
}

#[test]
fn shipped_f16_weights_match_reference() {
    let (config, model) =
        weights::load_pretrained::<B>(Path::new(SHIPPED), &Default::default()).unwrap();
    assert_eq!(
        config,
        BertConfig::from_file(&support::upstream_encoder().join("config.json")).unwrap()
    );
    let diff = worst_case_diff(&model);
    eprintln!("f16 max abs diff to reference: {diff:e}");
    assert!(diff <= 1e-2, "f16 max abs diff {diff}");
}

#[test]
fn shipped_f16_file_is_the_conversion_of_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.safetensors");
    let report =
        weights::convert_to_f16(&support::upstream_encoder().join("model.safetensors"), &out)
            .unwrap();
    assert_eq!(report.converted, 103, "{report:?}");
    assert_eq!(report.copied, 1, "position_ids stays i64: {report:?}");
    assert!(report.max_abs_error < 1e-2, "{report:?}");
    let shipped = std::fs::read(Path::new(SHIPPED).join("model.safetensors")).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == shipped,
        "shipped f16 file differs from a fresh conversion"
    );
}

#[test]
fn padded_batch_matches_unpadded_inputs() {
    let (_, model) =
        weights::load_pretrained::<B>(&support::upstream_encoder(), &Default::default()).unwrap();
    let cases = fixture().cases;
    // Lengths 30, 42, 30: the short rows get 12 padding tokens.
    let rows: Vec<(&[i64], &[i64])> = cases
        .iter()
        .map(|c| (c.input_ids.as_slice(), c.token_type_ids.as_slice()))
        .collect();
    assert!(rows
        .iter()
        .any(|r| r.0.len() < rows.iter().map(|r| r.0.len()).max().unwrap()));
    let batched = encode(&model, &rows);
    for (row, (case, got)) in rows.iter().zip(cases.iter().zip(&batched)) {
        let alone = encode(&model, &[*row]);
        let diff = max_abs_diff(got, &alone[0]);
        eprintln!(
            "{} tokens, padded to 42 vs alone: max abs diff {diff:e}",
            row.0.len()
        );
        assert!(diff <= 1e-5, "padded vs alone: max abs diff {diff}");
        let diff = max_abs_diff(got, &case.last_hidden_state);
        assert!(diff <= 1e-4, "padded vs reference: max abs diff {diff}");
    }
}

/// A one-layer BERT small enough to write by hand.
fn tiny_config() -> BertConfig {
    BertConfig::from_json(
        r#"{"vocab_size": 11, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 16, "max_position_embeddings": 12, "type_vocab_size": 2,
            "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu"}"#,
    )
    .unwrap()
}

/// HF tensor names and shapes of the tiny config.
fn tiny_tensors() -> Vec<(String, Vec<usize>)> {
    let mut t: Vec<(String, Vec<usize>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![11, 8]),
        ("embeddings.position_embeddings.weight".into(), vec![12, 8]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, 8]),
        ("embeddings.LayerNorm.weight".into(), vec![8]),
        ("embeddings.LayerNorm.bias".into(), vec![8]),
    ];
    let p = "encoder.layer.0";
    for (name, out, inp) in [
        ("attention.self.query", 8, 8),
        ("attention.self.key", 8, 8),
        ("attention.self.value", 8, 8),
        ("attention.output.dense", 8, 8),
        ("intermediate.dense", 16, 8),
        ("output.dense", 8, 16),
    ] {
        t.push((format!("{p}.{name}.weight"), vec![out, inp]));
        t.push((format!("{p}.{name}.bias"), vec![out]));
    }
    for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
        t.push((format!("{p}.{norm}.weight"), vec![8]));
        t.push((format!("{p}.{norm}.bias"), vec![8]));
    }
    t
}

/// Writes the tensors (f32, values 0.01·index) to a safetensors file.
fn write_file(path: &Path, tensors: &[(String, Vec<usize>)]) {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, shape)| {
            (0..shape.iter().product::<usize>())
                .flat_map(|i| (0.01 * i as f32).to_le_bytes())
                .collect()
        })
        .collect();
    let views: HashMap<String, TensorView> = tensors
        .iter()
        .zip(&data)
        .map(|((name, shape), bytes)| {
            (
                name.clone(),
                TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap(),
            )
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

fn load_tiny(tensors: &[(String, Vec<usize>)]) -> Result<BertModel<B>, WeightsError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    write_file(&path, tensors);
    weights::load_safetensors::<B>(&tiny_config(), &path, &Default::default())
}

#[test]
fn complete_checkpoint_loads_with_tolerated_extras() {
    let mut tensors = tiny_tensors();
    load_tiny(&tensors).expect("complete checkpoint");
    tensors.push(("pooler.dense.weight".into(), vec![8, 8]));
    tensors.push(("pooler.dense.bias".into(), vec![8]));
    tensors.push(("embeddings.position_ids".into(), vec![1, 12]));
    load_tiny(&tensors).expect("pooler and position_ids are ignored");
}

#[test]
fn missing_tensor_is_an_error_naming_it() {
    let name = "encoder.layer.0.attention.self.key.bias";
    let tensors: Vec<_> = tiny_tensors()
        .into_iter()
        .filter(|(n, _)| n != name)
        .collect();
    let err = load_tiny(&tensors).unwrap_err();
    assert!(
        matches!(&err, WeightsError::Missing { name: n, .. } if n == name),
        "{err}"
    );
    assert!(err.to_string().contains(name), "{err}");
}

#[test]
fn unexpected_tensor_is_an_error_naming_it() {
    let name = "encoder.layer.1.attention.self.query.weight";
    let mut tensors = tiny_tensors();
    tensors.push((name.into(), vec![8, 8]));
    let err = load_tiny(&tensors).unwrap_err();
    assert!(
        matches!(&err, WeightsError::Unexpected { names, .. } if names == &[name]),
        "{err}"
    );
    assert!(err.to_string().contains(name), "{err}");
}

#[test]
fn wrong_shape_is_an_error_naming_the_tensor() {
    let name = "encoder.layer.0.intermediate.dense.weight";
    let tensors: Vec<_> = tiny_tensors()
        .into_iter()
        .map(|(n, shape)| {
            if n == name {
                (n, vec![8, 16])
            } else {
                (n, shape)
            }
        })
        .collect();
    let err = load_tiny(&tensors).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, WeightsError::Shape { .. }), "{message}");
    assert!(
        message.contains(name) && message.contains("[16, 8]"),
        "{message}"
    );
}
