//! `earmark-cli source add`, `sources`, `page add`, `docs --json` (the key contract), `doc`,
//! `campaigns`, `campaign add-episode|move|remove|show` and `tag`/`untag` against a fixture blog on 127.0.0.1.

use earmark_test_support::cli::sealed;
use earmark_test_support::http;
use earmark_test_support::wpsite;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use http::{Reply, Server};

fn cli(library: &Path, args: &[&str]) -> Output {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), library)
        .env("EARMARK_HTTP_TIMEOUT_SECS", "2")
        .args(args)
        .output()
        .expect("run earmark-cli")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn docs_json_has_exactly_the_contract_keys() {
    let server = Server::start();
    wpsite::mount(&server, Arc::new(Mutex::new(wpsite::generate(12, 1, 40))));
    server.set(
        "/in-dads-shoes/summary/",
        Reply::ok(
            "<html><head><title>Summary</title></head><body><nav>Menu</nav><article><h1>Summary</h1>\
             <p>The campaign in a paragraph long enough to be the main content of the page.</p></article></body></html>",
        )
        .header("Content-Type", "text/html"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path();

    let added = json(&cli(lib, &["source", "add", &server.url("/"), "--json"]));
    assert_eq!(added["new"], 13);
    assert_eq!(added["source"]["method"], "rest");
    let sources = json(&cli(lib, &["sources", "--json"]));
    assert_eq!(sources.as_array().map(Vec::len), Some(1));
    assert_eq!(sources[0]["document_count"], 13);

    // One good page and one 404: exit code 2, the good one kept, the failure explained.
    let missing = server.url("/in-dads-shoes/gone/");
    let out = cli(
        lib,
        &[
            "page",
            "add",
            &server.url("/in-dads-shoes/summary/"),
            &missing,
            "--campaign",
            "In Dad's Shoes",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(outcomes[0]["document"]["title"], "Summary");
    assert_eq!(outcomes[1]["error_code"], "http_status");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 pages"));

    let docs = json(&cli(lib, &["docs", "--json"]));
    let docs = docs.as_array().expect("array");
    assert_eq!(docs.len(), 14);
    for d in docs {
        let mut keys: Vec<&str> = d.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["campaign", "id", "kind", "published", "title", "url"]);
        assert!(d["kind"] == "post" || d["kind"] == "page");
        assert!(d["published"].is_null() || d["published"].as_str().is_some_and(|p| p.ends_with('Z')));
    }
    let in_campaign = json(&cli(lib, &["docs", "--campaign", "in dad's shoes", "--json"]));
    assert_eq!(in_campaign.as_array().map(Vec::len), Some(1));
    assert_eq!(in_campaign[0]["campaign"], "In Dad's Shoes");
    assert_eq!(in_campaign[0]["kind"], "page");
    let id = in_campaign[0]["id"].as_i64().expect("id");

    let doc = json(&cli(lib, &["doc", &id.to_string(), "--json"]));
    assert!(doc["html"]
        .as_str()
        .is_some_and(|h| h.contains("main content") && !h.contains("Menu")));

    let campaigns = json(&cli(lib, &["campaigns", "--json"]));
    assert_eq!(campaigns[0]["name"], "In Dad's Shoes");
    assert_eq!(campaigns[0]["document_count"], 1);

    let out = cli(lib, &["tag", "doc", &id.to_string(), "fathers", "press"]);
    assert!(out.status.success());
    let out = cli(lib, &["untag", "doc", &id.to_string(), "press"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Tags now: fathers"));
    let doc = json(&cli(lib, &["doc", &id.to_string(), "--json"]));
    assert_eq!(doc["tags"], serde_json::json!(["fathers"]));

    // Errors are clear and exit non-zero.
    let out = cli(lib, &["doc", "9999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("document 9999 not found"));
    let out = cli(lib, &["campaign", "add-episode", "In Dad's Shoes", "4242"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("episode 4242 not found"));
    let out = cli(lib, &["docs", "--campaign", "Nope", "--json"]);
    assert!(!out.status.success());

    // Search reports posts and pages by kind.
    let hits = json(&cli(lib, &["search", "campaign paragraph", "--json"]));
    assert_eq!(hits[0]["kind"], "page");

    // A campaign's order: a second page comes last, moves to the top, and the first one is taken out.
    server.set(
        "/in-dads-shoes/invitation/",
        Reply::ok(
            "<html><head><title>Invitation</title></head><body><article><h1>Invitation</h1>\
             <p>An invitation to walk a mile at the school gate, long enough to be the main content.</p></article></body></html>",
        )
        .header("Content-Type", "text/html"),
    );
    let out = cli(
        lib,
        &[
            "page",
            "add",
            &server.url("/in-dads-shoes/invitation/"),
            "--campaign",
            "In Dad's Shoes",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let order = |lib: &Path| -> Vec<i64> {
        let view = json(&cli(lib, &["campaign", "show", "In Dad's Shoes", "--json"]));
        view["documents"]
            .as_array()
            .map(|a| a.iter().filter_map(|d| d["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let both = order(lib);
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0], id);
    let second = both[1].to_string();
    let out = cli(
        lib,
        &["campaign", "move", "In Dad's Shoes", "doc", &second, "--to", "1"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(order(lib), [both[1], id]);
    let out = cli(lib, &["campaign", "remove", "In Dad's Shoes", "doc", &id.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(order(lib), [both[1]]);
    let out = cli(lib, &["campaign", "remove", "In Dad's Shoes", "doc", &id.to_string()]);
    assert!(!out.status.success());
    let out = cli(
        lib,
        &["campaign", "move", "In Dad's Shoes", "doc", &second, "--to", "0"],
    );
    assert!(!out.status.success(), "place 0 is refused");

    // A refresh with nothing new.
    let out = cli(lib, &["source", "refresh", "--json"]);
    let refreshed = json(&out);
    assert_eq!(refreshed[0]["new"], 0);
}
