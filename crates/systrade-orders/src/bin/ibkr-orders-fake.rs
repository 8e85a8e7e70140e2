//! Runs the fake IB Client Portal order gateway on 127.0.0.1 (for scripts/bench-orders): prints
//! its base URL on stdout, then serves until killed. `--port N` (default 0 = any free port),
//! `--fill immediate|hold|partial:N`.

use systrade_orders::fake::{FakeIbkrOrders, FakeOrdersConfig, FillPlan};

fn main() -> std::process::ExitCode {
    let mut port = 0u16;
    let mut plan = FillPlan::Immediate;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--port", Some(v)) => port = v.parse().unwrap_or(0),
            ("--fill", Some(v)) => {
                plan = match v.as_str() {
                    "hold" => FillPlan::Hold,
                    p if p.starts_with("partial:") => {
                        FillPlan::Partial(p["partial:".len()..].parse().unwrap_or(2))
                    }
                    _ => FillPlan::Immediate,
                }
            }
            _ => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!(
                        "usage: ibkr-orders-fake [--port N] [--fill immediate|hold|partial:N]"
                    );
                }
                return std::process::ExitCode::from(2);
            }
        }
    }
    let fake = FakeIbkrOrders::start_on(
        port,
        FakeOrdersConfig {
            fill_plan: plan,
            ..FakeOrdersConfig::default()
        },
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{}", fake.url());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
