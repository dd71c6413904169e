//! How soon the allocator hands freed memory back to the kernel while Parquet files are read.
//!
//! mimalloc v3 (the binary's allocator) purges freed pages 1 s after they were freed. A Parquet query of a few
//! hundred milliseconds frees decoded pages and slices batch after batch, and with a 1 s delay every page it
//! freed still counts in its peak: query 08 peaked at 109 MB (DuckDB 95), 15 at 90 MB (82). With 10 ms
//! (mimalloc v2's default) they peak at 93 and 81 MB, every Parquet query of the suite at or under DuckDB's
//! peak, for +3–6 % time. Text formats (NDJSON, CSV) keep the 1 s delay: they stream gigabytes through the
//! allocator, and faulting freed pages in again doubled NDJSON's page faults and cost +8 % time, where their
//! peak is half DuckDB's (benches/RESULTS.md, session 14).
//!
//! mimalloc schedules a purge with the delay in force when the first page is freed and purges every page freed
//! until then when it expires, so the new delay starts with a forced collection ([`parquet_decoding`]). A
//! delay set in the environment (`MIMALLOC_PURGE_DELAY`) is left alone, and in a process whose allocator is not
//! mimalloc nothing changes.

// mimalloc's own C API (mimalloc.h), exported by the library the `mimalloc` crate links; that crate declares
// these only behind its `extended` feature, which adds a crate for two C type aliases.
use mimalloc as _;
extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set_default(option: std::ffi::c_int, value: std::ffi::c_long);
    fn mi_collect(force: bool);
}

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (mimalloc.h).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// Its default there, in milliseconds.
const V3_DEFAULT: std::ffi::c_long = 1000;
const SHORT: std::ffi::c_long = 10;

/// A Parquet file is being decoded: from now on freed memory is purged after 10 ms, if the delay is v3's
/// default and not set in the environment (checking the default also guards against the option's number
/// meaning another option in another mimalloc). Once per process.
pub(crate) fn parquet_decoding() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain integers and a bool in and out; mimalloc range-checks the option, and a forced
        // collection only purges and frees memory no one holds.
        unsafe {
            if mi_option_get(MI_OPTION_PURGE_DELAY) == V3_DEFAULT {
                mi_option_set_default(MI_OPTION_PURGE_DELAY, SHORT);
                mi_collect(true);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Option 15 of the linked mimalloc has v3's purge-delay default, and reading Parquet sets it to 10 ms
    /// (a mimalloc whose numbering or default changed fails here instead of silently keeping 1 s).
    #[test]
    fn parquet_shortens_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        parquet_decoding();
        // SAFETY: as in parquet_decoding
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, SHORT);
    }
}
