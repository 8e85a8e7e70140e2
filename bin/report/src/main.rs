fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(report::command(), |a: &report::Args| &a.common, report::run)
}
