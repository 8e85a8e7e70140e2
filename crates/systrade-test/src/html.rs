//! Checks that a report page shows data: every chart (`<svg class="chart" …>`) has a data mark (a
//! line or area of at least three points, or a bar of positive size) and only finite coordinates,
//! and every table has a row of cells.

/// What [`check_charts_and_tables`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCheck {
    pub charts: usize,
    pub tables: usize,
}

const NUMERIC: [&str; 12] = [
    "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "points",
];

/// The `name="value"` attributes of one start tag (the text after the tag name up to `>`).
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.push((name, &after[..end]));
        rest = &after[end + 1..];
    }
    out
}

fn numbers(value: &str) -> Result<Vec<f64>, String> {
    value
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("not a finite coordinate: {t:?}"))
        })
        .collect()
}

/// Checks one chart's SVG (from `<svg` to `</svg>`); `Ok(marks)` counts its data marks.
fn check_chart(svg: &str) -> Result<usize, String> {
    let mut marks = 0;
    for piece in svg.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or("");
        let name = tag.split_whitespace().next().unwrap_or("");
        let attrs = attributes(tag);
        let mut points = 0;
        let (mut w, mut h) = (0.0, 0.0);
        for (k, v) in &attrs {
            if NUMERIC.contains(k) {
                let nums = numbers(v).map_err(|e| format!("<{name} {k}=…>: {e}"))?;
                match *k {
                    "points" => points = nums.len() / 2,
                    "width" => w = nums.first().copied().unwrap_or(0.0),
                    "height" => h = nums.first().copied().unwrap_or(0.0),
                    _ => {}
                }
            }
        }
        match name {
            "polyline" | "polygon" if points >= 3 => marks += 1,
            "rect" if w > 0.0 && h > 0.0 => marks += 1,
            _ => {}
        }
    }
    Ok(marks)
}

/// Every chart has data and finite coordinates, every table has a `<td>`: the counts, or what is
/// wrong (naming the chart's id or the table's position).
pub fn check_charts_and_tables(html: &str) -> Result<PageCheck, String> {
    let mut charts = 0;
    for (k, start) in html
        .match_indices("<svg class=\"chart\"")
        .map(|m| m.0)
        .enumerate()
    {
        let len = html[start..]
            .find("</svg>")
            .ok_or_else(|| format!("chart {k}: no </svg>"))?;
        let svg = &html[start..start + len];
        let id = attributes(svg.split('>').next().unwrap_or(""))
            .into_iter()
            .find(|a| a.0 == "id")
            .map_or_else(|| format!("#{k}"), |a| a.1.to_string());
        match check_chart(svg) {
            Ok(0) => return Err(format!("chart {id}: no data (no line, area or bar)")),
            Ok(_) => charts += 1,
            Err(e) => return Err(format!("chart {id}: {e}")),
        }
    }
    let mut tables = 0;
    for (k, start) in html.match_indices("<table").map(|m| m.0).enumerate() {
        let len = html[start..]
            .find("</table>")
            .ok_or_else(|| format!("table {k}: no </table>"))?;
        if !html[start..start + len].contains("<td") {
            return Err(format!("table {k}: no rows"));
        }
        tables += 1;
    }
    Ok(PageCheck { charts, tables })
}

/// Renders `page` in headless Chromium (`/usr/bin/chromium`) to a PNG screenshot of the given
/// window size, checks that it is a PNG and returns its size in bytes; `None` with a printed
/// reason when Chromium is not installed (`apt-get install -y chromium`; `.ci/run` installs it).
///
/// # Panics
/// Chromium failing or not writing a PNG.
pub fn screenshot_in_chromium(
    test: &str,
    page: &std::path::Path,
    png: &std::path::Path,
    window: (u32, u32),
) -> Option<usize> {
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!(
            "SKIPPED {test} (rendering part): /usr/bin/chromium not found (apt-get install -y chromium)"
        );
        return None;
    }
    let status = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium exit status {status}");
    let bytes = std::fs::read(png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_empty_charts_and_bad_coordinates() {
        let line = r#"<svg class="chart" id="a" width="9"><polyline points="1,2 3,4 5,6"/></svg>"#;
        let bar = r#"<svg class="chart"><rect x="0" y="1" width="3" height="2"/></svg>"#;
        let table = "<table><tr><th>h</th></tr><tr><td>1</td></tr></table>";
        assert_eq!(
            check_charts_and_tables(&format!("{line}{bar}{table}")),
            Ok(PageCheck {
                charts: 2,
                tables: 1
            })
        );
        let axis_only = r#"<svg class="chart" id="e"><polyline points="1,2 3,4"/><rect width="0" height="5"/></svg>"#;
        assert_eq!(
            check_charts_and_tables(axis_only),
            Err("chart e: no data (no line, area or bar)".into())
        );
        let nan = r#"<svg class="chart" id="n"><polyline points="1,2 3,NaN 5,6"/></svg>"#;
        assert!(
            check_charts_and_tables(nan)
                .unwrap_err()
                .contains("chart n")
        );
        let empty_table = "<table><tr><th>h</th></tr></table>";
        assert!(check_charts_and_tables(empty_table).is_err());
    }
}
