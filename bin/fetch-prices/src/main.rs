use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = fetch_prices::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| fetch_prices::run(&args)),
    )
}
