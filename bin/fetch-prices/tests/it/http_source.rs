//! The http: source against the fake CSV server on 127.0.0.1.

use crate::common::*;
use std::collections::BTreeMap;
use systrade_model::{ContractDate, InstrumentCode, MultiplePricesRow, Timestamp};
use systrade_sources::fakes::FakeCsvServer;

fn bars_csv(days: &[chrono::NaiveDate], closes: &[f64]) -> String {
    let mut s = String::from("Date,Open,High,Low,Close,Volume\n");
    for (d, c) in days.iter().zip(closes) {
        s.push_str(&format!("{},{c},{c},{c},{c},10\n", d.format("%Y-%m-%d")));
    }
    s
}

fn write_multiple_prices(env: &Env, instrument: &str, price: i64, forward: i64, carry: i64) {
    let store = systrade_store::Store::open(env.data());
    let w = store
        .lock_for_writing(std::time::Duration::from_secs(5))
        .unwrap();
    let c = |id| ContractDate::from_id(id).unwrap();
    let row = MultiplePricesRow {
        timestamp: Timestamp::parse("2024-03-14 23:00:00").unwrap(),
        price: 1.0,
        price_contract: c(price),
        forward: 1.0,
        forward_contract: c(forward),
        carry: 1.0,
        carry_contract: c(carry),
    };
    w.write_multiple_prices(&InstrumentCode::new(instrument).unwrap(), &vec![row])
        .unwrap();
}

