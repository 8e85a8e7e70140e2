use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = backup::Args::parse();
    systrade_cli::finish(systrade_cli::init_logging(&args.common).and_then(|()| backup::run(&args)))
}
