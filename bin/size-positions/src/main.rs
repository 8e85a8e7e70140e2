use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = size_positions::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| size_positions::run(&args)),
    )
}
