//! Bounded, seeded property-based fuzzing shared by the parser fuzz tests (issue 15): a runner with
//! a fixed RNG seed and no persisted failures (so CI runs the same cases every time, in seconds),
//! and generators for the inputs users and vendors send: CSV text with valid, edge and garbage
//! cells, and text near a given document (line deletions, duplications, value swaps).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// A runner for `cases` cases with the project's fixed seed.
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(15),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    })
}

/// Runs `check` on `cases` inputs of `strategy`; a panic inside `check` (an assertion, or a panic
/// of the code under test) fails with the shrunk input and `name`.
pub fn run<S: Strategy>(name: &str, cases: u32, strategy: S, check: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let result = runner(cases).run(&strategy, |v| {
        check(v);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Cells a price or config file can hold: valid values, edge values and garbage.
pub fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "2020-01-02",
            "2020-01-02 23:00:00",
            "2020-01-03T21:00:00",
            "1899-12-31",
            "9999-12-30 00:00:00",
            "2262-04-12 00:00:00",
            "1970-01-01",
            "2020-02-30",
            "20201218",
            "20201200",
            "-20201200",
            "99999999",
            "01/02/2020",
        ])
        .prop_map(str::to_string),
        4 => prop::sample::select(vec![
            "100.5", "0", "-50", "1e-300", "1e308", "NaN", "nan", "inf", "-inf", "", "  ",
            "9223372036854775808", "-0.0", "1,5", "0x10",
        ])
        .prop_map(str::to_string),
        2 => prop::sample::select(vec![
            "CORN", "USD", "../../x", "FGHJKMNQUVXZ", "HMUZ", "TRUE", "FALSE", "Ags",
            "\"quoted,cell\"", "\"unterminated", "é", "\u{0}",
        ])
        .prop_map(str::to_string),
        1 => "[ -~]{0,10}",
        1 => any::<f64>().prop_map(|x| x.to_string()),
        1 => any::<i64>().prop_map(|x| x.to_string()),
    ]
}

/// CSV text for a file whose header is `header`: usually that header, sometimes a shortened,
/// reversed or empty one; 0–11 rows of `width ± 1` cells; LF or CRLF, with or without a BOM;
/// sometimes raw bytes.
pub fn csv_text(header: &[&str]) -> impl Strategy<Value = Vec<u8>> {
    let width = header.len();
    let row = prop::collection::vec(cell(), width.saturating_sub(1)..=width + 1);
    let full = header.join(",");
    let short = header[..width.saturating_sub(1)].join(",");
    let reversed = header.iter().rev().copied().collect::<Vec<_>>().join(",");
    let head = prop_oneof![
        6 => Just(full),
        1 => Just(short),
        1 => Just(reversed),
        1 => Just(String::new()),
    ];
    prop_oneof![
        10 => (head, prop::collection::vec(row, 0..12), any::<bool>(), any::<bool>()).prop_map(
            |(head, rows, crlf, bom)| {
                let nl = if crlf { "\r\n" } else { "\n" };
                let mut s = String::new();
                if bom {
                    s.push('\u{feff}');
                }
                s.push_str(&head);
                s.push_str(nl);
                for r in rows {
                    s.push_str(&r.join(","));
                    s.push_str(nl);
                }
                s.into_bytes()
            }
        ),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Text near `document`: lines deleted, duplicated, swapped, or a value (what follows `: `)
/// replaced by an edge or garbage value; sometimes arbitrary text.
pub fn near(document: &'static str) -> impl Strategy<Value = String> {
    let lines: Vec<&'static str> = document.lines().collect();
    let n = lines.len().max(1);
    let edit = (0..4u8, 0..n, 0..n, replacement());
    prop_oneof![
        9 => prop::collection::vec(edit, 1..6).prop_map(move |edits| {
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
            for (kind, i, j, value) in edits {
                if out.is_empty() {
                    break;
                }
                let i = i % out.len();
                let j = j % out.len();
                match kind {
                    0 => {
                        out.remove(i);
                    }
                    1 => {
                        let l = out[i].clone();
                        out.insert(j, l);
                    }
                    2 => out.swap(i, j),
                    _ => {
                        if let Some(p) = out[i].find(": ") {
                            out[i].truncate(p + 2);
                            out[i].push_str(&value);
                        } else {
                            out[i].push_str(&value);
                        }
                    }
                }
            }
            out.join("\n")
        }),
        1 => "[ -~\n]{0,200}",
    ]
}

fn replacement() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => cell(),
        1 => prop::sample::select(vec![
            "[]", "{}", "[1, 2", "{a: 1}", "~", "null", "true", "-1", "1e400", ".nan", ".inf",
            "-.inf", "&anchor x", "*alias", "!!binary aGk=", "'", "|", ">", "- - -",
        ])
        .prop_map(str::to_string),
    ]
}
