//! The `kqlite` binary: a thin shell over `cli::main`.

fn main() -> std::process::ExitCode {
    kqlite::cli::main()
}
