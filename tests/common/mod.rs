//! What the integration tests of the `kqlite` binary share: running it and capturing what it printed.

// each test binary uses what it needs of this module
#![allow(dead_code, clippy::expect_used)]

use std::process::Command;

/// Exit code, stdout and stderr of one run.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `kqlite ARGS` (no colours) to the end.
pub fn kqlite(args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_kqlite")).args(args).env("NO_COLOR", "1").output().expect("run kqlite");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}
