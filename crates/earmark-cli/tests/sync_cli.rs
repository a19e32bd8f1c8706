//! `earmark-cli sync` against a real podsync on 127.0.0.1: login from the environment's password,
//! the JSON of `sync --json` and `sync status --json` (a contract), and a clear failure when the
//! server is gone, with the change kept.

use earmark_test_support::cli::sealed;
use earmark_test_support::http;
mod support;
use earmark_test_support::gpodder;

use std::path::Path;
use std::process::{Command, Output};

use gpodder::{Podsync, PASSWORD, USER};
use http::{Reply, Server};
use support::{json, keys, set};

fn cli(lib: &Path, secrets: &Path) -> Command {
    let mut c = sealed(env!("CARGO_BIN_EXE_earmark-cli"), lib);
    c.env("EARMARK_HTTP_TIMEOUT_SECS", "3")
        .env("EARMARK_SECRETS_DIR", secrets)
        .env("EARMARK_KEYRING", "off");
    c
}

fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run earmark-cli")
}

#[test]
fn sync_json_contract_and_a_server_gone() {
    let podsync = Podsync::start();
    let feeds = Server::start();
    let base = feeds.base();
    feeds.set("/feed.xml", Reply::one_episode_feed(&base));
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, secrets) = (dir.path().join("lib"), dir.path().join("secrets"));

    // No password anywhere: a clear refusal, nothing stored.
    let out = run(cli(&lib, &secrets), &["sync", "login", &podsync.url(), "--user", USER]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut login = cli(&lib, &secrets);
    login.env("EARMARK_SYNC_PASSWORD", PASSWORD);
    let account = json(
        login,
        &[
            "sync",
            "login",
            &podsync.url(),
            "--user",
            USER,
            "--device",
            "cli-test",
            "--json",
        ],
    );
    assert_eq!(keys(&account), set(&["server", "user", "device", "flavour"]));
    assert_eq!(account["flavour"], "gpodder");
    assert_eq!(account["device"], "cli-test");

    let out = run(cli(&lib, &secrets), &["subscribe", &feeds.url("/feed.xml")]);
    assert!(out.status.success());
    let report = json(cli(&lib, &secrets), &["sync", "--json"]);
    assert_eq!(
        keys(&report),
        set(&[
            "sent",
            "received",
            "positions_moved",
            "played_changed",
            "unmatched",
            "queued",
            "failed_subscriptions",
            "requests"
        ])
    );
    assert_eq!(
        keys(&report["sent"]),
        set(&["subscriptions_added", "subscriptions_removed", "actions"])
    );
    assert_eq!(report["sent"]["subscriptions_added"], 1);
    assert_eq!(report["queued"], 0);

    let status = json(cli(&lib, &secrets), &["sync", "status", "--json"]);
    assert_eq!(
        keys(&status),
        set(&[
            "account",
            "last_sync",
            "last_error",
            "pending_subscriptions",
            "pending_actions",
            "unmatched"
        ])
    );
    assert!(status["last_sync"].is_string());

    // The server goes away: the sync fails in words, and an unsubscribe waits for the next one.
    drop(podsync);
    let out = run(cli(&lib, &secrets), &["unsubscribe", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(cli(&lib, &secrets), &["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not be reached") && err.contains("kept"), "{err}");
    let status = json(cli(&lib, &secrets), &["sync", "status", "--json"]);
    assert_eq!(status["pending_subscriptions"], 1);
    assert!(status["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("could not be reached")));
}
