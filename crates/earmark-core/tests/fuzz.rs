//! Fuzz targets for everything that reads what strangers write: the feed parser, the HTML cleaners
//! and page extractor, the transcript parsers, the URL normalisers and library import (see
//! `earmark_test_support::fuzz` for the driver, its settings and how a failure becomes a fixture). Each target
//! asserts more than "no panic" where a property is cheap to state: sanitised HTML holds no script.

use earmark_test_support::fuzz;

use std::path::{Path, PathBuf};

use earmark_core::chrono::{TimeZone, Utc};
use earmark_core::transcript::TranscriptFormat;
use earmark_core::{backup, docs, feed, html, link, Library};
use url::Url;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

/// Every file of the feed corpus with this extension.
fn corpus(ext: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/podcastparser");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

const XML_TOKENS: &[&[u8]] = &[
    b"<item>",
    b"</item>",
    b"<rss version=\"2.0\"><channel>",
    b"<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    b"<entry>",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
    b"&amp;",
    b"&#x1F600;",
    b"&#0;",
    b"<enclosure url=\"file:///etc/passwd\"/>",
    b"<guid>",
    b"<podcast:transcript url=\"http://127.0.0.1/\"/>",
    b"<itunes:duration>99:99:99</itunes:duration>",
    b"<pubDate>Mon, 31 Feb 2099 25:61:61 +9999</pubDate>",
    b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    b"\xef\xbb\xbf",
];

const HTML_TOKENS: &[&[u8]] = &[
    b"<div>",
    b"</div>",
    b"<table><tr><td>",
    b"<b><i><u>",
    b"<p>",
    b"<li>",
    b"<script>alert(1)</script>",
    b"<img src=x onerror=alert(1)>",
    b"<a href=\"javascript:alert(1)\">",
    b"<svg><script>",
    b"<math><mi><mglyph><style>",
    b"<!--",
    b"-->",
    b"<template>",
    b"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    b"<iframe srcdoc=\"<script>",
    b"<form><button formaction=javascript:x>",
    b"&lt;script&gt;",
];

#[test]
fn fuzz_feed_parser() {
    let mut seeds = corpus("rss");
    seeds.extend(corpus("xml"));
    seeds.push(
        b"<rss version=\"2.0\"><channel><title>t</title><item><guid>g</guid><title>i</title></item></channel></rss>"
            .to_vec(),
    );
    let base = Url::parse("https://feeds.example/show.xml").expect("base");
    let local = Url::parse("file:///home/me/feed.xml").expect("base");
    fuzz::fuzz(
        "feed",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        XML_TOKENS,
        |bytes| {
            if let Ok(parsed) = feed::parse(bytes, &base) {
                // A remote feed never yields a local file, whatever its bytes.
                for i in &parsed.items {
                    assert!(!i.enclosure_url.as_deref().is_some_and(|u| u.starts_with("file:")));
                }
            }
            let _ = feed::parse(bytes, &local);
        },
    );
}

#[test]
fn fuzz_html_cleaners_and_page_extractor() {
    let seeds: Vec<Vec<u8>> = vec![
        b"<p>Hello <b>world</b> <a href=\"/x\">link</a></p><ul><li>one<li>two</ul>".to_vec(),
        b"<!doctype html><html><head><title>T</title></head><body><article><h1>T</h1><p>Body text here.</p></article></body></html>".to_vec(),
        b"<div><div><div><p>deep</p></div></div></div><script>x<y</script><style>p{}</style>".to_vec(),
        b"plain text notes\n\nwith paragraphs & ampersands < and >".to_vec(),
    ];
    let base = Url::parse("https://blog.example/2024/01/post/").expect("base");
    fuzz::fuzz(
        "html",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        HTML_TOKENS,
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            for clean in [html::sanitize(&text), docs::clean::clean_fragment(&text, &base)] {
                let lower = clean.to_ascii_lowercase();
                assert!(!lower.contains("<script"), "script survived: {clean}");
                assert!(!lower.contains("javascript:"), "javascript: survived: {clean}");
            }
            let _ = html::to_text(&text);
            let _ = html::title_text(&text);
            let _ = docs::page::extract(&text, &base);
        },
    );
}

