use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = roll_contracts::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| roll_contracts::run(&args)),
    )
}
