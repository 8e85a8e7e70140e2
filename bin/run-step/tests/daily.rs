//! End to end: five simulated trading days through `scripts/daily` on testdata/ with the sim
//! broker, then a day with a deliberately failing step, then its resumption (issue 9 acceptance).
//!
//! Setup: a copy of testdata/ with csvconfig/, fx_prices_csv/ and the contract prices up to
//! 2023-08-23 is imported; each simulated day D reveals the bars in (2023-08-23, D] through a
//! staging directory read by `fetch-prices --source csv:DIR`. Expected values are computed here from
//! the testdata files and the database, never from the tools' own summaries.

#![allow(clippy::print_stderr)] // tests say what they could not check

use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CUTOFF: &str = "2023-08-23";
const DAYS: [&str; 5] = [
    "2023-08-24",
    "2023-08-25",
    "2023-08-28",
    "2023-08-29",
    "2023-08-30",
];
const STEPS: [&str; 7] = [
    "fetch-prices",
    "update-rolls",
    "compute-forecasts",
    "size-positions",
    "place-orders",
    "backup",
    "report",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding the workspace's binaries, with every tool the pipeline needs built.
fn bin_dir() -> PathBuf {
    let run_step = assert_cmd::cargo::cargo_bin("run-step");
    let dir = run_step.parent().unwrap().to_path_buf();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(repo()).args(["build", "-q", "--bins"]);
    for p in [
        "backtest",
        "import-pst",
        "fetch-prices",
        "roll-contracts",
        "compute-forecasts",
        "size-positions",
        "place-orders",
        "backup",
        "report",
        "run-step",
    ] {
        cmd.args(["-p", p]);
    }
    if dir.ends_with("release") {
        cmd.arg("--release");
    }
    let st = cmd.status().expect("cargo build");
    assert!(st.success(), "building the pipeline's tools failed");
    dir
}

/// Contract price files of testdata: name -> (header, rows).
fn contract_files() -> BTreeMap<String, (String, Vec<String>)> {
    let dir = repo().join("testdata/contract_prices_csv");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines = text.lines().map(str::to_string);
        let header = lines.next().unwrap();
        let rows: Vec<String> = lines.filter(|l| !l.trim().is_empty()).collect();
        out.insert(
            p.file_name().unwrap().to_string_lossy().into_owned(),
            (header, rows),
        );
    }
    out
}

/// Writes the files of `files` with the rows whose date is in (from, to]; returns the row count.
fn write_rows(
    files: &BTreeMap<String, (String, Vec<String>)>,
    dir: &Path,
    from: &str,
    to: &str,
) -> usize {
    std::fs::create_dir_all(dir).unwrap();
    let mut n = 0;
    for (name, (header, rows)) in files {
        let keep: Vec<&String> = rows
            .iter()
            .filter(|r| &r[..10] > from && &r[..10] <= to)
            .collect();
        if keep.is_empty() {
            continue;
        }
        n += keep.len();
        let mut text = header.clone();
        for r in keep {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        std::fs::write(dir.join(name), text).unwrap();
    }
    n
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
}

impl World {
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        self.env(&mut c);
        c
    }

    fn env(&self, c: &mut Command) {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("PATH", path)
            .env("SYSTRADE_DATA", &self.data)
            .env(
                "SYSTRADE_PRICE_SOURCE",
                format!("csv:{}", self.root.join("stage").display()),
            )
            .env("SYSTRADE_BACKUP_REPO", self.root.join("backups"))
            .env("SYSTRADE_METRICS_FILE", self.metrics_path())
            .env("SYSTRADE_REPORTS", self.root.join("reports"))
            .env(
                "SYSTRADE_ALERT_CMD",
                format!(
                    "echo \"$1 $2\" >> {}",
                    self.root.join("alerts.txt").display()
                ),
            )
            .env_remove("SYSTRADE_RUN_DATE")
            .env_remove("SYSTRADE_FX_SOURCE");
    }

    fn metrics_path(&self) -> PathBuf {
        self.root.join("textfile/systrade.prom")
    }

    fn daily(&self, date: &str) -> std::process::Output {
        let mut c = Command::new("bash");
        c.arg(repo().join("scripts/daily"));
        self.env(&mut c);
        c.env("SYSTRADE_RUN_DATE", date);
        c.output().unwrap()
    }

    fn db(&self) -> Connection {
        Connection::open(self.data.join("state.sqlite")).unwrap()
    }

    fn metrics(&self) -> BTreeMap<String, f64> {
        let text = std::fs::read_to_string(self.metrics_path()).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_string(), v.parse::<f64>().unwrap())
            })
            .collect()
    }

    /// `report status` as JSON, after checking its exit code: 0 healthy, 4 something stale or
    /// failed.
    fn status_json(&self, date: &str, code: i32) -> serde_json::Value {
        let out = self
            .cmd("report")
            .args(["status", "--format", "json", "--date", date])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn summary(&self, conn: &Connection, step: &str, date: &str) -> String {
        conn.query_row(
            "SELECT summary FROM process_runs WHERE step = ?1 AND run_date = ?2 ORDER BY id DESC LIMIT 1",
            [step, date],
            |r| r.get(0),
        )
        .unwrap()
    }
}

