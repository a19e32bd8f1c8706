//! Helpers the CLI's JSON-contract tests share.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// Runs the command with `args`, checks it succeeded, and reads its standard output as JSON.
pub fn json(mut cmd: Command, args: &[&str]) -> Value {
    let out = cmd.args(args).output().expect("run earmark-cli");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// An object's keys.
pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// A set of names, to compare with [`keys`].
pub fn set(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}
