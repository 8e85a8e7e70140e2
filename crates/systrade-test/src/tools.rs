//! Running the workspace's real binaries from a test: building them (in the profile of the running
//! test) and a data directory made from `testdata/` by the tools themselves.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's binaries, built.
#[derive(Debug, Clone)]
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    /// Builds `tools` (package = binary name) with the cargo and profile of the running test, and
    /// returns where they are. A no-op when `cargo test --workspace` has built them already.
    pub fn build(tools: &[&str]) -> Self {
        // the test runs from target/<profile>/deps/<test>
        let exe = std::env::current_exe().expect("the test's path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps")
            .to_path_buf();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(crate::workspace_root())
            .args(["build", "-q", "--bins"]);
        for t in tools {
            cmd.args(["-p", t]);
        }
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "building {tools:?} failed");
        Self { dir }
    }

    /// The path of tool `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A command for tool `name`, without inherited `SYSTRADE_*` settings that would change it.
    pub fn cmd(&self, name: &str) -> Command {
        let mut c = Command::new(self.path(name));
        for var in ["SYSTRADE_DATA", "SYSTRADE_LOG", "SYSTRADE_RUN_DATE"] {
            c.env_remove(var);
        }
        c
    }

    /// Fills `data` from `testdata/`: `import-pst` (configuration, FX and contract prices), then
    /// `roll-contracts calendar`, `multiple` and `adjust`, and the example system config as
    /// `config/system.yaml`. Panics with the tool's stderr when a step fails.
    pub fn testdata_data_dir(&self, data: &Path) {
        let root = crate::workspace_root();
        let run = |mut c: Command| {
            let out = c
                .env("SYSTRADE_DATA", data)
                .args(["--no-progress", "-q"])
                .output()
                .expect("running a tool");
            assert_ok(&out);
        };
        let mut import = self.cmd("import-pst");
        import.arg(root.join("testdata"));
        run(import);
        for sub in ["calendar", "multiple", "adjust"] {
            let mut c = self.cmd("roll-contracts");
            c.arg(sub);
            run(c);
        }
        std::fs::copy(
            root.join("crates/systrade-config/examples/system.yaml"),
            data.join("config/system.yaml"),
        )
        .expect("copying the example system config");
    }
}

/// Panics with the exit code and stderr unless `out` succeeded.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}
