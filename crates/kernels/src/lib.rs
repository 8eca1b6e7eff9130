//! Fast CPU versions of the encoder's hot ops for burn-ndarray, plain and under `Autodiff`.
//!
//! Each public function takes and returns ordinary burn tensors of any backend. On
//! `NdArray<f32>` it runs a vectorised, multi-threaded kernel; on
//! `Autodiff<NdArray<f32>>` the same kernel with its own backward node; on every other backend
//! (CUDA, ...) burn's own op, unchanged. The choice is made from the backend's concrete type
//! (`Any` downcasts of the tensor primitive), not by a trait bound, so the model and everything
//! that uses it stay generic over plain `Backend`.
//!
//! Why (experiments/results/cpu_profile.txt): burn-ndarray 0.21 computes GELU as `erf` in f64
//! per element on one thread (a quarter of a training step on 2 cores; its backward is the tanh
//! approximation's derivative), and its matmuls run on `matrixmultiply`'s AVX2 kernels, while
//! the dense layers are most of the remaining time.
//!
//! One file per op: the burn op (the dispatch above), its ndarray kernel, its autodiff
//! backward and its tests together; `simd` holds what the kernels share.

pub mod adamw;
mod attention;
mod dropout;
mod gelu;
mod layer_norm;
mod linear;
mod simd;
mod softmax;

pub use attention::{attention_context, attention_scores};
pub use dropout::dropout;
pub use gelu::gelu;
pub use layer_norm::layer_norm;
pub use linear::{dense, linear};
pub use softmax::masked_softmax;

use std::any::{Any, TypeId};

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::ndarray::NdArrayTensor;
pub(crate) use burn::backend::ndarray::SharedArray;
use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, TensorMetadata, TensorPrimitive};

type Nd = NdArray<f32>;
type Ad = Autodiff<Nd, NoCheckpointing>;

/// Whether backend `B` is exactly `T`.
fn is<B: 'static, T: 'static>() -> bool {
    TypeId::of::<B>() == TypeId::of::<T>()
}

/// The float primitive of `x` as `P` (the caller has checked that `B`'s is `P` with [`is`]).
fn into_prim<B: Backend, P: 'static, const D: usize>(x: Tensor<B, D>) -> P {
    expect_cast(x.into_primitive().tensor())
}

/// A tensor of `B` from its float primitive, typed as `P` (`B`'s primitive is `P`).
fn from_prim<B: Backend, P: 'static, const D: usize>(primitive: P) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(expect_cast(primitive)))
}

/// `t` as a `U`, when `T` is `U`; `t` back otherwise.
fn cast<T: 'static, U: 'static>(t: T) -> Result<U, T> {
    let mut slot = Some(t);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        Some(u) => Ok(u.take().expect("just filled")),
        None => Err(slot.expect("not taken")),
    }
}

/// The inverse of a successful [`cast`]: the types are known to be equal here.
fn expect_cast<T: 'static, U: 'static>(t: T) -> U {
    cast(t).unwrap_or_else(|_| unreachable!("backend primitive types were just matched"))
}

/// The values of an f32 tensor in row-major order (no copy when they already are).
fn standard_f32(t: NdArrayTensor) -> Result<SharedArray<f32>, NdArrayTensor> {
    match t {
        NdArrayTensor::F32(storage) => {
            let array = storage.into_shared();
            Ok(if array.is_standard_layout() {
                array
            } else {
                array.as_standard_layout().into_owned().into_shared()
            })
        }
        other => Err(other),
    }
}

fn f32_array(t: NdArrayTensor, what: &str) -> SharedArray<f32> {
    standard_f32(t).unwrap_or_else(|t| panic!("{what}: expected f32, got {:?}", t.dtype()))
}

fn from_vec(values: Vec<f32>, shape: Vec<usize>) -> NdArrayTensor {
    NdArrayTensor::from_data(TensorData::new(values, shape))
}

fn slice(a: &SharedArray<f32>) -> &[f32] {
    a.as_slice().expect("standard layout")
}
