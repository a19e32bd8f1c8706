//! Transcripts fetched from a fixture server on 127.0.0.1: the best offer is chosen, good SRT,
//! WebVTT and JSON files are stored with their cues, and a damaged file or a 404 stores nothing
//! (an older good transcript stays). Cue text is searchable with its time.

use earmark_test_support::http;

use std::time::Duration;

use chrono::{DateTime, Utc};
use earmark_core::feed::{ParsedFeed, ParsedItem};
use earmark_core::fetch::Fetcher;
use earmark_core::model::{EpisodeId, Podcast20, SearchKind, Transcript};
use earmark_core::transcript::{best_offer, ensure_transcript, TranscriptFormat};
use earmark_core::{search, Error, FetchError, Library};
use http::{Reply, Server};

const SRT: &str = "1\n00:00:01,000 --> 00:00:04,000\nWelcome to the show.\n\n2\n00:00:04,000 --> 00:00:09,500\nToday we talk about kinship care.\n";
const VTT: &str = "WEBVTT\n\n00:00.500 --> 00:03.000\n<v Ann>Hello from the VTT file.\n\n00:03.000 --> 00:07.000\n<v Bob>Special guardianship explained.\n";
const JSON: &str = r#"{"version":"1.0.0","segments":[
  {"speaker":"Ann","startTime":0.0,"endTime":2.0,"body":"Hello from JSON."},
  {"speaker":"Bob","startTime":62.5,"endTime":66.0,"body":"Residence orders matter."}]}"#;

fn t() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

fn fetcher() -> Fetcher {
    Fetcher::with_timeout(Duration::from_secs(3)).expect("client")
}

fn offer(url: String, mime: Option<&str>) -> Transcript {
    Transcript {
        url,
        mime_type: mime.map(str::to_owned),
        language: Some("en".into()),
        rel: None,
    }
}

/// A library with one episode offering `offers`.
fn library(offers: Vec<Transcript>) -> (tempfile::TempDir, Library, EpisodeId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(dir.path()).expect("open");
    offer_in_feed(&mut lib, offers);
    let ep = lib.episodes(None).expect("eps")[0].id;
    (dir, lib, ep)
}

/// Stores (or refreshes) the test feed, its one episode offering `offers`.
fn offer_in_feed(lib: &mut Library, offers: Vec<Transcript>) {
    // The feed sits on the user's own network, like the fixture server it names.
    let (id, _) = lib.add_podcast("http://127.0.0.1:9/feed", "Show", t()).expect("add");
    let feed = ParsedFeed {
        title: "Show".into(),
        items: vec![ParsedItem {
            guid: "e1".into(),
            title: "Episode one".into(),
            podcast20: Podcast20 {
                transcripts: offers,
                ..Podcast20::default()
            },
            ..ParsedItem::default()
        }],
        ..ParsedFeed::default()
    };
    lib.store_feed(id, &feed, t()).expect("store");
}

#[test]
fn each_good_format_is_fetched_parsed_and_stored() {
    let server = Server::start();
    server.set("/t.srt", Reply::ok(SRT).header("Content-Type", "application/x-subrip"));
    server.set("/t.vtt", Reply::ok(VTT).header("Content-Type", "text/vtt"));
    server.set("/t.json", Reply::ok(JSON).header("Content-Type", "application/json"));
    for (path, mime, first_text, speaker, format) in [
        (
            "/t.srt",
            Some("application/srt"),
            "Welcome to the show.",
            None,
            TranscriptFormat::Srt,
        ),
        (
            "/t.vtt",
            Some("text/vtt"),
            "Hello from the VTT file.",
            Some("Ann"),
            TranscriptFormat::Vtt,
        ),
        ("/t.json", None, "Hello from JSON.", Some("Ann"), TranscriptFormat::Json),
    ] {
        let (_d, mut lib, ep) = library(vec![offer(server.url(path), mime)]);
        let cues = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect(path);
        assert_eq!(cues.len(), 2, "{path}");
        assert_eq!(cues[0].text, first_text);
        assert_eq!(cues[0].speaker.as_deref(), speaker);
        let stored = lib.stored_transcript(ep).expect("stored").expect("some");
        assert_eq!((stored.format, stored.cues), (format, 2));
        assert_eq!(stored.url, server.url(path));
        assert_eq!(stored.fetched_at, "2023-11-14T22:13:20Z");
        assert!(lib.transcript_raw(ep).expect("raw").expect("some").len() > 20);
        assert_eq!(lib.transcript_cues(ep).expect("cues"), cues);
    }
    // Stored transcripts are not fetched again unless asked.
    let before = server.requests_to("/t.json").len();
    let (_d, mut lib, ep) = library(vec![offer(server.url("/t.json"), Some("application/json"))]);
    ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect("first");
    ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect("stored");
    assert_eq!(server.requests_to("/t.json").len(), before + 1);
    ensure_transcript(&mut lib, &fetcher(), ep, true, t()).expect("refresh");
    assert_eq!(server.requests_to("/t.json").len(), before + 2);
}

#[test]
fn the_best_offer_is_fetched() {
    let server = Server::start();
    server.set("/t.json", Reply::ok(JSON));
    let offers = vec![
        offer(server.url("/t.html"), Some("text/html")),
        offer(server.url("/t.srt"), Some("application/x-subrip")),
        offer(server.url("/t.json"), Some("application/json")),
        offer(server.url("/t.vtt"), Some("text/vtt")),
    ];
    assert_eq!(best_offer(&offers).map(|(_, f)| f), Some(TranscriptFormat::Json));
    assert_eq!(best_offer(&offers[..2]).map(|(_, f)| f), Some(TranscriptFormat::Srt));
    assert_eq!(best_offer(&[offer("https://x/t".into(), Some("audio/mpeg"))]), None);
    let (_d, mut lib, ep) = library(offers);
    ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect("json");
    let paths: Vec<String> = server.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/t.json"]);
}

