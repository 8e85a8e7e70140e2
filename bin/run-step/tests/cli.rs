//! run-step as a process: process control statuses, time windows, the overlap lock, the alert
//! hook, metrics and capital; and the lead's cron/crontab.

use assert_cmd::Command;
use rusqlite::Connection;
use std::path::Path;

fn run_step(data: &Path) -> Command {
    let mut c = Command::cargo_bin("run-step").unwrap();
    c.env("SYSTRADE_DATA", data)
        .env("SYSTRADE_RUN_DATE", "2023-08-28")
        .env_remove("SYSTRADE_ALERT_CMD")
        .env_remove("SYSTRADE_METRICS_FILE")
        .env_remove("SYSTRADE_CAPITAL_METHOD")
        .arg("-q");
    c
}

fn outcomes(data: &Path) -> Vec<(String, String, String)> {
    let conn = Connection::open(data.join("state.sqlite")).unwrap();
    let mut st = conn
        .prepare("SELECT step, status, summary FROM process_runs ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn statuses_stop_pause_norun_and_predecessor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (status, ok) in [
        ("STOP", false),
        ("PAUSE", false),
        ("NO-RUN", true),
        ("GO", true),
    ] {
        run_step(d)
            .args(["control", "set", "fetch-prices", status])
            .assert()
            .success();
        let a = run_step(d)
            .args(["fetch-prices", "--", "sh", "-c", "echo ran"])
            .assert();
        if ok {
            a.success();
        } else {
            a.code(1);
        }
    }
    let o = outcomes(d);
    let statuses: Vec<&str> = o.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(statuses, ["refused", "refused", "skipped", "ok"]);
    assert!(o[0].2.contains("STOP") && o[1].2.contains("PAUSE"));
    assert_eq!(o[3].2, "ran", "summary is the last stdout line");
    // a skipped predecessor lets the successor run; a failed one does not
    run_step(d)
        .args(["update-rolls", "--", "sh", "-c", "exit 5"])
        .assert()
        .code(5);
    run_step(d)
        .args(["compute-forecasts", "--", "true"])
        .assert()
        .code(1);
    let o = outcomes(d);
    assert_eq!(o.last().unwrap().1, "refused");
    assert!(o.last().unwrap().2.contains("predecessor update-rolls"));
    // --once: a step that succeeded for the run date is not repeated
    run_step(d)
        .args(["--once", "fetch-prices", "--", "false"])
        .assert()
        .success();
    // another run date: the predecessor has not run that day
    run_step(d)
        .args(["--date", "2023-08-29", "update-rolls", "--", "true"])
        .assert()
        .code(1);
    // control shows the statuses
    let out = run_step(d)
        .args(["control", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("step,status,"));
    assert!(text.contains("update-rolls,GO,2023-08-29,refused"));
}

#[test]
fn time_window_from_processes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("config")).unwrap();
    std::fs::write(
        d.join("config/processes.csv"),
        "step,predecessor,start,stop\nprices,,20:00,23:50\nsystems,prices,,\n",
    )
    .unwrap();
    run_step(d)
        .args(["--time", "07:00", "prices", "--", "true"])
        .assert()
        .code(1);
    assert!(
        outcomes(d)[0]
            .2
            .contains("outside its time window 20:00-23:50")
    );
    run_step(d)
        .args(["--time", "20:00", "prices", "--", "true"])
        .assert()
        .success();
    run_step(d)
        .args(["--time", "21:00", "systems", "--", "true"])
        .assert()
        .success();
}

