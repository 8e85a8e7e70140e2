use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = place_orders::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| place_orders::run(&args)),
    )
}
