//! A dependency-free SVG line chart for training curves (loss per step, accuracy per epoch):
//! people would rather look at a curve than read a metrics file.

use std::fmt::Write;

/// One named curve of `(x, y)` points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// Render panels side by side, each `(title, x label, series)`, as one SVG document.
pub fn line_chart_svg(panels: &[(&str, &str, Vec<Series>)]) -> String {
    let (pw, ph) = (460.0, 320.0);
    let (ml, mr, mt, mb) = (56.0, 16.0, 30.0, 44.0);
    let width = pw * panels.len().max(1) as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{ph}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (p, (title, xlabel, series)) in panels.iter().enumerate() {
        let ox = p as f64 * pw;
        let pts: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let (mut x0, mut x1, mut y0, mut y1) = pts.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
        );
        if pts.is_empty() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        if y1 - y0 < 1e-12 {
            y1 = y0 + 1.0;
        }
        let sx = |x: f64| ox + ml + (x - x0) / (x1 - x0) * (pw - ml - mr);
        let sy = |y: f64| mt + (1.0 - (y - y0) / (y1 - y0)) * (ph - mt - mb);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="18" text-anchor="middle" font-size="13">{}</text>"#,
            ox + pw / 2.0,
            escape(title)
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{}" y="{mt}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
            ox + ml,
            pw - ml - mr,
            ph - mt - mb
        );
        for i in 0..=4 {
            let fy = y0 + (y1 - y0) * i as f64 / 4.0;
            let fx = x0 + (x1 - x0) * i as f64 / 4.0;
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                ox + ml - 4.0,
                sy(fy) + 4.0,
                tick(fy)
            );
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
                sx(fx),
                ph - mb + 14.0,
                tick(fx)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            ox + ml + (pw - ml - mr) / 2.0,
            ph - 8.0,
            escape(xlabel)
        );
        for (k, s) in series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            let path: Vec<String> = s
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            if path.len() == 1 {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{}" cy="{}" r="3" fill="{color}"/>"#,
                    path[0].split(',').next().unwrap(),
                    path[0].split(',').nth(1).unwrap()
                );
            } else if !path.is_empty() {
                let _ = writeln!(
                    svg,
                    r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
                    path.join(" ")
                );
            }
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" fill="{color}">{}</text>"#,
                ox + ml + 8.0,
                mt + 14.0 + 13.0 * k as f64,
                escape(&s.name)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn tick(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_series_and_escapes_names() {
        let svg = line_chart_svg(&[(
            "loss",
            "step",
            vec![
                Series {
                    name: "train <loss>".into(),
                    points: vec![(0.0, 3.0), (1.0, 2.0), (2.0, 1.0)],
                },
                Series {
                    name: "val".into(),
                    points: vec![(2.0, 1.5)],
                },
            ],
        )]);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("train &lt;loss&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