#[test]
fn overlapping_runs_are_refused_and_alerts_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let marker = d.join("started");
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("run-step"))
        .env("SYSTRADE_DATA", d)
        .env_remove("SYSTRADE_ALERT_CMD")
        .args(["-q", "slow", "--", "sh", "-c"])
        .arg(format!("touch {}; sleep 3", marker.display()))
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !marker.exists() {
        assert!(start.elapsed().as_secs() < 30, "first run never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let alerts = d.join("alerts.txt");
    let mut second = Command::cargo_bin("run-step").unwrap();
    second
        .env("SYSTRADE_DATA", d)
        .env(
            "SYSTRADE_ALERT_CMD",
            format!(
                "echo \"$1 $2 $SYSTRADE_ALERT_STEP\" >> {}",
                alerts.display()
            ),
        )
        .args(["-q", "slow", "--", "true"])
        .assert()
        .code(6);
    assert!(first.wait().unwrap().success());
    let o = outcomes(d);
    assert!(
        o.iter()
            .any(|r| r.1 == "refused" && r.2.contains("in progress"))
    );
    assert!(o.iter().any(|r| r.1 == "ok"));
    assert_eq!(std::fs::read_to_string(&alerts).unwrap(), "slow 6 slow\n");
    // a run whose process died (recorded as running, lock free) is closed as failed by the next run
    let conn = Connection::open(d.join("state.sqlite")).unwrap();
    conn.execute(
        "INSERT INTO process_runs (step, run_date, started_at, status) VALUES ('slow', '2023-08-28', '2023-08-28T20:00:00Z', 'running')",
        [],
    )
    .unwrap();
    run_step(d).args(["slow", "--", "true"]).assert().success();
    let crashed: String = conn
        .query_row(
            "SELECT status || ' ' || summary FROM process_runs WHERE started_at = '2023-08-28T20:00:00Z'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(crashed.starts_with("failed crashed"), "{crashed}");
    // a failing command alerts with its exit code and summary
    let mut c = Command::cargo_bin("run-step").unwrap();
    c.env("SYSTRADE_DATA", d)
        .env(
            "SYSTRADE_ALERT_CMD",
            format!(
                "echo \"$1 $2 $SYSTRADE_ALERT_SUMMARY\" >> {}",
                alerts.display()
            ),
        )
        .args(["-q", "boom", "--", "sh", "-c", "echo broken >&2; exit 4"])
        .assert()
        .code(4);
    assert!(
        std::fs::read_to_string(&alerts)
            .unwrap()
            .ends_with("boom 4 broken\n")
    );
    // metrics: default location, valid sample lines
    let m = std::fs::read_to_string(d.join("metrics/systrade.prom")).unwrap();
    assert!(m.contains("systrade_step_last_exit_code{step=\"boom\"} 4\n"));
    assert!(m.contains("systrade_step_refusals_total{step=\"slow\"} 1\n"));
}

#[test]
fn capital_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .code(1)
        .stdout("");
    run_step(d)
        .args(["capital", "update", "--account-value", "1000000"])
        .assert()
        .success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .success()
        .stdout("1000000\n");
    // +15%: waits for confirmation (exit 4), capital unchanged
    run_step(d)
        .args(["capital", "update", "--account-value", "1150000"])
        .assert()
        .code(4);
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1000000\n");
    run_step(d).args(["capital", "confirm"]).assert().success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1150000\n");
    // half: gains above the maximum do not count, losses do
    run_step(d)
        .args([
            "capital",
            "update",
            "--account-value",
            "1200000",
            "--method",
            "half",
        ])
        .assert()
        .success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1150000\n");
    run_step(d)
        .args([
            "capital",
            "update",
            "--account-value",
            "1100000",
            "--method",
            "half",
        ])
        .assert()
        .success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1050000\n");
    // allocation
    run_step(d)
        .args(["capital", "weight", "default", "3"])
        .assert()
        .success();
    run_step(d)
        .args(["capital", "weight", "other", "1"])
        .assert()
        .success();
    run_step(d)
        .args(["capital", "get", "--strategy", "default"])
        .assert()
        .stdout("787500\n");
    let out = run_step(d)
        .args(["capital", "show", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(",pending,") || text.contains(",accepted,"));
    assert!(text.contains("other,1,262500.00"));
}

/// Every entry of the lead's cron/crontab is a valid five-field line that loads the environment
/// file before calling a tool or script.
/// Issue 15 item 7: under any login umask (022 here) cron/systrade.env makes what the cron
/// entries create private: the logs their `>>` appends to are 0600, directories 0700; the metrics
/// file run-step writes stays readable (0644) for the node exporter.
#[test]
fn cron_logs_are_private_and_metrics_readable_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let log = d.path().join("daily.log");
    let run_step = assert_cmd::cargo::cargo_bin("run-step");
    let script = format!(
        "umask 022; . {}/cron/systrade.env && mkdir \"$1/reports\" && \
         unset SYSTRADE_METRICS_FILE SYSTRADE_ALERT_CMD SYSTRADE_CAPITAL_METHOD && \
         SYSTRADE_DATA=\"$2\" SYSTRADE_RUN_DATE=2023-08-28 {} -q echo -- echo hello \
         >> \"$3\" 2>&1",
        repo.display(),
        run_step.display()
    );
    let status = std::process::Command::new("sh")
        .args(["-c", &script, "sh"])
        .arg(d.path())
        .arg(&data)
        .arg(&log)
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600, "{}", log.display());
    assert_eq!(mode(&d.path().join("reports")), 0o700);
    assert_eq!(mode(&data.join("state.sqlite")), 0o600);
    assert_eq!(mode(&data.join("metrics/systrade.prom")), 0o644);
}

