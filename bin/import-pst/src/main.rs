use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = import_pst::Args::parse();
    systrade_cli::finish(
        systrade_cli::init_logging(&args.common).and_then(|()| import_pst::run(&args)),
    )
}