fn table<'a>(report: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))["rows"]
        .as_array()
        .unwrap()
}

fn latest_outcomes(conn: &Connection, date: &str) -> BTreeMap<String, String> {
    let mut st = conn
        .prepare("SELECT step, status FROM process_runs WHERE run_date = ?1 ORDER BY id")
        .unwrap();
    st.query_map([date], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn setup() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let bin = bin_dir();
    let files = contract_files();
    let pst = root.join("pst");
    copy_dir(&repo().join("testdata/csvconfig"), &pst.join("csvconfig"));
    copy_dir(
        &repo().join("testdata/fx_prices_csv"),
        &pst.join("fx_prices_csv"),
    );
    write_rows(&files, &pst.join("contract_prices_csv"), "0000", CUTOFF);
    let w = World {
        _tmp: tmp,
        data: root.join("data"),
        root,
        bin,
    };
    let run = |mut c: Command| {
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{c:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut c = w.cmd("import-pst");
    c.arg(&pst).args(["--no-progress", "-q"]);
    run(c);
    for sub in ["calendar", "multiple", "adjust"] {
        let mut c = w.cmd("roll-contracts");
        c.args([sub, "--no-progress", "-q"]);
        run(c);
    }
    std::fs::copy(
        repo().join("bin/compute-forecasts/configs/chapter15.yaml"),
        w.data.join("config/system.yaml"),
    )
    .unwrap();
    let mut c = w.cmd("run-step");
    c.args(["capital", "set", "500000", "-q"]);
    run(c);
    w
}

#[test]
fn five_trading_days_then_a_failing_step() {
    let w = setup();
    let files = contract_files();
    let conn = w.db();
    let mut prev = CUTOFF;
    for (k, day) in DAYS.iter().enumerate() {
        // reveal the bars up to this day
        let stage = w.root.join("stage");
        let _ = std::fs::remove_dir_all(&stage);
        write_rows(&files, &stage, CUTOFF, day);
        let expected_new_rows = {
            let tmp = w.root.join("count");
            let _ = std::fs::remove_dir_all(&tmp);
            write_rows(&files, &tmp, prev, day)
        };
        assert!(expected_new_rows > 0);

        let out = w.daily(day);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "day {day}: {stderr}");

        // every step succeeded for this run date
        let outcomes = latest_outcomes(&conn, day);
        for s in STEPS {
            assert_eq!(
                outcomes.get(s).map(String::as_str),
                Some("ok"),
                "day {day} step {s}: {stderr}"
            );
        }
        // rows fetched = bars dated in (previous day, day] in testdata
        let rows: i64 = conn
            .query_row(
                "SELECT rows_fetched FROM process_runs WHERE step = 'fetch-prices' AND run_date = ?1
                 AND status = 'ok' ORDER BY id DESC LIMIT 1",
                [day],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows as usize, expected_new_rows, "day {day}");

        // optimal positions of today for every instrument, and positions inside the buffers
        let compact = day.replace('-', "");
        let mut st = conn
            .prepare(
                "SELECT o.instrument, o.lower, o.upper, COALESCE(p.position, 0) FROM optimal_positions o
                 LEFT JOIN strategy_positions p ON p.strategy = o.strategy AND p.instrument = o.instrument
                 WHERE o.id = (SELECT MAX(id) FROM optimal_positions o2 WHERE o2.instrument = o.instrument
                               AND o2.strategy = o.strategy) AND substr(o.timestamp, 1, 10) = ?1",
            )
            .unwrap();
        let opt: Vec<(String, f64, f64, i64)> = st
            .query_map([day], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(opt.len(), 6, "day {day}: optimal positions dated today");
        for (i, lo, hi, pos) in &opt {
            assert!(
                (lo.round() as i64) <= *pos && *pos <= hi.round() as i64,
                "day {day} {i}: position {pos} outside [{lo}, {hi}]"
            );
        }
        // strategy and contract positions reconcile
        let breaks: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT instrument, SUM(position) s FROM strategy_positions GROUP BY instrument) a
                 LEFT JOIN (SELECT instrument, SUM(position) c FROM contract_positions GROUP BY instrument) b
                 USING (instrument) WHERE a.s <> COALESCE(b.c, 0)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(breaks, 0, "day {day}");
        // orders placed today = broker orders with today's client order ids, all filled by the sim
        let todays_orders: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT client_order_id, fill, trade FROM broker_orders
                   UNION SELECT client_order_id, fill, trade FROM broker_orders_history)
                 WHERE client_order_id LIKE '%-' || ?1 || '-%'",
                [&compact],
                |r| r.get(0),
            )
            .unwrap();
        let recorded: i64 = conn
            .query_row(
                "SELECT orders_placed FROM process_runs WHERE step = 'place-orders' AND run_date = ?1
                 AND status = 'ok' ORDER BY id DESC LIMIT 1",
                [day],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(recorded, todays_orders, "day {day}");
        if k == 0 {
            assert!(todays_orders > 0, "the first day opens positions");
        }

        // reports: the html page of the day, and the status section
        let html =
            std::fs::read_to_string(w.root.join(format!("reports/report-{day}.html"))).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
        assert!(!html.contains("<script") && !html.contains("src="));
        // the report runs as a run-step step: it does not list itself as running or crashed
        assert!(
            !html.contains("step running") && !html.contains("without a live process"),
            "the report lists a running step on {day}"
        );
        for i in ["COPPER", "CORN", "EUROSTX", "GOLD", "US10", "VIX"] {
            assert!(html.contains(i), "{i}");
        }
        let status = w.status_json(day, 0);
        let stale = table(&status, "status-prices");
        assert!(
            stale.iter().all(|r| r["stale"] == ""),
            "no stale prices on {day}"
        );
        assert!(stale.iter().all(|r| r["last_price_date"] == *day));

        // metrics
        let m = w.metrics();
        for s in STEPS {
            assert_eq!(
                m[&format!("systrade_step_last_ok{{step=\"{s}\"}}")],
                1.0,
                "{s}"
            );
            assert_eq!(
                m[&format!("systrade_step_runs_total{{step=\"{s}\"}}")],
                (k + 1) as f64,
                "{s}"
            );
            assert_eq!(
                m[&format!("systrade_step_failures_total{{step=\"{s}\"}}")],
                0.0
            );
        }
        assert_eq!(
            m["systrade_step_rows_fetched{step=\"fetch-prices\"}"],
            expected_new_rows as f64
        );
        assert_eq!(
            m["systrade_step_orders_placed{step=\"place-orders\"}"],
            todays_orders as f64
        );
        // each step's recorded summary is what the tool says it did, with counts
        for (s, want) in [
            ("fetch-prices", "6 ok"),
            ("update-rolls", "6 ok"),
            ("compute-forecasts", "6 ok"),
            ("size-positions", "6 ok"),
            ("place-orders", "place-orders: 6 instruments"),
            ("backup", "files"),
            ("report", "0 stale, 0 failed step(s)"),
        ] {
            let got = w.summary(&conn, s, day);
            assert!(got.contains(want), "day {day} {s}: summary {got:?}");
        }
        prev = day;
    }
    assert!(
        !w.root.join("alerts.txt").exists(),
        "no alerts on good days"
    );

    // Day 6 (no new bars are revealed: testdata's GOLD has no bar on 2023-08-31): the system config
    // is broken, so compute-forecasts fails and its successors are refused; backup and report
    // still run (they are most needed on such a day) and the report says what failed.
    let day = "2023-08-31";
    let cfg = w.data.join("config/system.yaml");
    let good = std::fs::read(&cfg).unwrap();
    std::fs::write(&cfg, "trading_rules: [this is: not a rule set\n").unwrap();
    let out = w.daily(day);
    assert!(!out.status.success());
    let outcomes = latest_outcomes(&conn, day);
    assert_eq!(outcomes["fetch-prices"], "ok");
    assert_eq!(outcomes["update-rolls"], "ok");
    assert_eq!(outcomes["compute-forecasts"], "failed");
    for s in ["size-positions", "place-orders"] {
        assert_eq!(outcomes[s], "refused", "{s}");
    }
    for s in ["backup", "report"] {
        assert_eq!(outcomes[s], "ok", "{s} runs after a failed step");
    }
    let alerts = std::fs::read_to_string(w.root.join("alerts.txt")).unwrap();
    assert_eq!(alerts.trim(), "compute-forecasts 1");
    let html = std::fs::read_to_string(w.root.join(format!("reports/report-{day}.html"))).unwrap();
    assert!(html.contains("compute-forecasts") && html.contains("failed"));
    assert!(
        w.summary(&conn, "report", day)
            .contains("1 failed step(s) (compute-forecasts)"),
        "{}",
        w.summary(&conn, "report", day)
    );
    let m = w.metrics();
    assert_eq!(m["systrade_step_last_ok{step=\"compute-forecasts\"}"], 0.0);
    assert_eq!(
        m["systrade_step_failures_total{step=\"compute-forecasts\"}"],
        1.0
    );
    assert_eq!(
        m["systrade_step_last_exit_code{step=\"compute-forecasts\"}"],
        1.0
    );
    for s in ["backup", "report"] {
        assert_eq!(
            m[&format!("systrade_step_last_ok{{step=\"{s}\"}}")],
            1.0,
            "{s}"
        );
    }
    for s in ["size-positions", "place-orders"] {
        assert_eq!(
            m[&format!("systrade_step_last_ok{{step=\"{s}\"}}")],
            0.0,
            "{s}"
        );
        assert_eq!(
            m[&format!("systrade_step_refusals_total{{step=\"{s}\"}}")],
            1.0,
            "{s}"
        );
        assert_eq!(
            m[&format!("systrade_step_failures_total{{step=\"{s}\"}}")],
            0.0,
            "{s}: a refusal is not a failure"
        );
    }
    assert_eq!(m["systrade_step_last_ok{step=\"fetch-prices\"}"], 1.0);
    let status = w.status_json(day, 4);
    let procs = table(&status, "status-processes");
    let row = |s: &str| procs.iter().find(|r| r["step"] == s).unwrap().clone();
    assert_eq!(row("compute-forecasts")["outcome"], "failed");
    assert_eq!(row("size-positions")["outcome"], "refused");
    assert!(
        row("size-positions")["summary"]
            .as_str()
            .unwrap()
            .contains("predecessor compute-forecasts")
    );
    let orders_before: i64 = conn
        .query_row("SELECT COUNT(*) FROM fills", [], |r| r.get(0))
        .unwrap();

    // Fixed: re-running resumes at the failed step (fetch-prices and update-rolls are not repeated).
    std::fs::write(&cfg, good).unwrap();
    let out = w.daily(day);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs_of_fetch: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM process_runs WHERE step = 'fetch-prices' AND run_date = ?1",
            [day],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(runs_of_fetch, 1);
    let outcomes = latest_outcomes(&conn, day);
    for s in STEPS {
        assert_eq!(outcomes[s], "ok", "{s}");
    }
    let m = w.metrics();
    for s in STEPS {
        assert_eq!(
            m[&format!("systrade_step_last_ok{{step=\"{s}\"}}")],
            1.0,
            "{s}"
        );
    }
    let fills_after: i64 = conn
        .query_row("SELECT COUNT(*) FROM fills", [], |r| r.get(0))
        .unwrap();
    assert!(fills_after >= orders_before);
}

/// The command of the first line of an installed cron.d file that runs `what` (after the five time
/// fields and the user).
fn cron_command(cron_d: &str, what: &str) -> String {
    let line = cron_d
        .lines()
        .find(|l| !l.starts_with('#') && l.contains(what))
        .unwrap_or_else(|| panic!("no cron line runs {what}:\n{cron_d}"));
    let mut rest = line.trim_start();
    for _ in 0..6 {
        let end = rest.find(char::is_whitespace).unwrap();
        rest = rest[end..].trim_start();
    }
    rest.to_string()
}

/// The shell command of an installed systemd unit's `ExecStart=/bin/sh -c '...'`.
fn unit_command(unit: &str) -> String {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .unwrap_or_else(|| panic!("no ExecStart=/bin/sh -c in:\n{unit}"));
    // systemd turns `$$` into `$` before running the command
    line.strip_suffix('\'').unwrap().replace("$$", "$")
}

/// Runs a scheduled command line as cron or systemd would: `sh -c`, a minimal environment.
fn run_scheduled(command: &str) -> std::process::Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .output()
        .unwrap()
}

