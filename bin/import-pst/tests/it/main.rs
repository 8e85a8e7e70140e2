//! Integration tests of `import-pst`: they run the real binary.

#![allow(clippy::print_stderr)] // tests report timings and skips on stderr

mod catalogue;
mod common;
mod ib_config;
mod kill;
mod lock;
mod malformed;
mod pst_data;
mod synthetic;
