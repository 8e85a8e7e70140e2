use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = compute_forecasts::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| compute_forecasts::run(&args)),
    )
}
