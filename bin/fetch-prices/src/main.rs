fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        fetch_prices::command(),
        |a: &fetch_prices::Args| &a.common,
        fetch_prices::run,
    )
}