#[test]
fn installed_schedule_runs_two_days_and_a_failing_day_still_backs_up_and_reports() {
    let w = setup();
    let files = contract_files();
    let prefix = w.root.join("srv/systrade");
    let etc = w.root.join("etc");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let out = Command::new("bash")
        .arg(repo().join("scripts/install"))
        .arg("--prefix")
        .arg(&prefix)
        .arg("--etc")
        .arg(&etc)
        .arg("--bin-dir")
        .arg(&w.bin)
        .args(["--scheduler", "both", "--user", user.trim()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // What the install path creates: every directory the schedule uses, stripped binaries, the
    // schedule in both forms and a logrotate config.
    use std::os::unix::fs::PermissionsExt;
    for d in [
        "bin", "scripts", "cron", "data", "logs", "reports", "metrics",
    ] {
        assert!(prefix.join(d).is_dir(), "{d}");
    }
    for d in ["data", "logs", "reports"] {
        let mode = std::fs::metadata(prefix.join(d))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "{d} is private");
    }
    let built = std::fs::metadata(w.bin.join("run-step")).unwrap().len();
    let installed = std::fs::metadata(prefix.join("bin/run-step"))
        .unwrap()
        .len();
    assert!(
        installed < built,
        "installed binary is stripped: {installed} vs {built} bytes"
    );
    for f in [
        "cron.d/systrade",
        "systemd/system/systrade-daily.service",
        "systemd/system/systrade-daily.timer",
        "systemd/system/systrade-backup.service",
        "systemd/system/systrade-backup.timer",
        "systemd/system/systrade-failure@.service",
        "logrotate.d/systrade",
    ] {
        assert!(etc.join(f).is_file(), "{f}");
    }
    let daily_unit =
        std::fs::read_to_string(etc.join("systemd/system/systrade-daily.service")).unwrap();
    assert!(daily_unit.contains("OnFailure=systrade-failure@"));

    // The imported data directory becomes the installed one; the operator edits the environment
    // file (price source, backup repository, alert command; here also the simulated run date).
    std::fs::remove_dir(prefix.join("data")).unwrap();
    std::fs::rename(&w.data, prefix.join("data")).unwrap();
    let env_file = prefix.join("cron/systrade.env");
    let installed_env = std::fs::read_to_string(&env_file).unwrap();
    let stage = w.root.join("stage");
    let set_day = |day: &str| {
        let text = format!(
            "{installed_env}export SYSTRADE_PRICE_SOURCE=csv:{}\nexport SYSTRADE_BACKUP_REPO={}\n\
             export SYSTRADE_ALERT_CMD='echo \"$1 $2\" >> {}'\nexport SYSTRADE_RUN_DATE={day}\n",
            stage.display(),
            w.root.join("backups").display(),
            w.root.join("alerts.txt").display()
        );
        std::fs::write(&env_file, text).unwrap();
        let _ = std::fs::remove_dir_all(&stage);
        write_rows(&files, &stage, CUTOFF, day);
    };
    let db = || Connection::open(prefix.join("data/state.sqlite")).unwrap();

    // Day 1 through the installed cron line.
    let day1 = DAYS[0];
    set_day(day1);
    let cron_d = std::fs::read_to_string(etc.join("cron.d/systrade")).unwrap();
    let out = run_scheduled(&cron_command(&cron_d, "scripts/daily"));
    let log = std::fs::read_to_string(prefix.join("logs/daily.log")).unwrap_or_default();
    assert!(out.status.success(), "day {day1}: {log}");
    let outcomes = latest_outcomes(&db(), day1);
    for s in STEPS {
        assert_eq!(
            outcomes.get(s).map(String::as_str),
            Some("ok"),
            "{s}: {log}"
        );
    }
    assert!(prefix.join(format!("reports/report-{day1}.html")).is_file());
    assert!(prefix.join("metrics/systrade.prom").is_file());
    // the 15-minute backup line works too
    let out = run_scheduled(&cron_command(&cron_d, "backup create"));
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(prefix.join("logs/backup.log"))
            .unwrap()
            .contains("\"id\"")
    );

    // Day 2 through the installed systemd service, with a broken system config: compute-forecasts
    // fails, its successors are refused, and backup and report still run.
    let day2 = DAYS[1];
    set_day(day2);
    let cfg = prefix.join("data/config/system.yaml");
    std::fs::write(&cfg, "trading_rules: [this is: not a rule set\n").unwrap();
    let out = run_scheduled(&unit_command(&daily_unit));
    assert!(
        !out.status.success(),
        "the day's exit status says a step failed"
    );
    let outcomes = latest_outcomes(&db(), day2);
    assert_eq!(outcomes["fetch-prices"], "ok");
    assert_eq!(outcomes["compute-forecasts"], "failed");
    assert_eq!(outcomes["size-positions"], "refused");
    assert_eq!(outcomes["backup"], "ok");
    assert_eq!(outcomes["report"], "ok");
    let html = std::fs::read_to_string(prefix.join(format!("reports/report-{day2}.html"))).unwrap();
    assert!(html.contains("compute-forecasts") && html.contains("failed"));
    let alerts = std::fs::read_to_string(w.root.join("alerts.txt")).unwrap();
    assert_eq!(alerts.trim(), "compute-forecasts 1");

    // The unit files are valid for systemd where it can check them offline.
    match Command::new("systemd-analyze")
        .arg("verify")
        .arg(etc.join("systemd/system/systrade-daily.timer"))
        .arg(etc.join("systemd/system/systrade-backup.timer"))
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o) => eprintln!(
            "systemd-analyze verify did not pass here (no systemd running?); not checked: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("systemd-analyze not installed; unit files not verified"),
    }
}

