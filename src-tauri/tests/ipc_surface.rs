//! The IPC surface is named in four places that must agree: the handlers registered in `main.rs`
//! (`generate_handler!`), the command list `build.rs` gives Tauri (which makes one `allow-*`
//! permission per command), the grants in `capabilities/default.json`, and the calls in
//! `ui/src/backend.ts`. A command missing from any of them either cannot be called or is granted
//! without a handler; this fails naming the difference. A fifth list, the isolation hook's
//! (`ui/isolation/index.js`), names each command with the arguments the window passes it, and must
//! match `backend.ts` argument for argument.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The text between `open` and the next `close` after it.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("{open:?} not found")) + open.len();
    let len = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("{close:?} not found after {open:?}"));
    &text[start..start + len]
}

/// Every `"..."` string in `text`.
fn quoted(text: &str) -> impl Iterator<Item = &str> {
    text.split('"').skip(1).step_by(2)
}

fn handlers() -> BTreeSet<String> {
    let main = read("src/main.rs");
    between(&main, "generate_handler![", "]")
        .split(',')
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| p.rsplit("::").next().unwrap_or(p).to_owned())
        .collect()
}

fn manifest() -> BTreeSet<String> {
    let build = read("build.rs");
    quoted(between(&build, "AppManifest::new().commands(&[", "]"))
        .map(str::to_owned)
        .collect()
}

fn capabilities() -> BTreeSet<String> {
    let caps = read("capabilities/default.json");
    quoted(between(&caps, "\"permissions\"", "]"))
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

fn ui_calls() -> BTreeSet<String> {
    let backend = read("../ui/src/backend.ts");
    backend
        .split("call<")
        .skip(1)
        // `call<Type>("command", …)`: the definition `call<T>(cmd: string, …)` has no quote there.
        .filter_map(|after| {
            let open = after.find("(\"")?;
            (!after[..open].contains('\n')).then(|| quoted(&after[open..]).next().map(str::to_owned))?
        })
        .collect()
}

/// Each `call<T>("command", { a, b: c })` of `backend.ts`: the command and its argument names.
fn ui_call_args() -> BTreeMap<String, BTreeSet<String>> {
    let backend = read("../ui/src/backend.ts");
    let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for after in backend.split("call<").skip(1) {
        let Some(open) = after.find("(\"") else { continue };
        if after[..open].contains('\n') {
            continue;
        }
        let rest = &after[open + 2..];
        let Some(close) = rest.find('"') else { continue };
        let names = calls.entry(rest[..close].to_owned()).or_default();
        let rest = rest[close + 1..].trim_start();
        let Some(object) = rest
            .strip_prefix(',')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('{'))
        else {
            continue;
        };
        // Up to the object's closing brace; the arguments are names or `name: value`, never nested.
        let object = &object[..object.find('}').unwrap_or(object.len())];
        for part in object.split(',') {
            let name = part.split(':').next().unwrap_or_default().trim();
            if !name.is_empty() {
                names.insert(name.to_owned());
            }
        }
    }
    calls
}

/// The isolation hook's `COMMAND_ARGS`: one `["command", ["arg", …]],` per line.
fn isolation_args() -> BTreeMap<String, BTreeSet<String>> {
    let hook = read("../ui/isolation/index.js");
    between(&hook, "const COMMAND_ARGS = new Map([", "]);")
        .lines()
        .filter_map(|line| {
            let mut names = quoted(line);
            let command = names.next()?.to_owned();
            Some((command, names.map(str::to_owned).collect()))
        })
        .collect()
}

#[test]
fn the_isolation_hook_lets_through_exactly_what_the_window_sends() {
    let ui = ui_call_args();
    let hook = isolation_args();
    assert!(hook.len() > 20, "could not read COMMAND_ARGS: {hook:?}");
    assert_eq!(
        hook.keys().collect::<Vec<_>>(),
        handlers().iter().collect::<Vec<_>>(),
        "the isolation hook's commands differ from main.rs's generate_handler!"
    );
    for (command, args) in &ui {
        assert_eq!(
            hook.get(command),
            Some(args),
            "ui/isolation/index.js lets {command} through with other arguments than backend.ts passes"
        );
    }
}

#[test]
fn the_four_lists_of_commands_agree() {
    let handlers = handlers();
    assert!(handlers.len() > 20, "could not read generate_handler!: {handlers:?}");
    for (name, other) in [
        ("build.rs's AppManifest", manifest()),
        ("capabilities/default.json", capabilities()),
        ("ui/src/backend.ts", ui_calls()),
    ] {
        let missing: Vec<_> = handlers.difference(&other).collect();
        let extra: Vec<_> = other.difference(&handlers).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name} disagrees with main.rs's generate_handler!: missing {missing:?}, not registered {extra:?}"
        );
    }
}

/// Commands that run on the main thread: each touches neither the library nor the disk (a channel
/// send, a mutex read, handing a URL to the desktop). Anything else must be `async`, so it runs
/// off the thread that draws the window.
const SYNC_ALLOWED: [&str; 3] = ["open_link", "player_command", "startup_link"];

#[test]
fn commands_that_reach_the_library_or_the_disk_are_async() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sync = BTreeSet::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("src").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("a source file");
        for after in text.split("#[tauri::command]").skip(1) {
            seen += 1;
            let sig = after.trim_start();
            let sig = sig.strip_prefix("pub ").unwrap_or(sig);
            if let Some(rest) = sig.strip_prefix("fn ") {
                sync.insert(rest.split('(').next().unwrap_or_default().trim().to_owned());
            }
        }
    }
    assert_eq!(
        seen,
        handlers().len(),
        "every registered command has a #[tauri::command] in src/"
    );
    let allowed: BTreeSet<String> = SYNC_ALLOWED.iter().map(|s| (*s).to_owned()).collect();
    let unexpected: Vec<_> = sync.difference(&allowed).collect();
    assert!(
        unexpected.is_empty(),
        "these commands run on the main thread; make them async (or, if they touch neither the library nor the disk, list them in SYNC_ALLOWED): {unexpected:?}"
    );
}