#[test]
fn cues_at_a_time_and_in_the_search() {
    let server = Server::start();
    server.set("/t.json", Reply::ok(JSON));
    let (_d, mut lib, ep) = library(vec![offer(server.url("/t.json"), Some("application/json"))]);
    ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect("json");
    let at = |s: f64| lib.transcript_cue_at(ep, s).expect("at").map(|c| c.text);
    assert_eq!(at(1.0).as_deref(), Some("Hello from JSON."));
    assert_eq!(at(0.0).as_deref(), Some("Hello from JSON."));
    assert_eq!(at(30.0), None, "between lines");
    assert_eq!(at(63.0).as_deref(), Some("Residence orders matter."));
    assert_eq!(at(66.0), None, "the end is exclusive");
    let hits = search::search(&lib, "residence", 10).expect("search");
    let hit = hits
        .iter()
        .find(|h| h.kind == SearchKind::Transcript)
        .expect("transcript hit");
    assert_eq!((hit.id, hit.episode_id, hit.at_secs), (ep.0, Some(ep), Some(62.5)));
    assert_eq!(hit.title, "Episode one");
    assert!(
        hit.snippet.contains("[Residence]") && hit.snippet.starts_with("Bob:"),
        "{}",
        hit.snippet
    );
    // Two matching lines in one episode give one hit, at the better line.
    let hits = search::search(&lib, "from", 10).expect("search");
    assert_eq!(hits.iter().filter(|h| h.kind == SearchKind::Transcript).count(), 1);
}

#[test]
fn a_damaged_file_or_a_404_stores_nothing_and_keeps_the_older_transcript() {
    let server = Server::start();
    server.set("/good.srt", Reply::ok(SRT));
    server.set("/bad.srt", Reply::ok("1\n00:00:01,000 --> 00:00:0x,000\nbroken\n"));
    server.set("/bad.json", Reply::ok("{\"segments\": [{\"startTime\": 1, \"bo"));
    server.set("/binary.vtt", Reply::ok(vec![0u8, 159, 146, 150, 0, 1]));
    // /missing.srt has no route: 404.

    // Nothing stored before: nothing stored after.
    for (path, mime, code) in [
        ("/bad.srt", "application/x-subrip", "transcript_corrupt"),
        ("/bad.json", "application/json", "transcript_corrupt"),
        ("/binary.vtt", "text/vtt", "transcript_corrupt"),
        ("/missing.srt", "application/x-subrip", "http_status"),
    ] {
        let (_d, mut lib, ep) = library(vec![offer(server.url(path), Some(mime))]);
        let err = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect_err(path);
        assert_eq!(err.code(), code, "{path}: {err}");
        assert_eq!(lib.stored_transcript(ep).expect("stored"), None, "{path}");
        assert!(lib.transcript_cues(ep).expect("cues").is_empty());
    }
    let (_d, mut lib, ep) = library(vec![offer(server.url("/bad.srt"), Some("application/x-subrip"))]);
    let err = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect_err("bad");
    assert_eq!(
        err.to_string(),
        "the srt transcript is damaged: line 2: unreadable timing \"00:00:01,000 --> 00:00:0x,000\""
    );
    let (_d, mut lib, ep) = library(vec![offer(server.url("/missing.srt"), Some("application/x-subrip"))]);
    assert!(matches!(
        ensure_transcript(&mut lib, &fetcher(), ep, false, t()),
        Err(Error::Fetch(FetchError::Status { status: 404, .. }))
    ));

    // A good transcript, then the feed points at a damaged one: the good one stays whole.
    let (dir, mut lib, ep) = library(vec![offer(server.url("/good.srt"), Some("application/x-subrip"))]);
    let good = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect("good");
    offer_in_feed(&mut lib, vec![offer(server.url("/bad.json"), Some("application/json"))]);
    let err = ensure_transcript(&mut lib, &fetcher(), ep, true, t()).expect_err("damaged");
    assert_eq!(err.code(), "transcript_corrupt");
    assert_eq!(lib.transcript_cues(ep).expect("cues"), good);
    let stored = lib.stored_transcript(ep).expect("stored").expect("kept");
    assert_eq!(
        (stored.format, stored.url),
        (TranscriptFormat::Srt, server.url("/good.srt"))
    );
    assert_eq!(search::search(&lib, "kinship", 5).expect("search").len(), 1);
    drop(dir);
}

#[test]
fn an_episode_without_transcripts_says_so() {
    let (_d, mut lib, ep) = library(Vec::new());
    let err = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect_err("none");
    assert_eq!(err.code(), "no_transcript");
    let (_d, mut lib, ep) = library(vec![offer("http://127.0.0.1:9/t.pdf".into(), Some("application/pdf"))]);
    let err = ensure_transcript(&mut lib, &fetcher(), ep, false, t()).expect_err("unsupported");
    assert_eq!(err.code(), "transcript_unsupported");
    assert!(err.to_string().contains("application/pdf"), "{err}");
    let err = ensure_transcript(&mut lib, &fetcher(), EpisodeId(999), false, t()).expect_err("no episode");
    assert_eq!(err.code(), "not_found");
}