#[test]
fn per_contract_template_fetches_the_live_chain() {
    let env = Env::new(&["CORN"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n");
    // price Jun 24, forward and carry Sep 24 → chain Dec 23 … Dec 24 (spec §4.3 item 2).
    write_multiple_prices(&env, "CORN", 20240600, 20240900, 20240900);
    let days = business_days(today(), 5);
    let mut routes = BTreeMap::new();
    for (i, c) in ["20240300", "20240600", "20240900", "20241200"]
        .iter()
        .enumerate()
    {
        routes.insert(
            format!("/csv/ZC/{c}.csv"),
            bars_csv(&days, &closes(5, 400.0 + 10.0 * i as f64)),
        );
    }
    let server = FakeCsvServer::start(routes, Vec::new());
    let template = format!(
        "http:{}/csv/{{symbol}}/{{contract}}.csv?from={{start}}&to={{end}}",
        server.url()
    );
    let out = env
        .cmd(&["--source", &template, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line = csv_line(&stdout_of(&out), "CORN");
    assert_eq!((line[2].as_str(), line[3].as_str()), ("4", "20"));
    let mut paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/csv/ZC/20231200.csv", // expired within 100 days: asked, 404, skipped
            "/csv/ZC/20240300.csv",
            "/csv/ZC/20240600.csv",
            "/csv/ZC/20240900.csv",
            "/csv/ZC/20241200.csv"
        ]
    );
    let r = &server.requests()[0];
    assert_eq!(r.query["from"], "2023-03-16"); // nothing stored: --lookback-days 365
    assert_eq!(r.query["to"], "2024-03-15");
    let stored = env.stored("CORN").unwrap();
    assert_eq!(stored.len(), 20);

    // Second run: asks from the last stored day, adds nothing.
    let out = env
        .cmd(&["--source", &template, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(csv_line(&stdout_of(&out), "CORN")[3], "0");
    let last = server.requests().last().unwrap().clone();
    assert_eq!(last.query["from"], "2024-03-15");
}

#[test]
fn one_request_per_instrument_with_a_contract_column_and_a_failing_instrument() {
    let env = Env::new(&["CORN", "US10"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\nUS10,ZN\n");
    let body = "date,contract,open,high,low,close,volume\n\
                2024-03-13,20240500,1,1,1,440,10\n\
                2024-03-13,20240700,1,1,1,450,10\n\
                2024-03-14,20240500,1,1,1,441,10\n";
    let server = FakeCsvServer::start(
        BTreeMap::from([("/all/ZC.csv".to_string(), body.to_string())]),
        vec!["/all/ZN.csv".to_string()],
    );
    let template = format!("http:{}/all/{{symbol}}.csv", server.url());
    let out = env
        .cmd(&[
            "--source",
            &template,
            "--contracts",
            "20240500,20240700",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let stdout = stdout_of(&out);
    assert_eq!(csv_line(&stdout, "CORN")[3], "3");
    let us10 = csv_line(&stdout, "US10");
    assert_eq!(us10[1], "failed");
    assert!(us10[6].contains("/all/ZN.csv: HTTP 500"), "{us10:?}");
    assert!(env.stored("US10").is_none());
}

#[test]
fn the_token_is_sent_but_never_logged() {
    let env = Env::new(&["CORN"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n");
    let days = business_days(today(), 3);
    let server = FakeCsvServer::start(
        BTreeMap::from([(
            "/q/ZC/20240500.csv".to_string(),
            bars_csv(&days, &[1.0, 2.0, 3.0]),
        )]),
        Vec::new(),
    );
    let template = format!(
        "http:{}/q/{{symbol}}/{{contract}}.csv?key={{token}}",
        server.url()
    );
    let out = env
        .cmd(&["--source", &template, "--contracts", "202405", "-vv"])
        .env("SYSTRADE_SOURCE_TOKEN", "s3cr3t-value")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.requests()[0].query["key"], "s3cr3t-value");
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("key={token}"),
        "the request is logged: {stderr}"
    );
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert!(!stdout_of(&out).contains("s3cr3t"));
}

#[cfg(unix)]
#[test]
fn a_token_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(&["CORN"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n");
    let token = env.write_src("token", "s3cr3t\n");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env
        .cmd(&[
            "--source",
            "http:http://127.0.0.1:9/{symbol}?k={token}",
            "--token-file",
            token.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("mode 0644") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t"));
}

#[test]
fn an_unreachable_source_exits_5() {
    let env = Env::new(&["CORN"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n");
    // A port that was free a moment ago: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .cmd(&[
            "--source",
            &format!("http:http://127.0.0.1:{port}/{{symbol}}/{{contract}}.csv"),
            "--contracts",
            "202405",
            "--retries",
            "1",
            "--retry-backoff-ms",
            "10",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert!(csv_line(&stdout_of(&out), "CORN")[6].contains("cannot connect"));
}

#[test]
fn fx_over_http() {
    let env = Env::new(&[]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nGBPUSD,gbpusd\n");
    let server = FakeCsvServer::start(
        BTreeMap::from([(
            "/fx/gbpusd.csv".to_string(),
            "Date,Open,High,Low,Close\n2024-03-13,1,1,1,1.27\n2024-03-14,1,1,1,1.28\n".to_string(),
        )]),
        Vec::new(),
    );
    let template = format!(
        "http:{}/fx/{{symbol}}.csv?d1={{start_compact}}",
        server.url()
    );
    let out = env
        .cmd(&["--source", &template, "--fx", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(csv_line(&stdout_of(&out), "GBPUSD")[3], "2");
    assert_eq!(server.requests()[0].query["d1"], "20230316");
}

/// Issue 15 item 7: a vendor's error body that echoes the request (its query string and an
/// Authorization header) and a template with a literal key never put a secret on stderr or into
/// the stdout CSV.
#[test]
fn secrets_echoed_by_a_vendor_error_are_redacted() {
    use systrade_sources::fakes::{Response, TestServer};
    let env = Env::new(&["CORN"]);
    env.write_config("http-symbols.csv", "Instrument,Symbol\nCORN,ZC\n");
    let server = TestServer::start(|req| {
        Response::text(
            403,
            format!(
                "denied: GET {}?{} Authorization: Bearer S3CRETBEARER",
                req.path, req.raw_query
            ),
        )
    });
    let template = format!(
        "http:{}/q/{{symbol}}/{{contract}}.csv?apikey=LITERALKEY&key={{token}}",
        server.url()
    );
    let out = env
        .cmd(&[
            "--source",
            &template,
            "--contracts",
            "202405",
            "--format",
            "csv",
            "-vv",
        ])
        .env("SYSTRADE_SOURCE_TOKEN", "S3CRETTOKEN")
        .output()
        .unwrap();
    let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("HTTP 403"),
        "the error is reported: {stderr}"
    );
    for secret in ["S3CRETTOKEN", "LITERALKEY", "S3CRETBEARER"] {
        assert!(!stderr.contains(secret), "{secret} on stderr: {stderr}");
        assert!(!stdout.contains(secret), "{secret} on stdout: {stdout}");
    }
    assert!(stdout.contains("[redacted]"), "{stdout}");
}
