//! Bookmarks through the public API: CRUD with partial edits, every validation error, filters
//! and orders of the library-wide view, search hits, survival across refreshes and download
//! deletion, and export/import round trips of every format.

use chrono::{DateTime, Utc};
use earmark_core::bookmarks::export::{self, ExportDocument, CSV_HEADER};
use earmark_core::bookmarks::{
    Bookmark, BookmarkEdit, BookmarkError, BookmarkFilter, BookmarkId, BookmarkOrder, NewBookmark,
};
use earmark_core::feed::{ParsedFeed, ParsedItem};
use earmark_core::library::DB_FILE;
use earmark_core::model::{DownloadState, EpisodeId, SearchKind};
use earmark_core::{search, Error, Library};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
}

fn item(guid: &str, title: &str, duration: Option<f64>) -> ParsedItem {
    ParsedItem {
        guid: guid.into(),
        title: title.into(),
        duration_secs: duration,
        enclosure_url: Some(format!("https://media.example/{guid}.mp3")),
        published: Some(t(0)),
        ..ParsedItem::default()
    }
}

/// A library with two podcasts: "Alpha" (episodes a1 of 1 h, a2 of unknown length) and "Beta" (b1, 30 min).
fn library() -> (tempfile::TempDir, Library, Vec<EpisodeId>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(dir.path()).expect("open");
    fill(&mut lib);
    let ids = filled_ids(&lib);
    (dir, lib, ids)
}

/// The ids of a1, a2 and b1 in a library [`fill`] filled.
fn filled_ids(lib: &Library) -> Vec<EpisodeId> {
    let episodes = lib.episodes(None).expect("eps");
    ["a1", "a2", "b1"]
        .iter()
        .map(|g| episodes.iter().find(|c| c.guid == *g).expect("ep").id)
        .collect()
}

fn fill(lib: &mut Library) {
    for (url, title, items) in [
        (
            "https://alpha.example/feed",
            "Alpha",
            vec![item("a1", "Alpha one", Some(3600.0)), item("a2", "Alpha two", None)],
        ),
        (
            "https://beta.example/feed",
            "Beta",
            vec![item("b1", "Beta one", Some(1800.0))],
        ),
    ] {
        let (id, _) = lib.add_podcast(url, title, t(0)).expect("add");
        let feed = ParsedFeed {
            title: title.into(),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, t(0)).expect("store");
    }
}

