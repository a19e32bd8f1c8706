//! Fuzz targets for the chapter readers: ID3v2 `CHAP`/`CTOC` frames and Podcasting 2.0 JSON
//! chapter files, both written by strangers. The driver (shared with earmark-core's fuzz targets)
//! says how to run longer and how a failure becomes a fixture.

use earmark_test_support::fuzz;

use std::path::{Path, PathBuf};

use earmark_core::chapters;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

/// ID3v2.4 sizes are "syncsafe": seven bits a byte.
fn syncsafe(n: usize) -> [u8; 4] {
    [
        (n >> 21) as u8 & 0x7f,
        (n >> 14) as u8 & 0x7f,
        (n >> 7) as u8 & 0x7f,
        n as u8 & 0x7f,
    ]
}

fn frame(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut f = id.to_vec();
    f.extend_from_slice(&syncsafe(body.len()));
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(body);
    f
}

/// A tag with a table of contents and two chapters, each with a title and a link.
fn id3_seed() -> Vec<u8> {
    let chap = |id: &str, start_ms: u32, end_ms: u32, title: &str| {
        let mut body = id.as_bytes().to_vec();
        body.push(0);
        body.extend_from_slice(&start_ms.to_be_bytes());
        body.extend_from_slice(&end_ms.to_be_bytes());
        body.extend_from_slice(&[0xff; 8]);
        let mut tit2 = vec![3];
        tit2.extend_from_slice(title.as_bytes());
        body.extend(frame(b"TIT2", &tit2));
        let mut wxxx = vec![3, 0];
        wxxx.extend_from_slice(b"https://example.org/chapter");
        body.extend(frame(b"WXXX", &wxxx));
        frame(b"CHAP", &body)
    };
    let mut toc = b"toc\0".to_vec();
    toc.push(0x03);
    toc.push(2);
    toc.extend_from_slice(b"c1\0c2\0");
    let mut frames = frame(b"CTOC", &toc);
    frames.extend(chap("c1", 0, 60_000, "Intro"));
    frames.extend(chap("c2", 60_000, 120_000, "Main part"));
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend_from_slice(&syncsafe(frames.len()));
    tag.extend(frames);
    tag
}

#[test]
fn the_id3_seed_holds_two_chapters() {
    let found = chapters::from_id3_bytes(&id3_seed()).expect("chapters");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1].title, "Main part");
}

#[test]
fn fuzz_id3_chapters() {
    let dict: &[&[u8]] = &[
        b"CHAP",
        b"CTOC",
        b"TIT2",
        b"APIC",
        b"\xff\xff\xff\xff",
        b"\x7f\x7f\x7f\x7f",
        b"ID3\x03\x00\x80",
    ];
    fuzz::fuzz(
        "id3",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &[id3_seed()],
        dict,
        |bytes| {
            if let Ok(found) = chapters::from_id3_bytes(bytes) {
                for c in found {
                    assert!(c.start_secs.is_finite() && c.start_secs >= 0.0, "{c:?}");
                    assert!(c.title.chars().count() <= 500, "{c:?}");
                }
            }
        },
    );
}

#[test]
fn fuzz_json_chapters() {
    let seeds = vec![
        br#"{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":61.5,"endTime":120,"title":"Main","url":"https://example.org/","img":"https://example.org/a.jpg"},{"startTime":130,"toc":false}]}"#.to_vec(),
    ];
    let dict: &[&[u8]] = &[
        b"{\"startTime\":",
        b"1e308",
        b"-1",
        b"NaN",
        b"[",
        b"{",
        b"\"javascript:x\"",
        b"\\u0000",
    ];
    fuzz::fuzz(
        "json-chapters",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &fixtures(),
        &seeds,
        dict,
        |bytes| {
            if let Ok(found) = chapters::from_json(bytes) {
                for c in found {
                    assert!(c.start_secs.is_finite() && c.start_secs >= 0.0, "{c:?}");
                    assert!(
                        c.url
                            .as_deref()
                            .is_none_or(|u| u.to_ascii_lowercase().starts_with("http")),
                        "{c:?}"
                    );
                }
            }
        },
    );
}
