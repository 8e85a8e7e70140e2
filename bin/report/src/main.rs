use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = report::Args::parse();
    systrade_cli::finish(systrade_cli::init_logging(&args.common).and_then(|()| report::run(&args)))
}