fn new(ep: EpisodeId, start: f64, end: Option<f64>, title: &str, tags: &[&str]) -> NewBookmark {
    NewBookmark {
        episode_id: ep,
        start_secs: start,
        end_secs: end,
        title: title.into(),
        note: String::new(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
    }
}

/// Edits bookmark `id` at `t(at)` with the fields `change` sets: the edit tests read as what
/// changes, not as the struct around it.
fn edit(
    lib: &mut Library,
    id: BookmarkId,
    at: i64,
    change: impl FnOnce(&mut BookmarkEdit),
) -> earmark_core::Result<Bookmark> {
    let mut e = BookmarkEdit::default();
    change(&mut e);
    lib.edit_bookmark(id, &e, t(at))
}

fn count(lib: &Library) -> usize {
    lib.bookmarks(&BookmarkFilter::default()).expect("list").len()
}

fn bookmark_err(r: earmark_core::Result<impl std::fmt::Debug>) -> BookmarkError {
    match r {
        Err(Error::Bookmark(e)) => e,
        other => panic!("expected a bookmark error, got {other:?}"),
    }
}

#[test]
fn add_get_edit_delete() {
    let (_d, mut lib, eps) = library();
    let mut nb = new(
        eps[0],
        750.0,
        Some(785.0),
        "  The key moment ",
        &["Family", "court", "family", " "],
    );
    nb.note = "Worth keeping".into();
    let b = lib.add_bookmark(&nb, t(10)).expect("add");
    assert_eq!(b.body.title, "The key moment");
    assert_eq!((b.body.start_secs, b.body.end_secs), (750.0, Some(785.0)));
    assert_eq!(
        b.body.tags,
        ["court", "Family"],
        "deduplicated case-insensitively, sorted"
    );
    assert_eq!(b.body.created, "2023-11-14T22:13:30Z");
    assert_eq!(b.body.created, b.body.updated);
    assert_eq!(lib.bookmark(b.id).expect("get"), b);

    // A second bookmark reuses the tag whatever its case.
    let p = lib
        .add_bookmark(&new(eps[0], 10.0, None, "Point", &["FAMILY"]), t(20))
        .expect("add point");
    assert_eq!(p.body.end_secs, None);
    assert_eq!(p.body.tags, ["Family"], "the first spelling of a tag is kept");
    assert_eq!(lib.bookmark_tags().expect("tags"), ["court", "Family"]);

    // Partial edit: only the title changes.
    let e = edit(&mut lib, b.id, 30, |c| c.title = Some("Renamed".into())).expect("edit");
    assert_eq!(e.body.title, "Renamed");
    assert_eq!(
        (e.body.start_secs, e.body.end_secs, &e.body.note, &e.body.tags),
        (750.0, Some(785.0), &b.body.note, &b.body.tags)
    );
    assert_eq!(e.body.created, b.body.created);
    assert_eq!(e.body.updated, "2023-11-14T22:13:50Z");

    // Clear the end, move the start, replace tags.
    let e = edit(&mut lib, b.id, 40, |c| {
        c.start_secs = Some(800.0);
        c.clear_end = true;
        c.tags = Some(vec!["new".into()]);
    })
    .expect("edit");
    assert_eq!((e.body.start_secs, e.body.end_secs), (800.0, None));
    assert_eq!(e.body.tags, ["new"]);
    assert_eq!(e.body.title, "Renamed");
    // Point back to a segment.
    let e = edit(&mut lib, b.id, 50, |c| {
        c.end_secs = Some(812.5);
        c.note = Some("edited note".into());
    })
    .expect("edit");
    assert_eq!((e.body.end_secs, e.body.note.as_str()), (Some(812.5), "edited note"));

    lib.delete_bookmark(b.id).expect("delete");
    assert!(matches!(bookmark_err(lib.bookmark(b.id)), BookmarkError::NotFound(_)));
    assert!(matches!(
        bookmark_err(lib.delete_bookmark(b.id)),
        BookmarkError::NotFound(_)
    ));
    assert!(matches!(
        bookmark_err(lib.edit_bookmark(b.id, &BookmarkEdit::default(), t(60))),
        BookmarkError::NotFound(_)
    ));
    assert_eq!(count(&lib), 1);
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let (_d, mut lib, eps) = library();
    let cases: Vec<(NewBookmark, &str)> = vec![
        (new(eps[0], 100.0, Some(90.0), "x", &[]), "end_not_after_start"),
        (new(eps[0], 100.0, Some(100.0), "x", &[]), "end_not_after_start"),
        (new(eps[0], -1.0, None, "x", &[]), "bad_time"),
        (new(eps[0], 10.0, Some(-5.0), "x", &[]), "bad_time"),
        (new(eps[0], f64::NAN, None, "x", &[]), "bad_time"),
        (new(eps[0], 10.0, Some(f64::INFINITY), "x", &[]), "bad_time"),
        (new(eps[0], 3700.0, None, "x", &[]), "past_end"),
        (new(eps[0], 3500.0, Some(3602.0), "x", &[]), "past_end"),
        (new(eps[2], 1801.5, None, "x", &[]), "past_end"),
        (new(EpisodeId(9999), 1.0, None, "x", &[]), "unknown_episode"),
    ];
    for (nb, code) in cases {
        let err = lib.add_bookmark(&nb, t(0)).expect_err("refused");
        assert_eq!(err.code(), code, "{nb:?}: {err}");
    }
    assert_eq!(count(&lib), 0);
    let msg = lib
        .add_bookmark(&new(eps[0], 100.0, Some(90.0), "x", &[]), t(0))
        .expect_err("x")
        .to_string();
    assert_eq!(msg, "the end (0:01:30) must be after the start (0:01:40)");
    let msg = lib
        .add_bookmark(&new(eps[2], 1900.0, None, "x", &[]), t(0))
        .expect_err("x")
        .to_string();
    assert_eq!(msg, "start (0:31:40) is past the end of the episode (0:30:00)");

    // Within the last second of a rounded duration, and anywhere in an episode of unknown length.
    lib.add_bookmark(&new(eps[0], 3600.5, None, "x", &[]), t(0))
        .expect("last second");
    lib.add_bookmark(&new(eps[1], 99_999.0, None, "x", &[]), t(0))
        .expect("unknown length");

    // Edits are validated as a whole and leave the bookmark as it was when refused.
    let b = lib
        .add_bookmark(&new(eps[0], 100.0, Some(200.0), "seg", &["a"]), t(0))
        .expect("add");
    let err = edit(&mut lib, b.id, 5, |c| {
        c.start_secs = Some(250.0);
        c.title = Some("changed".into());
        c.tags = Some(vec!["b".into()]);
    })
    .expect_err("start after end");
    assert_eq!(err.code(), "end_not_after_start");
    let err = edit(&mut lib, b.id, 5, |c| c.end_secs = Some(4000.0)).expect_err("past end");
    assert_eq!(err.code(), "past_end");
    assert_eq!(lib.bookmark(b.id).expect("get"), b);
}

#[test]
fn the_view_filters_and_orders() {
    let (_d, mut lib, eps) = library();
    let mut nb = new(eps[0], 300.0, None, "Adoption hearing", &["court"]);
    nb.note = "the judge explains the process".into();
    let b1 = lib.add_bookmark(&nb, t(100)).expect("add");
    let b2 = lib
        .add_bookmark(&new(eps[0], 60.0, Some(90.0), "Intro", &["misc"]), t(200))
        .expect("add");
    let b3 = lib
        .add_bookmark(&new(eps[2], 5.0, None, "Beta start", &["Court"]), t(300))
        .expect("add");
    let b4 = lib
        .add_bookmark(&new(eps[1], 7.0, None, "Alpha two bit", &[]), t(400))
        .expect("add");
    // Every filter's list, checked against the windows the app loads it by.
    let ids = |f: BookmarkFilter| -> Vec<BookmarkId> {
        let all: Vec<BookmarkId> = lib
            .bookmarks(&f)
            .expect("list")
            .into_iter()
            .map(|r| r.bookmark.id)
            .collect();
        for (offset, limit) in [(0, 2), (1, 2), (3, 10), (9, 1)] {
            let w = lib.bookmark_window(&f, offset, limit).expect("window");
            let want: Vec<BookmarkId> = all.iter().skip(offset as usize).take(limit as usize).copied().collect();
            let got: Vec<BookmarkId> = w.items.iter().map(|r| r.bookmark.id).collect();
            assert_eq!((w.total, w.offset, got), (all.len() as u64, offset, want), "{f:?}");
        }
        all
    };
    assert_eq!(
        ids(BookmarkFilter::default()),
        [b4.id, b3.id, b2.id, b1.id],
        "newest first"
    );
    // By episode: podcast title, then episode (same date: by place in the feed), then start.
    assert_eq!(
        ids(BookmarkFilter {
            order: BookmarkOrder::Episode,
            ..BookmarkFilter::default()
        }),
        [b2.id, b1.id, b4.id, b3.id]
    );
    assert_eq!(
        ids(BookmarkFilter {
            episode_id: Some(eps[0]),
            ..BookmarkFilter::default()
        }),
        [b2.id, b1.id]
    );
    assert_eq!(
        ids(BookmarkFilter {
            tag: Some("COURT".into()),
            ..BookmarkFilter::default()
        }),
        [b3.id, b1.id]
    );
    assert!(ids(BookmarkFilter {
        tag: Some("nope".into()),
        ..BookmarkFilter::default()
    })
    .is_empty());
    // Words in the note, prefixes, case and accents aside.
    assert_eq!(
        ids(BookmarkFilter {
            query: Some("JUDGE expl".into()),
            ..BookmarkFilter::default()
        }),
        [b1.id]
    );
    assert_eq!(
        ids(BookmarkFilter {
            query: Some("court".into()),
            tag: Some("court".into()),
            ..BookmarkFilter::default()
        }),
        Vec::<BookmarkId>::new(),
        "tags are not text: no title or note says court"
    );
    assert_eq!(
        ids(BookmarkFilter {
            created_from: Some("2023-11-14T22:16:40Z".into()),
            created_to: Some("2023-11-14T23:18:21+01:00".into()),
            ..BookmarkFilter::default()
        }),
        [b3.id, b2.id],
        "from is inclusive, to exclusive"
    );
    assert_eq!(
        ids(BookmarkFilter {
            created_to: Some("2023-11-14T22:18:20Z".into()),
            ..BookmarkFilter::default()
        }),
        [b2.id, b1.id],
        "to is exclusive"
    );
    let err = lib
        .bookmarks(&BookmarkFilter {
            created_from: Some("yesterday".into()),
            ..BookmarkFilter::default()
        })
        .expect_err("bad date");
    assert_eq!(err.code(), "invalid");
    // Rows carry where they come from.
    let row = lib.bookmark_row(b3.id).expect("row");
    assert_eq!(
        (row.podcast_title.as_str(), row.episode_title.as_str()),
        ("Beta", "Beta one")
    );
    assert_eq!(row.uid.len(), 36);
}

#[test]
fn bookmarks_are_in_the_search_with_their_time() {
    let (_d, mut lib, eps) = library();
    let mut nb = new(eps[2], 754.2, None, "Guardianship", &[]);
    nb.note = "what a special guardian does".into();
    let b = lib.add_bookmark(&nb, t(0)).expect("add");
    let hits = search::search(&lib, "guardian", 10).expect("search");
    let hit = hits
        .iter()
        .find(|h| h.kind == SearchKind::Bookmark)
        .expect("a bookmark hit");
    assert_eq!(hit.id, b.id.0);
    assert_eq!(hit.title, "Guardianship");
    assert_eq!(hit.at_secs, Some(754.2));
    assert_eq!(hit.episode_id, Some(eps[2]));
    assert!(hit.snippet.contains("[guardian]"), "{}", hit.snippet);
    let json = serde_json::to_value(hit).expect("json");
    assert_eq!(json["kind"], "bookmark");
    assert_eq!(json["at_secs"], 754.2);
    // Edits and deletes follow in the index.
    edit(&mut lib, b.id, 1, |c| {
        c.title = Some("Renamed".into());
        c.note = Some("nothing here".into());
    })
    .expect("edit");
    assert!(search::search(&lib, "guardian", 10).expect("search").is_empty());
    assert_eq!(search::search(&lib, "renamed", 10).expect("search").len(), 1);
    lib.delete_bookmark(b.id).expect("delete");
    assert!(search::search(&lib, "renamed", 10).expect("search").is_empty());
    // Other hits say they have no time.
    let hits = search::search(&lib, "alpha", 10).expect("search");
    assert!(hits.iter().all(|h| h.at_secs.is_none()));
    assert_eq!(
        serde_json::to_value(&hits[0]).expect("json")["at_secs"],
        serde_json::Value::Null
    );
}

#[test]
fn bookmarks_survive_refreshes_and_download_deletion() {
    let (dir, mut lib, eps) = library();
    let b = lib
        .add_bookmark(&new(eps[0], 30.0, Some(40.0), "Keep me", &["k"]), t(0))
        .expect("add");
    // The download finishes, then is deleted.
    let (_, file) = lib.download_target(eps[0]).expect("target");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("media dir");
    std::fs::write(&file, b"audio").expect("file");
    lib.set_download(eps[0], DownloadState::Done, 5, Some(5), None, t(1))
        .expect("done");
    assert!(lib.delete_download(eps[0]).expect("delete download"));
    assert!(!file.exists());
    // The feed changes the episode, then drops it altogether.
    let alpha = lib
        .podcasts()
        .expect("podcasts")
        .into_iter()
        .find(|p| p.title == "Alpha")
        .expect("alpha");
    let mut changed = item("a1", "Alpha one, re-edited", Some(3000.0));
    changed.notes_raw = "new notes".into();
    for items in [
        vec![changed, item("a2", "Alpha two", None)],
        vec![item("a2", "Alpha two", None)],
    ] {
        let feed = ParsedFeed {
            title: "Alpha".into(),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(alpha.id, &feed, t(2)).expect("refresh");
    }
    assert_eq!(lib.bookmark(b.id).expect("still there"), b);
    drop(lib);
    let lib = Library::open(dir.path()).expect("reopen");
    assert_eq!(lib.bookmark(b.id).expect("after reopen"), b);
}

/// Two libraries with the same feeds (different row ids), one with bookmarks in it.
fn two_libraries() -> (tempfile::TempDir, Library, Library, Vec<EpisodeId>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = Library::open(&dir.path().join("a")).expect("a");
    let mut b = Library::open(&dir.path().join("b")).expect("b");
    // B gets an extra podcast first so its episode ids differ from A's.
    let (extra, _) = b
        .add_podcast("https://other.example/feed", "Other", t(0))
        .expect("extra");
    let feed = ParsedFeed {
        items: vec![item("o1", "Other one", None), item("o2", "Other two", None)],
        ..ParsedFeed::default()
    };
    b.store_feed(extra, &feed, t(0)).expect("store");
    fill(&mut a);
    fill(&mut b);
    let eps = filled_ids(&a);
    let mut nb = new(
        eps[0],
        750.0,
        Some(785.5),
        "Comma, \"quotes\" and *stars*",
        &["x", "Y z"],
    );
    nb.note = "Line one\nline two, with a comma\n- not a list".into();
    a.add_bookmark(&nb, t(10)).expect("add");
    a.add_bookmark(&new(eps[0], 12.25, None, "", &[]), t(20)).expect("add");
    a.add_bookmark(&new(eps[2], 0.0, Some(1.0), "Beta", &["x"]), t(30))
        .expect("add");
    (dir, a, b, eps)
}

/// What must survive a round trip, independent of row ids.
fn comparable(lib: &Library) -> Vec<String> {
    let doc: ExportDocument = serde_json::from_str(&export::to_json(lib, t(0)).expect("json")).expect("parse");
    let mut v: Vec<String> = doc
        .bookmarks
        .iter()
        .map(|b| serde_json::to_string(b).expect("json"))
        .collect();
    v.sort();
    v
}

#[test]
fn json_round_trip_twice_and_newer_wins() {
    let (_d, a, mut b, _) = two_libraries();
    let text = export::to_json(&a, t(1000)).expect("export");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["exported"], "2023-11-14T22:30:00Z");
    let first = &doc["bookmarks"][0];
    let keys: std::collections::BTreeSet<&str> = first.as_object().expect("obj").keys().map(String::as_str).collect();
    let want = "uid episode start_secs end_secs title note tags created updated";
    assert_eq!(keys, want.split(' ').collect());
    assert_eq!(first["episode"]["podcast_feed_url"], "https://alpha.example/feed");
    assert_eq!(first["episode"]["guid"], "a1");
    assert_eq!(first["episode"]["title"], "Alpha one");

    let r = export::import_json(&mut b, &text).expect("import");
    assert_eq!((r.added, r.updated, r.skipped), (3, 0, 0));
    assert!(r.missing_episodes.is_empty());
    assert_eq!(comparable(&b), comparable(&a), "round trip keeps everything");
    // The imported bookmarks are searchable and tagged in B.
    assert_eq!(
        search::search(&b, "stars", 5).expect("search")[0].kind,
        SearchKind::Bookmark
    );

    // Importing again adds nothing.
    let r = export::import_json(&mut b, &text).expect("again");
    assert_eq!((r.added, r.updated, r.skipped), (0, 0, 3));
    assert_eq!(count(&b), 3);

    // A newer copy replaces; an older one does not.
    let mut doc: ExportDocument = serde_json::from_str(&text).expect("doc");
    doc.bookmarks[0].body.title = "Newer title".into();
    doc.bookmarks[0].body.tags = vec!["only".into()];
    doc.bookmarks[0].body.updated = "2030-01-01T00:00:00+02:00".into();
    doc.bookmarks[1].body.title = "Older title".into();
    doc.bookmarks[1].body.updated = "2001-01-01T00:00:00Z".into();
    let r = export::import_json(&mut b, &serde_json::to_string(&doc).expect("json")).expect("newer");
    assert_eq!((r.added, r.updated, r.skipped), (0, 1, 2));
    let rows = b.bookmarks(&BookmarkFilter::default()).expect("list");
    let newer = rows.iter().find(|r| r.uid == doc.bookmarks[0].uid).expect("newer");
    assert_eq!(newer.bookmark.body.title, "Newer title");
    assert_eq!(newer.bookmark.body.tags, ["only"]);
    assert_eq!(newer.bookmark.body.updated, "2029-12-31T22:00:00Z", "stored in UTC");
    assert!(rows.iter().all(|r| r.bookmark.body.title != "Older title"));
}

#[test]
fn bookmarks_of_missing_episodes_are_reported() {
    let (_d, a, _b, _) = two_libraries();
    let text = export::to_json(&a, t(0)).expect("export");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Library::open(dir.path()).expect("c");
    let (id, _) = c.add_podcast("https://beta.example/feed", "Beta", t(0)).expect("add");
    let feed = ParsedFeed {
        items: vec![item("b1", "Beta one", None)],
        ..ParsedFeed::default()
    };
    c.store_feed(id, &feed, t(0)).expect("store");
    let r = export::import_json(&mut c, &text).expect("import");
    assert_eq!((r.added, r.updated, r.skipped), (1, 0, 0));
    assert_eq!(r.missing_episodes.len(), 1);
    let m = &r.missing_episodes[0];
    assert_eq!(
        (
            m.podcast_feed_url.as_str(),
            m.guid.as_str(),
            m.title.as_str(),
            m.bookmarks
        ),
        ("https://alpha.example/feed", "a1", "Alpha one", 2)
    );
}

#[test]
fn a_damaged_import_changes_nothing() {
    let (dir, a, mut b, _) = two_libraries();
    let text = export::to_json(&a, t(0)).expect("export");
    // One bookmark already in B, to see that nothing is replaced either.
    export::import_json(&mut b, &text).expect("import");
    let before = comparable(&b);

    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("doc");
    // A new bookmark first (it would import), then a bad one.
    let mut fresh = doc["bookmarks"][0].clone();
    fresh["uid"] = "00000000-0000-7000-8000-000000000001".into();
    let mut newer = doc["bookmarks"][1].clone();
    newer["updated"] = "2031-01-01T00:00:00Z".into();
    newer["title"] = "should not land".into();
    let mut bad_times = doc["bookmarks"][2].clone();
    bad_times["end_secs"] = serde_json::json!(-1.0);
    doc["bookmarks"] = serde_json::json!([fresh.clone(), newer.clone(), bad_times]);
    let bad_end = serde_json::to_string(&doc).expect("json");

    let mut dated = newer.clone();
    dated["created"] = "last tuesday".into();
    let mut bad_date = doc.clone();
    bad_date["bookmarks"] = serde_json::json!([fresh.clone(), dated]);
    let mut blank = newer.clone();
    blank["uid"] = "  ".into();
    let mut no_uid = doc.clone();
    no_uid["bookmarks"] = serde_json::json!([fresh.clone(), blank]);
    let mut future = doc.clone();
    future["version"] = 2.into();
    let mut wrong_type = doc.clone();
    wrong_type["bookmarks"][0]["start_secs"] = "12:30".into();

    let cases = [
        (text[..text.len() / 2].to_owned(), "not an Earmark bookmarks file"),
        ("".to_owned(), "not an Earmark bookmarks file"),
        ("[1, 2, 3]".to_owned(), "not an Earmark bookmarks file"),
        (bad_end, "bookmark 3"),
        (serde_json::to_string(&bad_date).expect("json"), "bookmark 2"),
        (serde_json::to_string(&no_uid).expect("json"), "no uid"),
        (serde_json::to_string(&future).expect("json"), "version 2"),
        (
            serde_json::to_string(&wrong_type).expect("json"),
            "not an Earmark bookmarks file",
        ),
    ];
    for (file, needle) in cases {
        let err = export::import_json(&mut b, &file).expect_err("refused");
        assert_eq!(err.code(), "bad_import", "{err}");
        let msg = err.to_string();
        assert!(msg.contains(needle) && msg.contains("nothing was changed"), "{msg}");
        assert_eq!(comparable(&b), before);
    }
    assert_eq!(count(&b), 3);
    drop(dir);
}

/// A strict RFC 4180 reader for checking the CSV export.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => assert_eq!(chars.next(), Some('\n'), "CRLF line ends"),
                '\n' => panic!("bare LF outside quotes"),
                c => field.push(c),
            }
            if c == '\r' {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "the file ends with a full row"
    );
    rows
}

