//! The `kqlite` binary: a thin shell over `cli::main`.

/// mimalloc keeps freed pages for reuse: scans and aggregations allocate and free large buffers batch after
/// batch, which glibc malloc hands back to the kernel and faults in again (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kqlite::exec::no_huge_pages();
    kqlite::cli::main()
}
