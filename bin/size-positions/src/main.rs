fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        size_positions::command(),
        |a: &size_positions::Args| &a.common,
        size_positions::run,
    )
}