/// Issue 14, the daily run through IB (`SYSTRADE_BROKER=ibkr`): the capital step records the
/// account's net liquidation value from the gateway before sizing, and place-orders sends the
/// day's orders to the gateway (the project's fake of the IB Client Portal Web API on 127.0.0.1,
/// every testdata instrument mapped to a symbol it synthesises).
#[test]
fn a_day_trading_through_ib_records_capital_from_the_gateway_and_sends_orders_there() {
    use systrade_ibkr::fakes::{FakeGateway, FakeGatewayConfig};
    let w = setup();
    let instruments = ["COPPER", "CORN", "EUROSTX", "GOLD", "US10", "VIX"];
    let mut ibkr = String::from(
        "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n",
    );
    for i in instruments {
        ibkr.push_str(&format!("{i},{i},CME,USD,,1,FALSE\n"));
    }
    std::fs::write(w.data.join("config/ibkr.csv"), ibkr).unwrap();
    // +4 % on the 500,000 set by hand: inside the 10 % guard, applied at once
    let fake = FakeGateway::start(FakeGatewayConfig {
        net_liquidation: 520_000.0,
        ..FakeGatewayConfig::standard()
    });
    let day = DAYS[0];
    let files = contract_files();
    let stage = w.root.join("stage");
    write_rows(&files, &stage, CUTOFF, day);

    let mut c = Command::new("bash");
    c.arg(repo().join("scripts/daily"));
    w.env(&mut c);
    c.env("SYSTRADE_RUN_DATE", day)
        .env("SYSTRADE_BROKER", "ibkr")
        .env("SYSTRADE_IBKR_URL", fake.base_url())
        .env_remove("SYSTRADE_IBKR_ACCOUNT");
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let outcomes = latest_outcomes(&w.db(), day);
    for s in ["capital-from-broker", "size-positions", "place-orders"] {
        assert_eq!(
            outcomes.get(s).map(String::as_str),
            Some("ok"),
            "step {s}: {stderr}"
        );
    }
    // the gateway's account value is recorded (the first one is the base later moves compound
    // from, so the capital set by hand stays what size-positions used)
    let shown = w
        .cmd("run-step")
        .args(["capital", "show", "--format", "csv", "-q"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.lines().any(|l| l.contains(",520000.00,")),
        "the account value from the gateway: {shown}"
    );
    assert!(fake.stats().ssodh_inits >= 1, "the session is initialised");
    assert!(
        fake.stats().submissions > 0,
        "the day's orders went to the gateway: {stderr}"
    );
}