#[test]
fn crontab_entries_are_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cron/crontab");
    let text = std::fs::read_to_string(&path).unwrap();
    let ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    let mut entries = 0;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        // environment assignments (NAME=value) are allowed in a crontab
        if l.split_whitespace().next().is_some_and(|w| {
            w.contains('=') && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        }) {
            continue;
        }
        entries += 1;
        let fields: Vec<&str> = l.split_whitespace().collect();
        assert!(fields.len() > 5, "{l}");
        for (f, (lo, hi)) in fields[..5].iter().zip(ranges) {
            assert!(valid_field(f, lo, hi), "bad field {f:?} in {l}");
        }
        let command = fields[5..].join(" ");
        assert!(
            command.starts_with(". ") && command.contains("/systrade.env &&"),
            "entry does not load systrade.env first: {l}"
        );
    }
    assert!(entries > 0, "no entries in {}", path.display());
}

fn valid_field(f: &str, lo: u32, hi: u32) -> bool {
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "sun",
        "mon", "tue", "wed", "thu", "fri", "sat",
    ];
    f.split(',').all(|part| {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if step.is_some_and(|s| s.parse::<u32>().map_or(true, |s| s == 0)) {
            return false;
        }
        let num = |s: &str| {
            s.parse::<u32>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .is_some()
                || names.contains(&s.to_ascii_lowercase().as_str())
        };
        match range.split_once('-') {
            _ if range == "*" => true,
            Some((a, b)) => num(a) && num(b),
            None => num(range),
        }
    })
}

#[test]
fn cron_field_validator() {
    assert!(valid_field("*/15", 0, 59));
    assert!(valid_field("1-5", 0, 7));
    assert!(valid_field("mon-fri", 0, 7));
    assert!(valid_field("0,30", 0, 59));
    assert!(!valid_field("60", 0, 59));
    assert!(!valid_field("*/0", 0, 59));
    assert!(!valid_field("x", 0, 23));
}

