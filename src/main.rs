//! The `kqlite` binary: a thin shell over `cli::main`.

/// mimalloc keeps freed pages for reuse: scans and aggregations allocate and free large buffers batch after
/// batch, which glibc malloc hands back to the kernel and faults in again (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    no_huge_pages();
    kqlite::cli::main()
}

/// Turns transparent huge pages off for the process (what `MIMALLOC_ALLOW_THP=0` does, which is read before
/// `main`): mimalloc marks its arena for huge pages, so a purged page touched again is faulted in and zeroed as
/// 2 MiB, and peak RSS counts whole huge pages. Measured on the 1M-row hunting suite (Parquet, THP `madvise`):
/// query 13 153 -> 116 MB and 0.14 -> 0.06 s of kernel time, query 02 127 -> 86 MB.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) takes no pointers and only sets a flag of this process;
    // an error (an old kernel) leaves huge pages as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}