#[test]
fn csv_parses_back_to_the_bookmarks() {
    let (_d, a, _b, _) = two_libraries();
    let text = export::to_csv(&a).expect("csv");
    let rows = parse_csv(&text);
    assert_eq!(rows[0], CSV_HEADER);
    assert_eq!(rows.len(), 4);
    let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).expect("column");
    let listed = a
        .bookmarks(&BookmarkFilter {
            order: BookmarkOrder::Episode,
            ..BookmarkFilter::default()
        })
        .expect("list");
    for (row, b) in rows[1..].iter().zip(&listed) {
        assert_eq!(row.len(), CSV_HEADER.len());
        assert_eq!(row[col("uid")], b.uid);
        assert_eq!(row[col("podcast")], b.podcast_title);
        assert_eq!(row[col("episode")], b.episode_title);
        assert_eq!(row[col("title")], b.bookmark.body.title);
        assert_eq!(row[col("note")], b.bookmark.body.note);
        assert_eq!(
            row[col("start_secs")].parse::<f64>().expect("secs"),
            b.bookmark.body.start_secs
        );
        assert_eq!(
            row[col("end_secs")].parse::<f64>().ok(),
            b.bookmark.body.end_secs,
            "empty end for a point"
        );
        let tags: Vec<String> = row[col("tags")]
            .split("; ")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(tags, b.bookmark.body.tags);
        assert_eq!(row[col("created")], b.bookmark.body.created);
        assert_eq!(row[col("updated")], b.bookmark.body.updated);
    }
    assert_eq!(rows[1][col("start")], "0:00:12");
    assert_eq!(rows[2][col("start")], "0:12:30");
    assert_eq!(rows[2][col("end")], "0:13:05");
    assert_eq!(rows[2][col("feed_url")], "https://alpha.example/feed");
    assert_eq!(rows[2][col("guid")], "a1");
    assert_eq!(rows[2][col("title")], "Comma, \"quotes\" and *stars*");
}

