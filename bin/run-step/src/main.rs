fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        run_step::command(),
        |a: &run_step::Args| &a.common,
        run_step::run,
    )
}
