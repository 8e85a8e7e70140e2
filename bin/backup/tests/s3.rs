//! `backup` against an S3-compatible server (moto, started by `scripts/s3-test-server`).
//! Runs when `SYSTRADE_TEST_S3_ENDPOINT` is set (e.g. `http://127.0.0.1:9777`); skips otherwise.

mod common;

use common::*;
use systrade_backup::s3::{Credentials, S3Config, S3Store};
use systrade_backup::store::ObjectStore;

const KEY_ID: &str = "systrade-test";
const SECRET: &str = "systrade-test-secret";

fn endpoint() -> Option<String> {
    match std::env::var("SYSTRADE_TEST_S3_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e),
        _ => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "SKIPPED s3_create_list_verify_restore_prune: SYSTRADE_TEST_S3_ENDPOINT is not set \
                     (start a local server with `eval \"$(scripts/s3-test-server start)\"`)"
                );
            }
            None
        }
    }
}

fn s3_backup(data: &std::path::Path, url: &str, endpoint: &str) -> assert_cmd::Command {
    let mut cmd = backup(data, url);
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("AWS_SESSION_TOKEN");
    cmd
}

#[test]
fn s3_create_list_verify_restore_prune() {
    let Some(endpoint) = endpoint() else {
        return;
    };
    let bucket = format!(
        "systrade-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let store = S3Store::new(S3Config {
        bucket: bucket.clone(),
        prefix: "backups/prod".into(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.clone()),
        credentials: Credentials {
            access_key_id: KEY_ID.into(),
            secret_access_key: SECRET.into(),
            session_token: None,
        },
    })
    .unwrap();
    store.create_bucket().unwrap();
    let url = format!("s3://{bucket}/backups/prod");

    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 10, 40_000);
    let victim = data.join("prices/adjusted/I004.parquet");

    // Upload: three backups, the data changing in between.
    for round in 0..3u64 {
        if round > 0 {
            std::fs::write(&victim, bytes(4_000 + round, 41_000)).unwrap();
        }
        let mut cmd = s3_backup(&data, &url, &endpoint);
        cmd.arg("create");
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{out}{err}");
    }
    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.args(["list", "--format", "json"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let backups: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(backups.len(), 3);
    assert_eq!(backups[0]["files"], 32);
    assert!(backups[2]["new_blobs"].as_u64().unwrap() <= 2);
    // Objects live under the prefix.
    let keys = store.list("blobs/").unwrap();
    assert!(keys.len() >= 32, "{}", keys.len());

    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.arg("verify");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verify: ok: 3 backups"), "{out}");

    let to = tmp.path().join("restored");
    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert_restored_equals_source(&data, &to);

    // Prune: keep the newest; the blob only older backups used is deleted.
    let old_sha = sha256_hex(&bytes(4_001, 41_000));
    let old_key = format!("blobs/{}/{old_sha}", &old_sha[..2]);
    assert!(store.get_bytes(&old_key).unwrap().is_some());
    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.args(["prune", "--keep-last", "1"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept 1 backups, removed 2"), "{out}");
    assert!(store.get_bytes(&old_key).unwrap().is_none());
    assert!(store.list("locks/").unwrap().is_empty());
    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.arg("verify");
    assert_eq!(run(cmd).0, 0);

    // A corrupted and a missing object are detected.
    let sha = sha256_hex(&std::fs::read(data.join("prices/contracts/I007.parquet")).unwrap());
    let key = format!("blobs/{}/{sha}", &sha[..2]);
    let mut content = store.get_bytes(&key).unwrap().unwrap();
    content[100] ^= 0x80;
    store.put_bytes(&key, &content).unwrap();
    let sha2 = sha256_hex(&std::fs::read(data.join("config/instruments.csv")).unwrap());
    store
        .delete(&format!("blobs/{}/{sha2}", &sha2[..2]))
        .unwrap();
    let mut cmd = s3_backup(&data, &url, &endpoint);
    cmd.arg("verify");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 4, "{out}");
    // Each problem is logged on stderr, the summary is on stdout.
    assert!(out.contains("verify: 2 problems"), "{out}");
    assert!(
        err.lines()
            .any(|l| l.contains("prices/contracts/I007.parquet") && l.contains("corrupt")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("config/instruments.csv") && l.contains("missing")),
        "{err}"
    );

    // Credentials come from the environment only: without them, a clear error.
    let mut cmd = backup(&data, &url);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .arg("list");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1);
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
}
