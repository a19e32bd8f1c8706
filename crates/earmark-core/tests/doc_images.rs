//! Archiving a document's images for offline reading, against a local server (127.0.0.1): a real
//! image is kept under a name Earmark makes and the page points at it; a 404, an HTML page posing
//! as an image and an SVG are reported and nothing is written for them; a second run fetches
//! nothing again.

use earmark_test_support::http;

use std::time::Duration;

use earmark_core::chrono::{TimeZone, Utc};
use earmark_core::docs::{self, images};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::Library;
use http::{Reply, Server};

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..4000u32).map(|i| (i % 251) as u8));
    v
}

#[test]
fn images_are_archived_and_the_page_points_at_them() {
    let server = Server::start();
    server.set(
        "/page",
        Reply::ok(
            r#"<!doctype html><html><head><title>Press Release</title></head><body><main><article>
            <h1>Press Release</h1><p>In Dad's Shoes launches with a walk and a photo exhibition of fathers and children.</p>
            <p><img src="/img/walk.png" alt="The walk" width="640" height="480"></p>
            <p><img src="/img/missing.png" alt="Gone" width="640" height="480"></p>
            <p><img src="/img/fake.png" alt="Not an image" width="640" height="480"></p>
            <p><img src="/img/logo.svg" alt="Logo" width="640" height="480"></p>
            <p>More words about the campaign so the page has a body worth keeping, and then some more.</p>
            </article></main></body></html>"#,
        )
        .header("Content-Type", "text/html; charset=utf-8"),
    );
    server.set("/img/walk.png", Reply::ok(png()).header("Content-Type", "image/png"));
    server.set("/img/missing.png", Reply::status(404));
    server.set(
        "/img/fake.png",
        Reply::ok("<html>not an image</html>").header("Content-Type", "image/png"),
    );
    server.set(
        "/img/logo.svg",
        Reply::ok("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")
            .header("Content-Type", "image/svg+xml"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(dir.path()).expect("library");
    let fetcher = Fetcher::new(FetchConfig {
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .expect("fetcher");
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("time");
    let out = docs::add_pages(&mut lib, &fetcher, &[server.url("/page")], None, now).expect("add page");
    let doc = out[0].document.as_ref().expect("the page").id;

    let report = images::archive_images(&mut lib, &fetcher, None, now).expect("archive");
    assert_eq!(report.fetched, 1, "{report:?}");
    assert_eq!(report.failed.len(), 3, "{report:?}");
    assert!(
        report
            .failed
            .iter()
            .any(|f| f.contains("missing.png") && f.contains("404")),
        "{report:?}"
    );
    assert!(report.failed.iter().any(|f| f.contains("fake.png")), "{report:?}");
    assert!(report.failed.iter().any(|f| f.contains("logo.svg")), "{report:?}");

    let files: Vec<String> = std::fs::read_dir(lib.doc_images_dir())
        .expect("folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "only the real image is kept: {files:?}");
    assert!(images::is_archive_name(&files[0]), "a name Earmark made: {}", files[0]);
    assert_eq!(
        std::fs::read(lib.doc_images_dir().join(&files[0])).expect("read"),
        png()
    );

    let html = lib.document_offline_html(doc).expect("offline html");
    assert!(html.contains(&format!("docimg://localhost/{}", files[0])), "{html}");
    assert!(!html.contains("/img/walk.png"), "the archived image is local: {html}");

    // A second run fetches nothing it already has.
    let before = server.requests_to("/img/walk.png").len();
    let again = images::archive_images(&mut lib, &fetcher, None, now).expect("again");
    assert_eq!((again.fetched, again.already), (0, 1));
    assert_eq!(server.requests_to("/img/walk.png").len(), before);
}
