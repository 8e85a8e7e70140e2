//! Integration tests: `fetch-prices` runs as a process against files in a temporary directory, the
//! fake IB Client Portal gateway and the fake CSV server (127.0.0.1, ephemeral ports).

mod catalogue;
mod common;
mod csv_source;
mod http_source;
mod ibkr_source;
mod testdata;

#[test]
fn no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem != "main"
        {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/it/{name} is not a module"
            );
        }
    }
}
