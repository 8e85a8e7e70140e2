fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        backtest::command(),
        |a: &backtest::Args| &a.common,
        backtest::run,
    )
}
