//! Run metrics as JSON lines (`metrics.jsonl`) and their plot (`curves.svg`).

use super::plot::{line_chart_svg, Series};
use super::val::ValReport;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct MetricsLog {
    path: PathBuf,
    svg: PathBuf,
    file: std::fs::File,
}

impl MetricsLog {
    /// Open the run's log for appending. Lines written after step `keep_until_step` (by a run
    /// that was killed after its last checkpoint) are dropped, so a resumed run does not log twice.
    pub fn open(run_dir: &Path, keep_until_step: usize) -> Result<Self> {
        let path = run_dir.join("metrics.jsonl");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| {
                    serde_json::from_str::<Value>(l)
                        .ok()
                        .and_then(|v| v["step"].as_u64())
                        .is_some_and(|s| s as usize <= keep_until_step)
                })
                .collect();
            let mut file = sqlcoder_data::io::AtomicFile::create(&path)?;
            for l in &kept {
                writeln!(file, "{l}")
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            file.commit()?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            svg: run_dir.join("curves.svg"),
            path,
            file,
        })
    }

    fn write(&mut self, v: Value) -> Result<()> {
        writeln!(self.file, "{v}").with_context(|| format!("writing {}", self.path.display()))
    }

    pub fn step(
        &mut self,
        step: usize,
        epoch: usize,
        loss: f64,
        parts: &[(&str, f64)],
        ex_per_s: f64,
        lr: f64,
    ) -> Result<()> {
        let parts: serde_json::Map<String, Value> = parts
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        self.write(json!({"kind": "step", "step": step, "epoch": epoch + 1, "loss": loss, "parts": parts, "examples_per_s": ex_per_s, "lr_heads": lr}))
    }

    pub fn epoch(&mut self, step: usize, epoch: usize, report: &ValReport) -> Result<()> {
        self.write(json!({"kind": "epoch", "step": step, "epoch": epoch + 1, "val": report}))
    }

    /// Redraw `curves.svg` from everything logged so far.
    pub fn plot(&self) -> Result<()> {
        let text = std::fs::read_to_string(&self.path)?;
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let points = |kind: &str, x: &str, y: &dyn Fn(&Value) -> Option<f64>| -> Vec<(f64, f64)> {
            lines
                .iter()
                .filter(|v| v["kind"] == kind)
                .filter_map(|v| Some((v[x].as_f64()?, y(v)?)))
                .collect()
        };
        let loss = Series {
            name: "train loss".into(),
            points: points("step", "step", &|v| v["loss"].as_f64()),
        };
        let lf = Series {
            name: "val LF %".into(),
            points: points("epoch", "epoch", &|v| {
                v["val"]["lf"].as_f64().map(|x| 100.0 * x)
            }),
        };
        let ex = Series {
            name: "val EX %".into(),
            points: points("epoch", "epoch", &|v| {
                v["val"]["ex"].as_f64().map(|x| 100.0 * x)
            }),
        };
        let svg = line_chart_svg(&[
            ("training loss", "step", vec![loss]),
            ("validation accuracy", "epoch", vec![lf, ex]),
        ]);
        let mut file = sqlcoder_data::io::AtomicFile::create(&self.svg)?;
        file.write_all(svg.as_bytes())
            .with_context(|| format!("writing {}", self.svg.display()))?;
        file.commit()
    }
}