#[test]
fn markdown_groups_by_episode_with_linked_posts() {
    let (dir, a, _b, eps) = two_libraries();
    // Links are made by the linking engine; here by hand.
    let conn = rusqlite::Connection::open(dir.path().join("a").join(DB_FILE)).expect("db");
    conn.execute_batch(
        "INSERT INTO documents (id, kind, url, title, published_ts, fetched_at) VALUES \
         (1, 'post', 'https://blog.example/post one', 'A post [about] it', 200, 'x'), \
         (2, 'page', 'https://blog.example/page', 'The page', 100, 'x'), \
         (3, 'post', 'https://blog.example/rejected', 'Rejected', 300, 'x'), \
         (4, 'post', 'https://blog.example/suggested', 'Suggested', 300, 'x');",
    )
    .expect("documents");
    for (doc, state) in [(1, "accepted"), (2, "accepted"), (3, "rejected"), (4, "suggested")] {
        conn.execute(
            "INSERT INTO links (episode_id, document_id, kind, state, created_at, updated_at) VALUES (?1, ?2, 'manual', ?3, 'x', 'x')",
            rusqlite::params![eps[0].0, doc, state],
        )
        .expect("link");
    }
    drop(conn);
    let md = export::to_markdown(&a, t(0)).expect("md");
    let expected = "# Bookmarks

Exported from Earmark on 2023-11-14T22:13:20Z.

## Alpha: Alpha one

### 0:00:12 (untitled)

### 0:12:30–0:13:05 Comma, \"quotes\" and \\*stars\\*

Line one
line two, with a comma
\\- not a list

Tags: x, Y z

Posts and pages about this episode:

- [A post \\[about\\] it](https://blog.example/post%20one) (post)
- [The page](https://blog.example/page) (page)

## Beta: Beta one

### 0:00:00–0:00:01 Beta

Tags: x
";
    assert_eq!(md, expected);
}

#[test]
fn a_clip_request_says_what_to_cut_or_why_not() {
    let (_d, mut lib, eps) = library();
    let mut nb = new(eps[0], 12.5, Some(20.25), "Adoption hearing", &["court"]);
    nb.note = "the judge explains".into();
    let seg = lib.add_bookmark(&nb, t(0)).expect("add");
    let moment = lib
        .add_bookmark(&new(eps[0], 30.0, None, "  ", &[]), t(1))
        .expect("add");

    // Not on this computer yet: a typed refusal naming the episode.
    let err = lib.clip_request(seg.id, None).expect_err("not downloaded");
    assert_eq!(err.code(), "not_downloaded");
    assert!(err.to_string().contains("Alpha one"), "{err}");

    let (_, file) = lib.download_target(eps[0]).expect("target");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("media dir");
    std::fs::write(&file, b"audio").expect("file");
    lib.set_download(eps[0], DownloadState::Done, 5, Some(5), None, t(1))
        .expect("done");

    let clip = lib.clip_request(seg.id, None).expect("clip");
    assert_eq!(clip.source, file);
    assert_eq!((clip.start_secs, clip.end_secs), (12.5, 20.25));
    assert_eq!(clip.title.as_deref(), Some("Adoption hearing"));
    assert_eq!(clip.comment.as_deref(), Some("the judge explains"));
    assert_eq!(
        (clip.episode_title.as_str(), clip.podcast_title.as_str()),
        ("Alpha one", "Alpha")
    );
    assert_eq!(
        clip.file_name("flac"),
        format!("bookmark-{}-12500ms-20250ms.flac", seg.id.0)
    );

    // A moment needs an end; one given by the caller makes it a segment; a blank title is no title.
    let err = lib.clip_request(moment.id, None).expect_err("a moment");
    assert_eq!(err.code(), "not_a_segment");
    let clip = lib.clip_request(moment.id, Some(31.0)).expect("with an end");
    assert_eq!((clip.end_secs, clip.title, clip.comment), (31.0, None, None));
    let err = lib.clip_request(moment.id, Some(29.0)).expect_err("end before start");
    assert_eq!(err.code(), "end_not_after_start");
    assert_eq!(
        lib.clip_request(BookmarkId(9999), None).expect_err("none").code(),
        "not_found"
    );
}
