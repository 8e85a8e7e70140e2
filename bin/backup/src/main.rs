fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(backup::command(), |a: &backup::Args| &a.common, backup::run)
}