#[test]
fn fuzz_transcript_parsers() {
    let seeds: Vec<Vec<u8>> = vec![
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Anna>Hello there\n\n00:02.500 --> 00:04.000\nNext\n".to_vec(),
        b"1\n00:00:01,000 --> 00:00:02,000\nFirst line\n\n2\n00:00:02,000 --> 00:00:03,000\nSecond\n".to_vec(),
        br#"{"version":"1.0.0","segments":[{"speaker":"A","startTime":0.5,"endTime":1.5,"body":"Hi"}]}"#.to_vec(),
        b"<cite>Anna:</cite><time>0:05</time><p>Hello there</p>".to_vec(),
        b"Just words\nof a transcript".to_vec(),
    ];
    let dict: &[&[u8]] = &[
        b" --> ",
        b"99:99:99.999",
        b"-1:00:00,000",
        b"WEBVTT",
        b"<v ",
        b"{\"segments\":[",
        b"\"startTime\":1e308,",
        b"NaN",
        b"<time>",
    ];
    let formats = [
        TranscriptFormat::Json,
        TranscriptFormat::Vtt,
        TranscriptFormat::Srt,
        TranscriptFormat::Html,
        TranscriptFormat::Text,
    ];
    fuzz::fuzz(
        "transcript",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        dict,
        |bytes| {
            for f in formats {
                if let Ok(cues) = earmark_core::transcript::parse::parse(f, bytes) {
                    for c in cues {
                        assert!(c.start_secs.is_finite(), "{f:?}: {c:?}");
                    }
                }
            }
        },
    );
}

#[test]
fn fuzz_url_normalisers() {
    let seeds: Vec<Vec<u8>> = vec![
        b"https://www.Example.com/2024/01/post/?utm_source=x&p=1#top".to_vec(),
        b"https://anchor.fm/show/episodes/Title-e2abc".to_vec(),
        b"https://podcasts.apple.com/gb/podcast/x/id1505737900?i=1000612345678".to_vec(),
        b"https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=30".to_vec(),
        b"http://[::1]:8080/a/../b/./c".to_vec(),
    ];
    let dict: &[&[u8]] = &[
        b"%", b"%00", b"://", b"@", b"?", b"#", b"[", b"]", b"xn--", b"..", b"\\",
    ];
    fuzz::fuzz(
        "url",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        dict,
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            if let Some(n) = link::urls::normalize(&text) {
                // The normal form grows by no more than percent-encoding (three bytes for one) and
                // a port.
                assert!(n.len() <= 3 * text.len() + 8, "{n}");
            }
            let _ = link::hosts::episode_key(&text);
        },
    );
}

/// A small valid export as a `.tar`, to mutate.
fn export_tar(dir: &Path) -> Vec<u8> {
    let feed = dir.join("feed.xml");
    std::fs::write(
        &feed,
        r#"<rss version="2.0"><channel><title>Show</title><item><guid>a</guid><title>First</title></item></channel></rss>"#,
    )
    .expect("feed");
    let mut lib = Library::open(&dir.join("lib")).expect("library");
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("time");
    let url = Url::from_file_path(&feed).expect("url");
    let fetcher = earmark_core::fetch::Fetcher::new(Default::default()).expect("fetcher");
    earmark_core::resolve::subscribe(
        &mut lib,
        &earmark_core::resolve::Resolver::new(fetcher, url.clone()),
        url.as_str(),
        now,
    )
    .expect("subscribe");
    let tar = dir.join("export.tar");
    backup::export(&lib, &tar, now).expect("export");
    std::fs::read(&tar).expect("tar")
}

#[test]
fn fuzz_library_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = vec![export_tar(dir.path())];
    let work = tempfile::tempdir().expect("tempdir");
    let dict: &[&[u8]] = &[
        b"../",
        b"/dev/zero\0",
        b"manifest.json\0",
        b"media/",
        b"library.sqlite3\0",
        b"ustar\0",
    ];
    let n = std::cell::Cell::new(0u32);
    fuzz::fuzz(
        "import",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        dict,
        |bytes| {
            n.set(n.get() + 1);
            let round = work.path().join(format!("r{}", n.get()));
            std::fs::create_dir_all(&round).expect("round");
            let file = round.join("in.tar");
            std::fs::write(&file, bytes).expect("write");
            let target = round.join("lib");
            if backup::import(&file, &target).is_ok() {
                // What imports is a library that opens.
                Library::open(&target).expect("an imported library opens");
            }
            // Nothing appears beside the round's own files.
            let mut names: Vec<String> = std::fs::read_dir(&round)
                .expect("list")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "in.tar" && n != "lib")
                .collect();
            names.sort();
            assert!(names.is_empty(), "left behind: {names:?}");
            let _ = std::fs::remove_dir_all(&round);
        },
    );
    // Nothing was written outside the work folder's rounds.
    let stray: Vec<_> = std::fs::read_dir(work.path()).expect("list").flatten().collect();
    assert!(stray.is_empty(), "{} entries left in the work folder", stray.len());
}
