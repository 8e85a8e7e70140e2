use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = run_step::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| run_step::run(&args)),
    )
}
