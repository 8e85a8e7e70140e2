fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        roll_contracts::command(),
        |a: &roll_contracts::Args| &a.common,
        roll_contracts::run,
    )
}
