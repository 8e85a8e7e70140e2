//! Integration tests of import-pst (being built).
