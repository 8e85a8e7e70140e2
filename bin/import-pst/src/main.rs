fn main() -> std::process::ExitCode {
    systrade_cli::docs::main(
        import_pst::command(),
        |a: &import_pst::Args| &a.common,
        import_pst::run,
    )
}
