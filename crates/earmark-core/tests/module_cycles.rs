//! No two top-level modules name each other, directly or round a loop, in the core, the player or
//! the app (ARCHITECTURE.md's invariant). A module is a file under `src/` or a folder there; an
//! edge is a `crate::name` outside test code. One exception: the core's `error` wraps the errors
//! its feature modules define (`#[from]`), which those modules then return, and that is the point.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each top-level module and the top-level modules it names.
fn graph(src: &Path, exempt: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let first = rel.components().next().expect("a path").as_os_str().to_string_lossy();
        let top = first.trim_end_matches(".rs").to_owned();
        if top == "lib" || top == "main" || exempt.contains(&top.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let names = g.entry(top.clone()).or_default();
        for part in code.split("crate::").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name != top && !name.is_empty() {
                names.insert(name);
            }
        }
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for names in g.values_mut() {
        names.retain(|n| known.contains(n));
    }
    g
}

/// The modules that can reach themselves again, each with the loop found.
fn loops(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for start in g.keys() {
        // Depth-first from `start`, keeping the path, until `start` comes round again.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in &g[&at] {
                if next == start {
                    found.push(format!("{} -> {start}", path.join(" -> ")));
                    stack.clear();
                    break;
                }
                if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

#[test]
fn no_module_cycles_in_the_core_the_player_or_the_app() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (src, exempt) in [
        ("crates/earmark-core/src", &["error"][..]),
        ("crates/earmark-player/src", &[][..]),
        ("src-tauri/src", &[][..]),
    ] {
        let g = graph(&root.join(src), exempt);
        assert!(g.len() > 3, "{src}: only {} modules found", g.len());
        let found = loops(&g);
        assert!(found.is_empty(), "{src} has import cycles:\n{}", found.join("\n"));
    }
}

#[test]
fn the_check_finds_a_loop() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &["a"][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
    .collect();
    let found = loops(&g);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.contains(&"a -> b -> c -> a".to_owned()), "{found:?}");
}
