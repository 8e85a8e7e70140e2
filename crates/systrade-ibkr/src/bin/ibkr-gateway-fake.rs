//! Runs the fake IB Client Portal gateway on 127.0.0.1 by hand or for scripts/bench-orders: prints
//! its API base URL on stdout, then serves until killed. It lists the standard market
//! (`FakeGatewayConfig::standard`: crude-style monthly CL, quarterly ES, ZC quoted in dollars for a
//! `priceMagnifier` of 100); every other symbol it is asked for gets monthly futures 2020–2035;
//! nobody needs to log in, the brokerage session starts with `ssodh/init` as
//! with the real gateway.
//!
//! `--port N` (default 0 = any free port), `--tls` (HTTPS with a self-signed certificate, as the
//! real gateway: clients must be told to accept it), `--fill immediate|hold|partial:N`.

use systrade_ibkr::fakes::{FakeGateway, FakeGatewayConfig, FillPlan};

const USAGE: &str = "usage: ibkr-gateway-fake [--port N] [--tls] [--fill immediate|hold|partial:N]";

fn main() -> std::process::ExitCode {
    let mut port = 0u16;
    let mut tls = false;
    let mut plan = FillPlan::Immediate;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    let usage = || {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{USAGE}");
        }
        std::process::ExitCode::from(2)
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--tls" => tls = true,
            "--port" => match it.next().and_then(|v| v.parse().ok()) {
                Some(p) => port = p,
                None => return usage(),
            },
            "--fill" => {
                plan = match it.next().map(String::as_str) {
                    Some("immediate") => FillPlan::Immediate,
                    Some("hold") => FillPlan::Hold,
                    Some(p) if p.starts_with("partial:") => match p["partial:".len()..].parse() {
                        Ok(n) if n > 0 => FillPlan::Partial(n),
                        _ => return usage(),
                    },
                    _ => return usage(),
                }
            }
            _ => return usage(),
        }
    }
    let fake = FakeGateway::start_on(
        port,
        tls,
        FakeGatewayConfig {
            fill_plan: plan,
            ..FakeGatewayConfig::standard()
        },
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{}", fake.base_url());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
