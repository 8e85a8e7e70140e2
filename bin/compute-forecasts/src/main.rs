fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        compute_forecasts::command(),
        |a: &compute_forecasts::Args| &a.common,
        compute_forecasts::run,
    )
}
