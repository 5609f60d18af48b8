fn main() -> std::process::ExitCode {
    kejiyun_server::cli::main()
}
