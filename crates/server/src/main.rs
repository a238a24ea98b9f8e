//! The `lyceum` binary: everything lives in the `lyceum_server` library.

fn main() -> std::process::ExitCode {
    lyceum_server::main()
}
