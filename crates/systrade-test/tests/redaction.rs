//! Issue 15 item 7, through the real binaries: a secret in a price source's URL, or echoed by the
//! vendor's error body (`?apikey=...`, `token=...`, `Authorization: Bearer ...`, a JSON
//! `access_token`), reaches none of the places a message leaves a process — stderr (text and JSON
//! logs), the stdout CSV, the run summary file (`SYSTRADE_SUMMARY_FILE`), and state.sqlite's
//! `process_runs` (run-step's record of the command and its last error line) — nor a usage error.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use systrade_test::tools::Tools;

/// Secrets the test puts into the URL template, the token and the vendor's body.
const SECRETS: [&str; 5] = [
    "LITERALKEY",
    "S3CRETTOKEN",
    "S3CRETBEARER",
    "S3CRETJSON",
    "S3CRETPARAM",
];

/// An HTTP server on 127.0.0.1 answering every request with 403 and a body that echoes the
/// request line (so the token in the query) and more secrets. Returns its base URL.
fn start_echoing_vendor() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let request_line = head.lines().next().unwrap_or("");
            let body = format!(
                "denied: {request_line} Authorization: Bearer S3CRETBEARER \
                 {{\"access_token\": \"S3CRETJSON\"}} retry with token=S3CRETPARAM"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn data_dir(root: &Path) -> std::path::PathBuf {
    let data = root.join("data");
    let config = data.join("config");
    std::fs::create_dir_all(&config).expect("mkdir config");
    let files = [
        (
            "instruments.csv",
            "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
             CORN,Corn,50,USD,Ags,2,0,0,US\n",
        ),
        (
            "rolls.csv",
            "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
             CORN,HMUZ,-20,1,HMUZ,14\n",
        ),
        ("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n"),
    ];
    for (name, text) in files {
        std::fs::write(config.join(name), text).expect("writing config");
    }
    data
}

/// Every secret found in `what`, with where.
fn leaks(place: &str, bytes: &[u8], found: &mut Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    for s in SECRETS {
        if text.contains(s) {
            found.push(format!("{s} in {place}: {text}"));
        }
    }
}

/// Every file under `dir` (state.sqlite and its journal, metrics, summaries).
fn leaks_in_files(dir: &Path, found: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            leaks_in_files(&p, found);
        } else if let Ok(bytes) = std::fs::read(&p) {
            let text = String::from_utf8_lossy(&bytes);
            for s in SECRETS {
                if text.contains(s) {
                    found.push(format!("{s} in {}", p.display()));
                }
            }
        }
    }
}

fn output_leaks(what: &str, out: &Output, found: &mut Vec<String>) {
    leaks(&format!("{what} stdout"), &out.stdout, found);
    leaks(&format!("{what} stderr"), &out.stderr, found);
}

#[test]
fn secrets_never_leave_a_process() {
    let tools = Tools::build(&["fetch-prices", "run-step"]);
    let vendor = start_echoing_vendor();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = data_dir(tmp.path());
    let template =
        format!("http:{vendor}/q/{{symbol}}/{{contract}}.csv?apikey=LITERALKEY&key={{token}}");
    let fetch_args = |log: &str| -> Vec<String> {
        [
            "--source",
            &template,
            "--contracts",
            "202405",
            "--today",
            "2024-03-15",
            "--retries",
            "1",
            "--retry-backoff-ms",
            "10",
            "--format",
            "csv",
            "--no-progress",
            "-vv",
            "--log-format",
            log,
        ]
        .map(String::from)
        .to_vec()
    };
    let mut found = Vec::new();
    for log in ["text", "json"] {
        // fetch-prices itself, with a summary file.
        let summary = tmp.path().join(format!("summary-{log}.txt"));
        let out = tools
            .cmd("fetch-prices")
            .args(fetch_args(log))
            .env("SYSTRADE_DATA", &data)
            .env("SYSTRADE_SOURCE_TOKEN", "S3CRETTOKEN")
            .env("SYSTRADE_SUMMARY_FILE", &summary)
            .output()
            .expect("running fetch-prices");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{log}: {stderr}");
        // The failure is reported (with the vendor's words), only without its secrets.
        assert!(stderr.contains("HTTP 403"), "{log}: {stderr}");
        assert!(stderr.contains("[redacted]"), "{log}: {stderr}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("CORN,failed"),
            "{log}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        if log == "json" {
            for line in stderr.lines() {
                assert!(
                    serde_json::from_str::<serde_json::Value>(line).is_ok(),
                    "not a JSON line: {line}"
                );
            }
        }
        output_leaks(&format!("fetch-prices ({log} logs)"), &out, &mut found);
        let recorded = std::fs::read(&summary).expect("the summary file");
        leaks(&format!("summary ({log} logs)"), &recorded, &mut found);

        // The same under run-step, which records the command and the last error line in
        // state.sqlite.
        let out = tools
            .cmd("run-step")
            .args(["fetch-prices", "--time", "12:00", "--log-format", log])
            .arg("--")
            .arg(tools.path("fetch-prices"))
            .args(fetch_args(log))
            .env("SYSTRADE_DATA", &data)
            .env("SYSTRADE_SOURCE_TOKEN", "S3CRETTOKEN")
            .output()
            .expect("running run-step");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{log}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        output_leaks(&format!("run-step ({log} logs)"), &out, &mut found);
    }
    assert!(
        data.join("state.sqlite").exists(),
        "run-step recorded its runs"
    );
    leaks_in_files(tmp.path(), &mut found);

    // A usage error echoes the bad value: redacted too.
    let out = tools
        .cmd("fetch-prices")
        .args([
            "--source",
            "http:http://127.0.0.1:9/{nope}?apikey=LITERALKEY",
        ])
        .env("SYSTRADE_DATA", &data)
        .output()
        .expect("running fetch-prices");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown placeholder {nope}"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    output_leaks("a usage error", &out, &mut found);

    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}
