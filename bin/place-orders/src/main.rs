fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        place_orders::command(),
        |a: &place_orders::Args| &a.common,
        place_orders::run,
    )
}
