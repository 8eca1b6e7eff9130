//! Learning without forgetting (Li and Hoiem 2016) for the sketch's slots.
//!
//! A model that learns the query family drifts on the sketch's own questions, and the drift is
//! in the encoder's reading of the question, whatever heads or rates train (REPORT §10). So the
//! loss itself says what must not change: on every training question inside WikiSQL's sketch, a
//! teacher (the in-sketch model the run started from, frozen) gives its distributions over the
//! sketch's slots, and the student's are pulled towards them by cross-entropy, beside the gold
//! labels. The teacher's soft targets carry what it believes about every class, not only the
//! gold one, so they hold its reading of the question more tightly than the labels alone.
//!
//! Each slot is read where the gold loss reads it: the select column over the columns; the
//! aggregate at the gold select column; the condition count; each column's where score (a
//! sigmoid: binary cross-entropy with the teacher's probability as the target); the operator at
//! each gold condition column; the value span's start and end at each gold condition with a
//! span. A student with the family heads has more aggregate and operator classes than the
//! teacher: its distribution over all of them is matched to the teacher's over the sketch's
//! (the extra classes' target is zero).

use crate::loss::{ints, SlotTargets};
use burn::tensor::activation::{log_softmax, sigmoid, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use sqlcoder_model::heads::{SlotLogits, N_AGG, N_OP};

/// A teacher's sketch-slot logits as constants of the student's autodiff backend (its family
/// logits, if any, are left out: nothing is distilled from them).
pub fn lifted<B: AutodiffBackend>(l: SlotLogits<B::InnerBackend>) -> SlotLogits<B> {
    SlotLogits {
        sel: Tensor::from_inner(l.sel),
        agg: Tensor::from_inner(l.agg),
        where_count: Tensor::from_inner(l.where_count),
        where_col: Tensor::from_inner(l.where_col),
        op: Tensor::from_inner(l.op),
        value_start: Tensor::from_inner(l.value_start),
        value_end: Tensor::from_inner(l.value_end),
        family: None,
    }
}

/// Cross-entropy of the student's `[n, k_s]` distribution against the teacher's `[n, k_t]`
/// (`k_t <= k_s`: the student's first `k_t` classes are the teacher's), averaged over rows.
fn soft_cross_entropy<B: Backend>(student: Tensor<B, 2>, teacher: Tensor<B, 2>) -> Tensor<B, 1> {
    let [n, k] = teacher.dims();
    let log_p = log_softmax(student, 1).narrow(1, 0, k);
    let q = softmax(teacher, 1);
    (q * log_p).sum().div_scalar(n as f32).neg()
}

/// Rows `rows` of a `[batch * n_cols, k]` view of `logits` `[batch, n_cols, k]`.
fn at_columns<B: Backend>(logits: Tensor<B, 3>, rows: &[i64], device: &B::Device) -> Tensor<B, 2> {
    let [batch, n_cols, k] = logits.dims();
    logits
        .reshape([batch * n_cols, k])
        .select(0, ints::<B>(rows, device))
}

/// Flat `b * n_cols + col` rows of `rows` whose example `b` is inside the sketch.
fn sketch_only(rows: &[i64], n_cols: usize, in_sketch: &[bool]) -> Vec<i64> {
    rows.iter()
        .copied()
        .filter(|&r| in_sketch[r as usize / n_cols])
        .collect()
}

/// The distillation loss of a batch: the sum over the sketch's slots of the student's
/// cross-entropy against the teacher, on the rows `t.in_sketch` marks; zero without such rows.
pub fn distill_loss<B: Backend>(
    student: &SlotLogits<B>,
    teacher: &SlotLogits<B>,
    t: &SlotTargets,
) -> Tensor<B, 1> {
    let device = student.sel.device();
    let [_, n_cols] = student.sel.dims();
    let examples: Vec<i64> = (0..t.in_sketch.len() as i64)
        .filter(|&b| t.in_sketch[b as usize])
        .collect();
    if examples.is_empty() {
        return Tensor::zeros([1], &device);
    }
    let rows = |x: Tensor<B, 2>| x.select(0, ints::<B>(&examples, &device));

    let sel = soft_cross_entropy(rows(student.sel.clone()), rows(teacher.sel.clone()));
    let where_count = soft_cross_entropy(
        rows(student.where_count.clone()),
        rows(teacher.where_count.clone()),
    );

    let sel_rows: Vec<i64> = examples
        .iter()
        .map(|&b| b * n_cols as i64 + t.sel[b as usize])
        .collect();
    let student_agg = match &student.family {
        Some(f) => Tensor::cat(vec![student.agg.clone(), f.agg_extra.clone()], 2),
        None => student.agg.clone(),
    };
    let agg = soft_cross_entropy(
        at_columns(student_agg, &sel_rows, &device),
        at_columns(teacher.agg.clone().narrow(2, 0, N_AGG), &sel_rows, &device),
    );

    // Binary cross-entropy against the teacher's probability, over the real columns.
    let real = Tensor::<B, 2>::from_data(
        TensorData::new(t.real_cols.clone(), [t.in_sketch.len(), n_cols]),
        &device,
    );
    let x = rows(student.where_col.clone());
    let q = sigmoid(rows(teacher.where_col.clone()));
    let real = rows(real);
    let bce = x.clone().clamp_min(0.0) - x.clone() * q + x.abs().neg().exp().log1p();
    let where_col = (bce * real.clone()).sum().div(real.sum().clamp_min(1.0));

    let zero = || Tensor::<B, 1>::zeros([1], &device);
    let cond_rows = sketch_only(&t.cond_rows, n_cols, &t.in_sketch);
    let op = if cond_rows.is_empty() {
        zero()
    } else {
        let student_op = match &student.family {
            Some(f) => Tensor::cat(vec![student.op.clone(), f.op_extra.clone()], 2),
            None => student.op.clone(),
        };
        soft_cross_entropy(
            at_columns(student_op, &cond_rows, &device),
            at_columns(teacher.op.clone().narrow(2, 0, N_OP), &cond_rows, &device),
        )
    };
    let span_rows = sketch_only(&t.span_rows, n_cols, &t.in_sketch);
    let value = if span_rows.is_empty() {
        zero()
    } else {
        let pointer = |s: &Tensor<B, 3>, te: &Tensor<B, 3>| {
            soft_cross_entropy(
                at_columns(s.clone(), &span_rows, &device),
                at_columns(te.clone(), &span_rows, &device),
            )
        };
        pointer(&student.value_start, &teacher.value_start)
            + pointer(&student.value_end, &teacher.value_end)
    };
    sel + agg + where_count + where_col + op + value
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    type B = NdArray<f32>;

    fn logits(seed: f32, batch: usize, n_cols: usize, seq: usize) -> SlotLogits<B> {
        let device = Default::default();
        let t3 = |d: [usize; 3], s: f32| {
            let n = d.iter().product::<usize>();
            let v: Vec<f32> = (0..n)
                .map(|i| ((i as f32 + s) * 0.37).sin() * 2.0)
                .collect();
            Tensor::<B, 3>::from_data(TensorData::new(v, d), &device)
        };
        let t2 = |d: [usize; 2], s: f32| t3([d[0], d[1], 1], s).reshape(d);
        SlotLogits {
            sel: t2([batch, n_cols], seed),
            agg: t3([batch, n_cols, N_AGG], seed + 1.0),
            where_count: t2([batch, 5], seed + 2.0),
            where_col: t2([batch, n_cols], seed + 3.0),
            op: t3([batch, n_cols, N_OP], seed + 4.0),
            value_start: t3([batch, n_cols, seq], seed + 5.0),
            value_end: t3([batch, n_cols, seq], seed + 6.0),
            family: None,
        }
    }

    fn targets(in_sketch: Vec<bool>, n_cols: usize) -> SlotTargets {
        let batch = in_sketch.len();
        SlotTargets {
            sel: vec![1; batch],
            real_cols: vec![1.0; batch * n_cols],
            cond_rows: vec![0, (n_cols + 2) as i64],
            span_rows: vec![0, (n_cols + 2) as i64],
            in_sketch,
            ..Default::default()
        }
    }

    fn value(x: Tensor<B, 1>) -> f32 {
        x.into_data().to_vec::<f32>().unwrap()[0]
    }

    #[test]
    fn the_loss_is_least_where_the_student_is_the_teacher_and_ignores_rows_beyond_the_sketch() {
        let (student, teacher) = (logits(0.0, 2, 4, 6), logits(9.0, 2, 4, 6));
        let both = targets(vec![true, true], 4);
        let away = value(distill_loss(&student, &teacher, &both));
        let home = value(distill_loss(&teacher, &teacher, &both));
        assert!(home < away, "{home} should be below {away}");
        // The teacher's own distributions are its entropy: no other student does better there.
        let other = value(distill_loss(&logits(3.0, 2, 4, 6), &teacher, &both));
        assert!(home < other);
        assert_eq!(
            value(distill_loss(
                &student,
                &teacher,
                &targets(vec![false, false], 4)
            )),
            0.0
        );
        // Only the first row is in the sketch: the second row's logits change nothing.
        let first = targets(vec![true, false], 4);
        let mut moved = logits(0.0, 2, 4, 6);
        moved.sel = moved.sel.slice_assign(
            [1..2, 0..4],
            Tensor::<B, 2>::from_data(
                TensorData::new(vec![5.0f32; 4], [1, 4]),
                &Default::default(),
            ),
        );
        assert_eq!(
            value(distill_loss(&student, &teacher, &first)),
            value(distill_loss(&moved, &teacher, &first))
        );
    }
}