/// "Today" is the configured time zone's (SYSTRADE_TZ): two zones 25 hours apart always have
/// different dates, each the one `date` gives for that zone; a bad name is a usage error.
#[test]
fn run_date_is_today_in_the_configured_time_zone() {
    let shell_date = |tz: &str| {
        let out = std::process::Command::new("date")
            .arg("+%F")
            .env("TZ", tz)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let mut dates = Vec::new();
    for tz in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let dir = tempfile::tempdir().unwrap();
        let before = shell_date(tz);
        run_step(dir.path())
            .env_remove("SYSTRADE_RUN_DATE")
            .env("SYSTRADE_TZ", tz)
            .args(["probe", "--", "true"])
            .assert()
            .success();
        let after = shell_date(tz);
        let conn = Connection::open(dir.path().join("state.sqlite")).unwrap();
        let run_date: String = conn
            .query_row("SELECT run_date FROM process_runs", [], |r| r.get(0))
            .unwrap();
        assert!(
            run_date == before || run_date == after,
            "{tz}: {run_date} vs {before}"
        );
        dates.push(run_date);
    }
    assert_ne!(dates[0], dates[1], "UTC+14 and UTC-11 never share a date");

    let dir = tempfile::tempdir().unwrap();
    let out = run_step(dir.path())
        .env_remove("SYSTRADE_RUN_DATE")
        .env("SYSTRADE_TZ", "Mars/Olympus")
        .args(["probe", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SYSTRADE_TZ"));
}

/// Issue 14: `capital update --from-broker` takes the account value from the IB gateway's net
/// liquidation value, with the same 10 % guard; a gateway that is not there is exit 5 naming
/// --ibkr-url; the flag and --account-value exclude each other.
#[test]
fn capital_update_from_the_broker() {
    use systrade_ibkr::fakes::{FakeGateway, FakeGatewayConfig};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fake = FakeGateway::start(FakeGatewayConfig {
        net_liquidation: 1_000_000.0,
        ..FakeGatewayConfig::default()
    });
    let update = |url: &str| {
        let mut c = run_step(d);
        c.args(["capital", "update", "--from-broker", "--ibkr-url", url])
            .env_remove("SYSTRADE_IBKR_ACCOUNT");
        c
    };
    update(&fake.base_url()).assert().success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1000000\n");
    assert!(fake.stats().ssodh_inits >= 1, "the session is initialised");
    fake.configure(|c| c.net_liquidation = 1_050_000.0);
    update(&fake.base_url()).assert().success();
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1050000\n");
    // +20 %: waits for confirmation, unchanged.
    fake.configure(|c| c.net_liquidation = 1_260_000.0);
    update(&fake.base_url()).assert().code(4);
    run_step(d)
        .args(["capital", "get"])
        .assert()
        .stdout("1050000\n");
    // No gateway: exit 5, saying where it looked.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = update(&format!("http://127.0.0.1:{port}/v1/api"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ibkr-url"));
    run_step(d)
        .args(["capital", "update", "--from-broker", "--account-value", "5"])
        .assert()
        .code(2);
}

/// A failing step is reported once (issue 19): the command's own error passes through, then one
/// line of run-step saying which step failed with which code; neither repeats the other, in text
/// and in JSON logs. The cause is recorded as the run's summary.
#[test]
fn a_failed_step_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for json in [false, true] {
        let mut c = Command::cargo_bin("run-step").unwrap();
        c.env("SYSTRADE_DATA", d)
            .env("SYSTRADE_RUN_DATE", "2023-08-28")
            .env_remove("SYSTRADE_ALERT_CMD")
            .env_remove("SYSTRADE_METRICS_FILE");
        if json {
            c.args(["--log-format", "json"]);
        }
        let step = if json { "json-step" } else { "text-step" };
        // the words of the cause are not on the command line (which the start line shows)
        let out = c
            .args([
                step,
                "--",
                "sh",
                "-c",
                "echo \"error: disk on $0\" >&2; exit 4",
                "fire",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            stderr.matches("disk on fire").count(),
            1,
            "the cause once:\n{stderr}"
        );
        let failure_lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("ERROR") || l.starts_with("error"))
            .filter(|l| !l.contains("disk on fire"))
            .collect();
        assert_eq!(failure_lines.len(), 1, "one failure line:\n{stderr}");
        assert!(
            failure_lines[0].contains(step) && failure_lines[0].contains("exit code 4"),
            "{stderr}"
        );
        if json {
            for line in stderr.lines().filter(|l| !l.contains("disk on fire")) {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            }
        }
    }
    let o = outcomes(d);
    assert_eq!(o.len(), 2);
    for (_, status, summary) in o {
        assert_eq!(status, "failed");
        assert_eq!(summary, "error: disk on fire", "the cause is the summary");
    }
}
