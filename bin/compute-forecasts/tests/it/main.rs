//! Integration tests: the real `compute-forecasts` process on real Parquet data directories.

#![allow(clippy::print_stderr)]

mod as_of;
mod bad_configs;
mod bad_inputs;
mod common;
mod cost_ceiling;
mod csv_output;
mod parity;
mod partial;
mod pooled;
mod rob_system;
mod smoke;
