//! The shared archive: three libraries on one machine sharing one folder, concurrent edits of each
//! kind, files that arrive late, twice, half-written or damaged, and folders that vanish or come
//! from a newer Earmark.
#![allow(clippy::disallowed_methods)]

use earmark_test_support::http;

use std::path::{Path, PathBuf};

use earmark_core::bookmarks::{BookmarkEdit, BookmarkFilter, NewBookmark};
use earmark_core::chrono::{DateTime, Duration, Utc};
use earmark_core::docs::{CollectionMember, DocumentId};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::link::model::LinkState;
use earmark_core::model::{Changed, EpisodeId};
use earmark_core::resolve::{self, Resolver};
use earmark_core::{share, Library};
use http::{Reply, Server};
use tempfile::TempDir;

fn feed_server() -> Server {
    let server = Server::start();
    let base = server.base();
    let items: String = (1..=3)
        .map(|n| {
            format!(
                r#"<item><guid>ep-{n}</guid><title>Episode {n}</title><itunes:duration>1800</itunes:duration>
<enclosure url="{base}/ep{n}.mp3" type="audio/mpeg" length="1"/></item>"#
            )
        })
        .collect();
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Voice of the Child</title><link>https://example.invalid/</link><description>d</description>{items}</channel></rss>"#
        )),
    );
    server
}

struct Lib {
    _dir: TempDir,
    lib: Library,
    person: &'static str,
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc::now() + Duration::seconds(secs)
}

/// A library with the test feed and one post.
fn library(person: &'static str, feeds: &Server) -> Lib {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(&dir.path().join("lib")).expect("open");
    let resolver = Resolver::new(
        Fetcher::new(FetchConfig::default()).expect("fetcher"),
        url::Url::parse("http://127.0.0.1:9/").expect("url"),
    );
    resolve::subscribe(&mut lib, &resolver, &feeds.url("/feed.xml"), t(0)).expect("subscribe");
    lib.insert_document_for_tests(
        "post",
        "https://blog.example/children-in-care",
        "Children in care",
        None,
        "<p>x</p>",
    )
    .expect("post");
    Lib { _dir: dir, lib, person }
}

impl Lib {
    fn ep(&self, n: u32) -> EpisodeId {
        let eps = self.lib.episodes(None).expect("episodes");
        eps.iter()
            .find(|e| e.guid == format!("ep-{n}"))
            .map(|e| e.id)
            .expect("episode")
    }

    /// The one post each test library holds.
    fn post(&self) -> DocumentId {
        DocumentId(1)
    }

    fn sync(&mut self) -> share::ShareReport {
        share::sync(&mut self.lib, t(0)).unwrap_or_else(|e| panic!("{}: sync: {e}", self.person))
    }

    fn bookmarks(&self) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = self
            .lib
            .bookmarks(&BookmarkFilter::default())
            .expect("bookmarks")
            .into_iter()
            .map(|r| (r.uid, r.bookmark.body.title, r.bookmark.body.note))
            .collect();
        v.sort();
        v
    }

    fn add_bookmark(&mut self, title: &str, note: &str) -> EpisodeId {
        let ep = self.ep(2);
        self.lib
            .add_bookmark(
                &NewBookmark {
                    episode_id: ep,
                    start_secs: 60.0,
                    end_secs: Some(90.0),
                    title: title.into(),
                    note: note.into(),
                    tags: vec!["press".into()],
                },
                t(0),
            )
            .expect("bookmark");
        ep
    }

    fn only_bookmark(&self) -> earmark_core::bookmarks::BookmarkId {
        let rows = self.lib.bookmarks(&BookmarkFilter::default()).expect("bookmarks");
        assert_eq!(rows.len(), 1, "{}", self.person);
        rows[0].bookmark.id
    }

    fn link_state(&self) -> Option<LinkState> {
        self.lib
            .episode_links(self.ep(1))
            .expect("links")
            .first()
            .map(|l| l.state)
    }
}

/// A library with nothing in it yet (no subscription, no post) joining the archive in `folder`.
fn newcomer_joins(person: &'static str, folder: &Path) -> (Lib, share::ShareReport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Lib {
        lib: Library::open(&dir.path().join("lib")).expect("open"),
        _dir: dir,
        person,
    };
    let joined = share::join(&mut lib.lib, folder, person, t(0)).expect("join");
    (lib, joined)
}

/// Three libraries sharing one folder: Ann made it, Bea and Cal joined.
fn three(feeds: &Server) -> (TempDir, PathBuf, Lib, Lib, Lib) {
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("Shared/Researching Reform");
    let mut a = library("Ann", feeds);
    let mut b = library("Bea", feeds);
    let mut c = library("Cal", feeds);
    share::create(&mut a.lib, &folder, "Researching Reform", a.person, t(0)).expect("create");
    share::join(&mut b.lib, &folder, b.person, t(0)).expect("join B");
    share::join(&mut c.lib, &folder, c.person, t(0)).expect("join C");
    (root, folder, a, b, c)
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["changes", "snapshots"] {
        if let Ok(rd) = std::fs::read_dir(folder.join(sub)) {
            out.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_bookmark_made_in_one_library_reaches_the_others_with_its_author() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, mut c) = three(&feeds);
    a.add_bookmark("Judge on contact", "The key quote");
    let sent = a.sync();
    assert_eq!(sent.sent.bookmarks, 1, "{sent:?}");
    assert!(sent.file_written.is_some());
    let got = b.sync();
    assert_eq!(got.received.bookmarks, 1, "{got:?}");
    c.sync();
    assert_eq!(b.bookmarks(), a.bookmarks());
    assert_eq!(c.bookmarks(), a.bookmarks());
    let uid = &a.bookmarks()[0].0;
    let who = b
        .lib
        .share_authorship("bookmarks", uid)
        .expect("authorship")
        .expect("known");
    assert_eq!(who.by, "Ann");
    // Nothing new: nothing written, nothing received.
    let again = b.sync();
    assert_eq!(
        (
            again.sent.bookmarks,
            again.received.bookmarks,
            again.file_written.clone()
        ),
        (0, 0, None),
        "{again:?}"
    );
    // Subscriptions are shared too (all three have the same one).
    let status = c.lib.share_status().expect("status");
    assert_eq!(status.items.subscriptions, 1);
    assert!(!status.on_server, "a folder: {status:?}");
}

#[test]
fn two_people_editing_one_note_merge_as_text() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    a.add_bookmark("Quote", "The judge said contact matters.");
    a.sync();
    b.sync();
    // Offline, both edit the same note.
    let (ia, ib) = (a.only_bookmark(), b.only_bookmark());
    let edit = |note: &str| BookmarkEdit {
        note: Some(note.into()),
        ..BookmarkEdit::default()
    };
    a.lib
        .edit_bookmark(
            ia,
            &edit("The judge said contact matters. (Ann: use in the press pack)"),
            t(1),
        )
        .expect("edit A");
    b.lib
        .edit_bookmark(ib, &edit("Hearing 3: The judge said contact matters."), t(2))
        .expect("edit B");
    a.sync();
    b.sync();
    a.sync();
    let note = &a.bookmarks()[0].2;
    assert_eq!(
        note,
        "Hearing 3: The judge said contact matters. (Ann: use in the press pack)"
    );
    assert_eq!(b.bookmarks(), a.bookmarks());
}

#[test]
fn a_deleted_bookmark_edited_elsewhere_at_the_same_time_is_kept() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, mut c) = three(&feeds);
    a.add_bookmark("Quote", "first");
    a.sync();
    b.sync();
    let (ia, ib) = (a.only_bookmark(), b.only_bookmark());
    a.lib.delete_bookmark(ia).expect("delete on A");
    b.lib
        .edit_bookmark(
            ib,
            &BookmarkEdit {
                title: Some("Quote (keep)".into()),
                ..BookmarkEdit::default()
            },
            t(1),
        )
        .expect("edit on B");
    a.sync();
    b.sync();
    a.sync();
    c.sync();
    for l in [&a, &b, &c] {
        let v = l.bookmarks();
        assert_eq!(v.len(), 1, "{}: the edit keeps it", l.person);
        assert_eq!(v[0].1, "Quote (keep)");
    }
    // A delete that saw the edit is final.
    let id = a.only_bookmark();
    a.lib.delete_bookmark(id).expect("delete again");
    a.sync();
    b.sync();
    c.sync();
    assert!(b.bookmarks().is_empty() && c.bookmarks().is_empty());
}

#[test]
fn accept_here_and_reject_there_end_in_the_later_decision_with_both_in_history() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, mut c) = three(&feeds);
    let (ea, eb) = (a.ep(1), b.ep(1));
    let (pa, pb) = (a.post(), b.post());
    // Offline, Ann links the post by hand (accepted), Bea finds the same pair and rejects it later.
    a.lib.add_manual_link(ea, pa, None, t(10)).expect("link on A");
    b.lib.add_manual_link(eb, pb, None, t(15)).expect("link on B");
    b.lib.reject_link(eb, pb, t(20)).expect("reject on B");
    share::sync(&mut a.lib, t(10)).expect("sync A");
    share::sync(&mut b.lib, t(20)).expect("sync B");
    a.sync();
    c.sync();
    for l in [&a, &b, &c] {
        assert_eq!(l.link_state(), Some(LinkState::Rejected), "{}", l.person);
    }
    let feed = feeds.url("/feed.xml");
    let history = c
        .lib
        .share_decision_history(&feed, "ep-1", "https://blog.example/children-in-care")
        .expect("history");
    let states: Vec<&str> = history.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(states, ["accepted", "rejected"], "{history:?}");
    assert_eq!(history[0].1, "Ann");
    assert_eq!(history[1].1, "Bea");
    // Relinking never overrides the shared decision.
    c.lib
        .relink(&earmark_core::link::model::RelinkScope::All, t(30))
        .expect("relink");
    assert_eq!(c.link_state(), Some(LinkState::Rejected));
}

/// Ann writes two files of one bookmark each, the second building on the first, and the first is
/// then held back (still on its way to the others): where it waits, and its name in the folder.
fn two_files_the_first_late(a: &mut Lib, folder: &Path) -> (TempDir, PathBuf, String) {
    a.add_bookmark("One", "1");
    let first = a.sync().file_written.expect("a file");
    a.add_bookmark("Two", "2");
    a.sync();
    let hold = tempfile::tempdir().expect("tempdir");
    let held = hold.path().join("held");
    std::fs::rename(folder.join(&first), &held).expect("hold back");
    (hold, held, first)
}

#[test]
fn late_duplicated_half_written_and_damaged_files_never_damage_a_library() {
    let feeds = feed_server();
    let (_root, folder, mut a, mut b, _c) = three(&feeds);
    // The first file is late (still syncing to B's machine); the second arrives before it.
    let (_hold, held, first) = two_files_the_first_late(&mut a, &folder);
    let r = b.sync();
    assert!(r.skipped.iter().any(|s| s.contains("wait for earlier")), "{r:?}");
    assert_eq!(b.bookmarks().len(), 0, "nothing half-applied");
    // The first arrives half-written under its final name: skipped, nothing changes.
    let bytes = std::fs::read(&held).expect("read");
    std::fs::write(folder.join(&first), &bytes[..bytes.len() / 2]).expect("half");
    let r = b.sync();
    assert!(r.skipped.iter().any(|s| s.contains("not whole")), "{r:?}");
    assert_eq!(b.bookmarks().len(), 0);
    // Whole at last, plus a duplicate copy under another tool's name and a damaged file.
    std::fs::write(folder.join(&first), &bytes).expect("whole");
    std::fs::write(folder.join("changes/copy of file.amc"), &bytes).expect("duplicate");
    let junk = b"this is not an automerge change".to_vec();
    let junk_name = format!("changes/{:032x}.amc", xxhash_rust::xxh3::xxh3_128(&junk));
    std::fs::write(folder.join(&junk_name), &junk).expect("junk");
    let r = b.sync();
    assert!(r.skipped.iter().any(|s| s.contains("not an archive file")), "{r:?}");
    assert_eq!(b.bookmarks().len(), 2, "{r:?}");
    assert_eq!(b.bookmarks(), a.bookmarks());
}

#[test]
fn a_vanished_foreign_or_newer_folder_stops_sharing_and_changes_nothing() {
    let feeds = feed_server();
    let (root, folder, mut a, _b, _c) = three(&feeds);
    a.add_bookmark("Kept", "here");
    let moved = root.path().join("elsewhere");
    std::fs::rename(&folder, &moved).expect("unmount");
    let err = share::sync(&mut a.lib, t(0)).expect_err("folder gone");
    assert_eq!(err.code(), "folder_gone", "{err}");
    assert_eq!(a.bookmarks().len(), 1);
    assert!(a
        .lib
        .share_status()
        .expect("status")
        .last_error
        .is_some_and(|e| e.contains("not there")));
    std::fs::rename(&moved, &folder).expect("back");
    a.sync();
    // A newer Earmark rewrote the description.
    std::fs::write(
        folder.join("earmark-share.json"),
        r#"{"format": 9, "id": "x", "name": "n"}"#,
    )
    .expect("newer");
    let err = share::sync(&mut a.lib, t(0)).expect_err("newer");
    assert_eq!(err.code(), "format_too_new");
    // A folder that is not an archive cannot be joined.
    let mut d = library("Dee", &feeds);
    let err = share::join(&mut d.lib, root.path(), d.person, t(0)).expect_err("foreign");
    assert_eq!(err.code(), "foreign_folder");
    assert!(!d.lib.share_status().expect("status").shared);
}

#[test]
fn compaction_removes_only_what_a_snapshot_covers() {
    let feeds = feed_server();
    let (_root, folder, mut a, mut b, _c) = three(&feeds);
    for i in 0..5 {
        a.add_bookmark(&format!("B{i}"), "n");
        a.sync();
    }
    b.sync();
    // B writes a change A has not merged yet: compaction on A must leave it.
    b.add_bookmark("From Bea", "n");
    b.sync();
    let before = files(&folder).len();
    let removed = share::compact(&mut a.lib, t(0)).expect("compact");
    let after = files(&folder);
    assert!(
        removed > 0 && after.len() < before,
        "{removed} removed, {} → {}",
        before,
        after.len()
    );
    // Bea writes again while nobody has merged it: the next compaction leaves that file.
    b.add_bookmark("Late", "n");
    let late = b.sync().file_written.expect("file");
    let snapshot_only = files(&folder);
    assert!(snapshot_only.iter().any(|p| p.ends_with(&late)));
    // A new library joining after compaction gets everything.
    let mut d = library("Dee", &feeds);
    share::join(&mut d.lib, &folder, d.person, t(0)).expect("join");
    assert_eq!(d.bookmarks().len(), 7, "5 from Ann, 2 from Bea");
}

#[test]
fn a_bookmark_waiting_for_its_episode_arrives_once_the_feed_does() {
    let feeds = feed_server();
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("shared");
    let mut a = library("Ann", &feeds);
    a.add_bookmark("Quote", "n");
    share::create(&mut a.lib, &folder, "Team", a.person, t(0)).expect("create");
    // Bea's library has not subscribed to the show yet.
    let (mut bea, joined) = newcomer_joins("Bea", &folder);
    assert_eq!(joined.waiting, 1, "{joined:?}");
    assert!(bea.bookmarks().is_empty());
    // The shared subscription came in as a show with no episodes yet; its first refresh brings them.
    let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
    earmark_core::refresh::refresh(&mut bea.lib, &fetcher, None, 2, t(0), &mut |_, _, _| {}).expect("refresh");
    let r = bea.sync();
    assert_eq!((r.received.bookmarks, r.waiting), (1, 0), "{r:?}");
    assert_eq!(bea.bookmarks(), a.bookmarks());
}

#[test]
fn tags_on_episodes_and_posts_travel_and_so_does_their_removal() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, mut c) = three(&feeds);
    let (ep, post) = (a.ep(1), a.post());
    a.lib.tag_episode(ep, &["Custody", "press pack"]).expect("tag episode");
    a.lib.tag_document(post, &["In Dad's Shoes"]).expect("tag post");
    assert_eq!(a.sync().sent.tags, 3);
    let got = b.sync();
    assert_eq!(got.received.tags, 3, "{got:?}");
    assert_eq!(b.lib.episode_tags(b.ep(1)).expect("tags"), ["Custody", "press pack"]);
    assert_eq!(b.lib.document_tags(b.post()).expect("tags"), ["In Dad's Shoes"]);
    assert_eq!(b.lib.share_status().expect("status").items.tags, 3);

    // Bea takes one off (tags are case-insensitive) and adds her own; Ann and Cal follow.
    assert_eq!(b.lib.untag_episode(b.ep(1), &["custody"]).expect("untag"), 1);
    b.lib.tag_document(b.post(), &["campaign"]).expect("tag");
    let sent = b.sync();
    assert_eq!(sent.sent.tags, 2, "{sent:?}");
    a.sync();
    c.sync();
    for lib in [&a, &b, &c] {
        assert_eq!(
            lib.lib.episode_tags(lib.ep(1)).expect("tags"),
            ["press pack"],
            "{}",
            lib.person
        );
        assert_eq!(
            lib.lib.document_tags(lib.post()).expect("tags"),
            ["campaign", "In Dad's Shoes"],
            "{}",
            lib.person
        );
    }
    let who = a
        .lib
        .share_authorship("tags", "document\nhttps://blog.example/children-in-care\ncampaign")
        .expect("authorship")
        .expect("known");
    assert_eq!(who.by, "Bea");
    // The tag editor on the post's page says who put each tag there.
    let view = a
        .lib
        .tags_view(earmark_core::docs::Tagged::Document(a.post()))
        .expect("tags");
    let who: Vec<_> = view
        .tags
        .iter()
        .map(|t| (t.name.as_str(), t.changed.by.as_deref(), t.changed.at.is_some()))
        .collect();
    assert_eq!(
        who,
        [("campaign", Some("Bea"), true), ("In Dad's Shoes", Some("Ann"), true)]
    );
}

#[test]
fn two_people_tagging_one_episode_at_once_keep_both_tags() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    a.lib.tag_episode(a.ep(2), &["custody"]).expect("tag");
    b.lib.tag_episode(b.ep(2), &["family court"]).expect("tag");
    a.sync();
    b.sync();
    a.sync();
    assert_eq!(a.lib.episode_tags(a.ep(2)).expect("tags"), ["custody", "family court"]);
    assert_eq!(b.lib.episode_tags(b.ep(2)).expect("tags"), ["custody", "family court"]);
}

#[test]
fn a_feed_read_from_a_local_file_stays_on_its_machine() {
    let feeds = feed_server();
    let (root, _folder, mut a, mut b, _c) = three(&feeds);
    let local = root.path().join("my-recordings.xml");
    std::fs::write(
        &local,
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>My recordings</title>
<item><guid>r1</guid><title>One</title><enclosure url="file:///tmp/one.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#,
    )
    .expect("feed file");
    let url = url::Url::from_file_path(&local).expect("file url").to_string();
    let resolver = Resolver::new(
        Fetcher::new(FetchConfig::default()).expect("fetcher"),
        url::Url::parse("http://127.0.0.1:9/").expect("url"),
    );
    resolve::subscribe(&mut a.lib, &resolver, &url, t(0)).expect("subscribe to the file");
    assert_eq!(a.sync().sent.subscriptions, 0);
    b.sync();
    assert!(
        b.lib.podcasts().expect("podcasts").iter().all(|p| p.feed_url != url),
        "a teammate got a path on Ann's computer"
    );
}

#[test]
fn a_blog_added_on_one_machine_is_kept_on_the_others_with_its_campaign() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    let campaign = a
        .lib
        .collection_ensure("In Dad's Shoes", earmark_core::docs::CollectionKind::Campaign, t(0))
        .expect("campaign");
    a.lib
        .source_upsert("https://researchingreform.example/", Some(campaign), t(0))
        .expect("source");
    // A blog named by a file URL (no such thing is made by the app, but a folder can say anything)
    // is not sent.
    a.lib.source_upsert("file:///etc/", None, t(0)).expect("odd source");
    assert_eq!(a.sync().sent.sources, 1);
    assert_eq!(b.sync().received.sources, 1);
    let sources = b.lib.sources().expect("sources");
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0].home_url, "https://researchingreform.example/");
    assert_eq!(sources[0].campaign.as_deref(), Some("In Dad's Shoes"));
    assert_eq!(b.lib.share_status().expect("status").items.sources, 1);
}

#[test]
fn a_page_added_on_one_machine_is_read_by_the_next_refresh_on_the_others() {
    let feeds = feed_server();
    feeds.set(
        "/in-dads-shoes/overview",
        Reply::ok(
            "<html><head><title>An Overview | In Dad's Shoes</title></head><body><article>\
             <h1>An Overview</h1><p>In Dad's Shoes asks separated fathers to walk a mile at the school \
             gate and talk about contact with their children.</p></article></body></html>",
        )
        .header("Content-Type", "text/html; charset=utf-8"),
    );
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    let url = feeds.url("/in-dads-shoes/overview");
    let page = a
        .lib
        .insert_document_for_tests("page", &url, "An Overview", None, "<p>x</p>")
        .expect("page");
    let campaign = a
        .lib
        .collection_ensure("In Dad's Shoes", earmark_core::docs::CollectionKind::Campaign, t(0))
        .expect("campaign");
    a.lib.collection_add_documents(campaign, &[page]).expect("join");
    assert_eq!(a.sync().sent.pages, 1);
    assert_eq!(b.sync().received.pages, 1);
    // Not a document yet: a page is one once read, which the next refresh does.
    assert_eq!(b.lib.document_id_by_url(&url).expect("lookup"), None);
    assert_eq!(
        b.lib.pages_waiting().expect("waiting"),
        [(url.clone(), Some("In Dad's Shoes".to_owned()))]
    );
    // Waiting pages count as this library's, so the next sync sends no removal.
    let again = b.sync();
    assert_eq!((again.sent.pages, again.file_written.clone()), (0, None), "{again:?}");

    let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
    let read = earmark_core::docs::fetch_shared_pages(&mut b.lib, &fetcher, t(1)).expect("read pages");
    assert!(read.iter().all(|o| o.error.is_none()), "{read:?}");
    let doc = b
        .lib
        .document_id_by_url(&url)
        .expect("lookup")
        .expect("the page is here now");
    assert!(b.lib.pages_waiting().expect("waiting").is_empty());
    let campaigns = b.lib.collections(None).expect("collections");
    let shoes = campaigns
        .iter()
        .find(|c| c.name == "In Dad's Shoes")
        .expect("the campaign");
    let view = b.lib.collection_view(shoes.id).expect("view");
    assert!(view.documents.iter().any(|d| d.id == doc), "{view:?}");
}

/// A campaign's members as (episode guids, document URLs), in the campaign's order.
fn campaign_members(lib: &Library) -> (Vec<String>, Vec<String>) {
    let Ok(c) = lib.collection_by_name("In Dad's Shoes") else {
        return (Vec::new(), Vec::new());
    };
    let view = lib.collection_view(c.id).expect("view");
    (
        view.episodes.into_iter().map(|e| e.guid).collect(),
        view.documents.into_iter().map(|d| d.url).collect(),
    )
}

#[test]
fn a_campaign_travels_with_its_members_in_order_and_so_do_moves_and_removals() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, mut c) = three(&feeds);
    let kind = earmark_core::docs::CollectionKind::Campaign;
    let id = a.lib.collection_ensure("In Dad's Shoes", kind, t(0)).expect("campaign");
    for n in [2, 1, 3] {
        a.lib.collection_add_episode(id, a.ep(n)).expect("add");
    }
    a.lib.collection_add_documents(id, &[a.post()]).expect("add post");
    assert_eq!(a.sync().sent.collections, 1);
    let got = b.sync();
    assert_eq!(got.received.collections, 1, "{got:?}");
    let post = "https://blog.example/children-in-care".to_owned();
    assert_eq!(
        campaign_members(&b.lib),
        (vec!["ep-2".into(), "ep-1".into(), "ep-3".into()], vec![post.clone()])
    );

    // Bea moves episode 3 to the top; at the same time Cal takes episode 2 out and Ann takes the
    // post out. Each change reaches everyone.
    c.sync();
    let bid = b.lib.collection_by_name("in dad's shoes").expect("by name").id;
    b.lib
        .collection_move(bid, CollectionMember::Episode(b.ep(3)), 0)
        .expect("move");
    let cid = c.lib.collection_by_name("In Dad's Shoes").expect("by name").id;
    assert!(c
        .lib
        .collection_remove(cid, CollectionMember::Episode(c.ep(2)))
        .expect("remove"));
    assert!(a
        .lib
        .collection_remove(id, CollectionMember::Document(a.post()))
        .expect("remove post"));
    for lib in [&mut a, &mut b, &mut c] {
        assert_eq!(lib.sync().sent.collections, 1, "{}", lib.person);
    }
    for lib in [&mut a, &mut b, &mut c] {
        lib.sync();
    }
    for lib in [&a, &b, &c] {
        assert_eq!(
            campaign_members(&lib.lib),
            (vec!["ep-3".into(), "ep-1".into()], vec![]),
            "{}",
            lib.person
        );
    }
    // Everyone agrees: nothing more to send.
    for lib in [&mut a, &mut b, &mut c] {
        let again = lib.sync();
        assert_eq!(
            (again.sent.collections, again.file_written.clone()),
            (0, None),
            "{again:?}"
        );
    }
    assert_eq!(c.lib.share_status().expect("status").items.collections, 1);
}

#[test]
fn campaign_members_not_here_yet_keep_their_place_until_they_arrive() {
    let feeds = feed_server();
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("shared");
    let mut a = library("Ann", &feeds);
    let kind = earmark_core::docs::CollectionKind::Campaign;
    let id = a.lib.collection_ensure("In Dad's Shoes", kind, t(0)).expect("campaign");
    for n in [3, 1] {
        a.lib.collection_add_episode(id, a.ep(n)).expect("add");
    }
    share::create(&mut a.lib, &folder, "Team", a.person, t(0)).expect("create");
    // Bea has not refreshed the show: the campaign arrives, its episodes wait.
    let (mut bea, joined) = newcomer_joins("Bea", &folder);
    assert_eq!(joined.received.collections, 1, "{joined:?}");
    assert_eq!(campaign_members(&bea.lib), (vec![], vec![]));
    // Waiting members count as hers: her next sync removes nothing.
    let again = bea.sync();
    assert_eq!(
        (again.sent.collections, again.file_written.clone()),
        (0, None),
        "{again:?}"
    );

    let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
    earmark_core::refresh::refresh(&mut bea.lib, &fetcher, None, 2, t(0), &mut |_, _, _| {}).expect("refresh");
    // She adds an episode of her own before syncing: it goes after the ones that waited.
    let bid = bea.lib.collection_by_name("In Dad's Shoes").expect("campaign").id;
    bea.lib.collection_add_episode(bid, bea.ep(2)).expect("add");
    let r = bea.sync();
    assert_eq!(r.sent.collections, 1, "{r:?}");
    assert_eq!(
        campaign_members(&bea.lib),
        (vec!["ep-3".into(), "ep-1".into(), "ep-2".into()], vec![])
    );
    a.sync();
    assert_eq!(campaign_members(&a.lib), campaign_members(&bea.lib));
}

// The same archive through a sync server (tools/share-server: automerge-repo's own server parts,
// run by Node on 127.0.0.1) instead of a folder.

use earmark_test_support::share_server::ShareServer;

/// Three libraries sharing one archive on `server`: Ann made it, Bea and Cal joined by its address.
fn three_on(server: &ShareServer, feeds: &Server) -> (String, Lib, Lib, Lib) {
    let mut a = library("Ann", feeds);
    let mut b = library("Bea", feeds);
    let mut c = library("Cal", feeds);
    a.add_bookmark("Opening", "said first");
    share::create(
        &mut a.lib,
        Path::new(&server.url()),
        "Researching Reform",
        a.person,
        t(0),
    )
    .expect("create");
    let address = a.lib.share_status().expect("status").folder.expect("address");
    assert!(
        address.starts_with(&format!("{}#automerge:", server.url())),
        "{address}"
    );
    for lib in [&mut b, &mut c] {
        let joined = share::join(&mut lib.lib, Path::new(&address), lib.person, t(0)).expect("join");
        assert_eq!(joined.received.bookmarks, 1, "{}: {joined:?}", lib.person);
    }
    (address, a, b, c)
}

#[test]
fn through_a_sync_server_bookmarks_notes_and_campaigns_merge_as_through_a_folder() {
    let feeds = feed_server();
    let server = ShareServer::start();
    let (address, mut a, mut b, mut c) = three_on(&server, &feeds);
    let status = b.lib.share_status().expect("status");
    assert_eq!(status.name.as_deref(), Some("Researching Reform"));
    // The address a teammate joins with, said to be a server's.
    assert!(status.on_server);
    assert_eq!(status.folder.as_deref(), Some(address.as_str()));
    let who = b
        .lib
        .share_authorship("bookmarks", &b.bookmarks()[0].0)
        .expect("authorship")
        .expect("known");
    assert_eq!(who.by, "Ann");

    // Two people edit one note at once: it merges as text.
    let (bid, cid) = (b.only_bookmark(), c.only_bookmark());
    b.lib
        .edit_bookmark(
            bid,
            &BookmarkEdit {
                note: Some("Bea: said first".into()),
                ..Default::default()
            },
            t(1),
        )
        .expect("edit");
    c.lib
        .edit_bookmark(
            cid,
            &BookmarkEdit {
                note: Some("said first, twice".into()),
                ..Default::default()
            },
            t(1),
        )
        .expect("edit");
    b.sync();
    c.sync();
    b.sync();
    a.sync();
    let note = &a.bookmarks()[0].2;
    assert_eq!(note, "Bea: said first, twice", "{note}");
    assert_eq!(b.bookmarks(), a.bookmarks());
    assert_eq!(c.bookmarks(), a.bookmarks());

    // A campaign's order, as through a folder.
    let kind = earmark_core::docs::CollectionKind::Campaign;
    let id = a.lib.collection_ensure("In Dad's Shoes", kind, t(0)).expect("campaign");
    for n in [3, 1] {
        a.lib.collection_add_episode(id, a.ep(n)).expect("add");
    }
    assert_eq!(a.sync().sent.collections, 1);
    assert_eq!(c.sync().received.collections, 1);
    assert_eq!(campaign_members(&c.lib).0, ["ep-3", "ep-1"]);

    // Nothing new: nothing sent, nothing received.
    let idle = b.sync();
    b.sync();
    let again = b.sync();
    assert_eq!(again, share::ShareReport::default(), "after {idle:?}");
}

#[test]
fn a_server_that_is_down_loses_nothing_and_what_waited_goes_when_it_is_back() {
    let feeds = feed_server();
    let mut server = ShareServer::start();
    let (_address, mut a, mut b, _c) = three_on(&server, &feeds);
    server.stop();
    a.add_bookmark("Made offline", "while the server was down");
    let err = share::sync(&mut a.lib, t(0)).expect_err("the server is down");
    assert_eq!(err.code().as_str(), "share_server", "{err}");
    assert!(err.to_string().contains("sent next time"), "{err}");
    let status = a.lib.share_status().expect("status");
    assert!(status.last_error.is_some_and(|e| e.contains("cannot be reached")));
    assert_eq!(a.bookmarks().len(), 2);

    server.restart();
    let sent = a.sync();
    assert_eq!(
        sent.sent.bookmarks, 0,
        "already in the document since the failed sync: {sent:?}"
    );
    let got = b.sync();
    assert_eq!(got.received.bookmarks, 1, "{got:?}");
    assert_eq!(b.bookmarks(), a.bookmarks());
    assert!(a.lib.share_status().expect("status").last_error.is_none());
}

#[test]
fn a_wrong_address_or_no_server_is_refused_and_changes_nothing() {
    let feeds = feed_server();
    let server = ShareServer::start();
    let (address, ..) = three_on(&server, &feeds);
    let mut d = library("Dan", &feeds);
    // An id the server never saw.
    let other = format!("{}#automerge:{}", server.url(), "pEbmSWqJdBuPadRGm8tDZXgWR6");
    for bad in [
        other.as_str(),
        "ws://127.0.0.1:9/#automerge:pEbmSWqJdBuPadRGm8tDZXgWR6",
        "ws://127.0.0.1:9/",
    ] {
        let err = share::join(&mut d.lib, Path::new(bad), d.person, t(0)).expect_err(bad);
        assert!(
            matches!(err.code().as_str(), "share_empty" | "share_server"),
            "{bad}: {err}"
        );
        assert!(!d.lib.share_status().expect("status").shared, "{bad}");
    }
    // A folder-only operation says so.
    let mut e = library("Eve", &feeds);
    share::join(&mut e.lib, Path::new(&address), e.person, t(0)).expect("join");
    let err = share::compact(&mut e.lib, t(0)).expect_err("no compaction on a server");
    assert!(err.to_string().contains("compaction is for shared folders"), "{err}");
}

/// A WebSocket server on 127.0.0.1 that answers a client's first frame with `reply` (one frame
/// per call, for the first `frames` frames it gets); the address of an archive on it.
fn hostile_server(reply: fn(usize) -> Vec<u8>, frames: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let Ok(mut ws) = tungstenite::accept(stream) else {
                return;
            };
            for n in 0..frames {
                if ws.read().is_err() {
                    return;
                }
                let _ = ws.send(tungstenite::Message::binary(reply(n)));
            }
            let _ = ws.read();
        }
    });
    format!("ws://127.0.0.1:{port}/#automerge:pEbmSWqJdBuPadRGm8tDZXgWR6")
}

fn cbor(fields: Vec<(&str, ciborium::Value)>) -> Vec<u8> {
    let map = ciborium::Value::Map(
        fields
            .into_iter()
            .map(|(k, v)| (ciborium::Value::Text(k.into()), v))
            .collect(),
    );
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).expect("cbor");
    out
}

#[test]
fn a_server_answering_garbage_is_an_error_that_changes_nothing() {
    let feeds = feed_server();
    let not_cbor = hostile_server(|_| vec![0xff, 0x00, 0x13, 0x37], 1);
    let bad_sync = hostile_server(
        |n| {
            use ciborium::Value::{Bytes, Text};
            if n == 0 {
                cbor(vec![("type", Text("peer".into())), ("senderId", Text("evil".into()))])
            } else {
                cbor(vec![
                    ("type", Text("sync".into())),
                    ("senderId", Text("evil".into())),
                    ("documentId", Text("pEbmSWqJdBuPadRGm8tDZXgWR6".into())),
                    ("data", Bytes(vec![0x42, 0xff, 0xff, 0xff, 0xff])),
                ])
            }
        },
        2,
    );
    for (address, says) in [(not_cbor, "not CBOR"), (bad_sync, "cannot read")] {
        let mut d = library("Dan", &feeds);
        d.add_bookmark("Mine", "kept");
        let err = share::join(&mut d.lib, Path::new(&address), d.person, t(0)).expect_err("garbage");
        assert_eq!(err.code().as_str(), "share_server", "{err}");
        assert!(err.to_string().contains(says), "{says}: {err}");
        assert!(!d.lib.share_status().expect("status").shared);
        assert_eq!(d.bookmarks().len(), 1);
    }
}

/// The library keeps its copy of the archive as a whole save plus the changes of each sync since,
/// folded into a new whole save once they grow: many small syncs never lose a change, and each
/// one appends little.
#[test]
fn many_small_syncs_are_stored_as_chunks_and_folded_without_losing_a_change() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    a.add_bookmark("Quote", "note 0");
    a.sync();
    let id = a.only_bookmark();
    let db = a._dir.path().join("lib").join(earmark_core::library::DB_FILE);
    let chunks = || -> (i64, i64) {
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.query_row(
            "SELECT (SELECT COUNT(*) FROM share_doc_chunks), (SELECT length(doc) FROM share)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("chunks")
    };
    let mut most = 0;
    let mut folded = false;
    for n in 1..=150 {
        let edit = BookmarkEdit {
            note: Some(format!("note {n}")),
            ..BookmarkEdit::default()
        };
        a.lib.edit_bookmark(id, &edit, t(n)).expect("edit");
        a.sync();
        let (count, _) = chunks();
        folded |= count < most;
        most = most.max(count);
    }
    assert!(most > 1, "syncs appended chunks");
    assert!(most <= 100, "chunks fold before 100: {most}");
    assert!(folded, "the chunks were folded into a whole save at least once");
    // Every sync read the library's copy back from its whole save and chunks; it holds every
    // change: Bea gets the last note, and a sync with nothing new sends nothing.
    let again = a.sync();
    assert_eq!(again.file_written, None, "{again:?}");
    b.sync();
    assert_eq!(b.bookmarks()[0].2, "note 150");
    let status = a.lib.share_status().expect("status");
    assert!(status.last_error.is_none());
}

/// The app tidies the folder after its syncs: nothing below the limit, a compaction above it, and
/// a teammate still merges everything afterwards.
#[test]
fn a_folder_past_its_limit_is_compacted_by_tidy_and_nothing_is_lost() {
    let feeds = feed_server();
    let (_root, folder, mut a, mut b, _c) = three(&feeds);
    a.add_bookmark("Quote", "note 0");
    a.sync();
    let id = a.only_bookmark();
    assert_eq!(
        share::tidy(&mut a.lib, t(0)).expect("tidy"),
        0,
        "a small folder is left alone"
    );
    for n in 1..=share::TIDY_AFTER_FILES as i64 {
        let edit = BookmarkEdit {
            note: Some(format!("note {n}")),
            ..BookmarkEdit::default()
        };
        a.lib.edit_bookmark(id, &edit, t(n)).expect("edit");
        a.sync();
    }
    let before = files(&folder).len();
    assert!(before > share::TIDY_AFTER_FILES as usize, "{before} files");
    let removed = share::tidy(&mut a.lib, t(0)).expect("tidy");
    let after = files(&folder).len();
    assert!(removed > 0 && after < 10, "removed {removed}, {after} left of {before}");
    assert_eq!(share::tidy(&mut a.lib, t(0)).expect("tidy again"), 0);
    b.sync();
    assert_eq!(b.bookmarks()[0].2, format!("note {}", share::TIDY_AFTER_FILES));
}

/// A server that lost everything (restored from nothing) gets the whole archive back from the
/// first library that syncs, even one with nothing new of its own; the others go on from there.
#[test]
fn a_server_that_lost_its_data_is_filled_again_by_the_libraries() {
    let feeds = feed_server();
    let mut server = ShareServer::start();
    let (_address, mut a, mut b, _c) = three_on(&server, &feeds);
    assert_eq!(a.sync(), share::ShareReport::default(), "Ann is up to date");
    server.lose_data();
    server.restart();
    // Ann has nothing new: her sync still sends the server all it lacks.
    a.sync();
    b.lib
        .edit_bookmark(
            b.only_bookmark(),
            &BookmarkEdit {
                note: Some("after the restore".into()),
                ..BookmarkEdit::default()
            },
            t(5),
        )
        .expect("edit");
    b.sync();
    a.sync();
    assert_eq!(a.bookmarks()[0].2, "after the restore");
    assert_eq!(a.bookmarks(), b.bookmarks());
}

#[test]
fn each_shared_item_says_who_changed_it_last_where_it_is_listed() {
    let feeds = feed_server();
    feeds.set(
        "/in-dads-shoes/overview",
        Reply::ok(
            "<html><head><title>An Overview</title></head><body><article><h1>An Overview</h1>\
             <p>Fathers walk a mile at the school gate.</p></article></body></html>",
        )
        .header("Content-Type", "text/html; charset=utf-8"),
    );
    let (_root, folder, mut a, mut b, _c) = three(&feeds);
    // Before anyone syncs a change, nothing is attributed.
    assert_eq!(b.lib.episode_links(b.ep(1)).expect("links"), []);
    let campaign = a
        .lib
        .collection_ensure("Ça compte", earmark_core::docs::CollectionKind::Campaign, t(0))
        .expect("campaign");
    a.lib.collection_add_documents(campaign, &[a.post()]).expect("join");
    a.lib
        .source_upsert("https://researchingreform.example/", None, t(0))
        .expect("source");
    let url = feeds.url("/in-dads-shoes/overview");
    a.lib
        .insert_document_for_tests("page", &url, "An Overview", None, "<p>x</p>")
        .expect("page");
    a.sync();
    // Bea decides a link; the next syncs carry it to Ann.
    b.sync();
    b.lib
        .add_manual_link(b.ep(1), b.post(), Some("same case"), t(5))
        .expect("link");
    share::sync(&mut b.lib, t(5)).expect("sync B");
    a.sync();

    // Dee joins with an empty library: all she has came from Ann.
    let (dee, _) = newcomer_joins("Dee", &folder);
    let by = |c: &Changed| (c.by.clone(), c.at.is_some());
    let ann = (Some("Ann".to_owned()), true);
    let bea = (Some("Bea".to_owned()), true);
    // On Dee's side, what Ann made says Ann …
    let podcast = &dee.lib.podcasts().expect("podcasts")[0];
    assert_eq!(by(&podcast.changed), ann, "{podcast:?}");
    let shoes = dee.lib.collection_by_name("Ça compte").expect("campaign");
    assert_eq!(by(&shoes.changed), ann, "{shoes:?}");
    let listed = &dee.lib.collections(None).expect("collections")[0];
    assert_eq!(by(&listed.changed), ann);
    let view = dee.lib.collection_view(shoes.id).expect("view").collection;
    assert_eq!(by(&view.changed), ann);
    let source = &dee.lib.sources().expect("sources")[0];
    assert_eq!(by(&source.changed), ann, "{source:?}");
    // … and on Ann's side, the page she added is hers and the link Bea decided is Bea's.
    let page = a.lib.document_id_by_url(&url).expect("lookup").expect("page");
    let detail = a.lib.document(page).expect("page");
    assert_eq!(by(&detail.changed), ann);
    let links = a.lib.episode_links(a.ep(1)).expect("links");
    assert_eq!(by(&links[0].changed), bea, "{links:?}");
    let back = a.lib.document_links(a.post()).expect("links");
    assert_eq!(by(&back[0].changed), bea, "{back:?}");
    // A post read from a blog is nobody's change: it carries no name.
    let post = a.lib.document(a.post()).expect("post");
    assert_eq!(post.changed.by, None);
}

/// A sync with nothing new skips reading the items once a sync has compared them; every kind of
/// edit made after that, by this connection or another one on the same file, must still be sent.
#[test]
fn every_edit_after_an_idle_sync_is_still_sent() {
    let feeds = feed_server();
    let (_root, _folder, mut a, _b, _c) = three(&feeds);
    let kind = earmark_core::docs::CollectionKind::Campaign;
    // Two syncs with nothing new: the second one finds the library already compared.
    for _ in 0..2 {
        assert_eq!(a.sync(), share::ShareReport::default());
    }
    let sent = |a: &mut Lib| a.sync().sent;

    let ep = a.add_bookmark("Opening", "first words");
    assert_eq!(sent(&mut a).bookmarks, 1, "a new bookmark");
    assert_eq!(a.sync(), share::ShareReport::default(), "nothing new after it");
    let id = a.only_bookmark();
    let edit = BookmarkEdit {
        note: Some("second thoughts".into()),
        ..BookmarkEdit::default()
    };
    a.lib.edit_bookmark(id, &edit, t(1)).expect("edit");
    assert_eq!(sent(&mut a).bookmarks, 1, "a note edited");
    let edit = BookmarkEdit {
        tags: Some(vec!["press".into(), "quote".into()]),
        ..BookmarkEdit::default()
    };
    a.lib.edit_bookmark(id, &edit, t(2)).expect("tags");
    assert_eq!(sent(&mut a).bookmarks, 1, "a bookmark's tags");

    a.lib.add_manual_link(ep, a.post(), None, t(3)).expect("link");
    assert_eq!(sent(&mut a).decisions, 1, "a manual link");
    a.lib.reject_link(ep, a.post(), t(4)).expect("reject");
    assert_eq!(sent(&mut a).decisions, 1, "a rejection");

    a.lib.tag_episode(ep, &["Custody"]).expect("tag episode");
    assert_eq!(sent(&mut a).tags, 1, "an episode's tag");
    a.lib.tag_document(a.post(), &["Campaign"]).expect("tag post");
    assert_eq!(sent(&mut a).tags, 1, "a post's tag");
    assert_eq!(a.lib.untag_episode(ep, &["custody"]).expect("untag"), 1);
    assert_eq!(sent(&mut a).tags, 1, "a tag taken off");

    let campaign = a.lib.collection_ensure("In Dad's Shoes", kind, t(5)).expect("campaign");
    assert_eq!(sent(&mut a).collections, 1, "a new campaign");
    a.lib.collection_add_episode(campaign, ep).expect("member");
    assert_eq!(sent(&mut a).collections, 1, "an episode added to it");
    a.lib.collection_add_documents(campaign, &[a.post()]).expect("member");
    assert_eq!(sent(&mut a).collections, 1, "a post added to it");

    let podcast = a.lib.podcasts().expect("podcasts")[0].id;
    a.lib.set_subscribed(podcast, false, t(6)).expect("unsubscribe");
    assert_eq!(sent(&mut a).subscriptions, 1, "an unsubscription");

    a.lib.delete_bookmark(id).expect("delete");
    assert_eq!(sent(&mut a).bookmarks, 1, "a deleted bookmark");

    // A write through another connection to the same library (the window's second connection,
    // or the command line while the app runs).
    let mut other = Library::open(&a._dir.path().join("lib")).expect("second connection");
    other
        .add_bookmark(
            &NewBookmark {
                episode_id: a.ep(3),
                start_secs: 5.0,
                end_secs: None,
                title: "From the command line".into(),
                note: String::new(),
                tags: Vec::new(),
            },
            t(7),
        )
        .expect("bookmark elsewhere");
    drop(other);
    assert_eq!(sent(&mut a).bookmarks, 1, "a bookmark made by another connection");
    assert_eq!(a.sync(), share::ShareReport::default());
}

#[test]
fn a_document_kept_between_syncs_is_used_only_while_the_library_still_holds_it() {
    let feeds = feed_server();
    let (_root, _folder, mut a, mut b, _c) = three(&feeds);
    let mut kept = None;
    let sync_kept = |a: &mut Lib, kept: &mut Option<share::KeptDoc>| {
        share::sync_keeping(&mut a.lib, kept, t(0)).expect("sync keeping")
    };
    a.add_bookmark("Quote", "The judge said contact matters.");
    assert_eq!(sync_kept(&mut a, &mut kept).sent.bookmarks, 1);
    assert!(kept.is_some(), "a sync that loaded the document keeps it");
    b.sync();
    let edit = |note: &str| BookmarkEdit {
        note: Some(note.into()),
        ..BookmarkEdit::default()
    };
    // Edits on both sides, synced with the kept document: the same merge as loading it each time.
    let ia = a.only_bookmark();
    a.lib
        .edit_bookmark(ia, &edit("The judge said contact matters. (Ann)"), t(1))
        .expect("edit A");
    sync_kept(&mut a, &mut kept);
    let ib = b.only_bookmark();
    b.lib
        .edit_bookmark(ib, &edit("Hearing 3: The judge said contact matters."), t(2))
        .expect("edit B");
    b.sync();
    sync_kept(&mut a, &mut kept);
    assert_eq!(a.bookmarks()[0].2, "Hearing 3: The judge said contact matters. (Ann)");
    assert!(kept.is_some());

    // Another process syncs Ann's library (the command line while the app runs) and merges Bea's
    // next edit: the kept document lacks it, so the next sync must load the library's copy, or it
    // would write the older note back.
    b.lib
        .edit_bookmark(ib, &edit("Hearing 3: contact matters most."), t(3))
        .expect("edit B again");
    b.sync();
    let mut other = Library::open(&a._dir.path().join("lib")).expect("second connection");
    share::sync(&mut other, t(0)).expect("other sync");
    assert_eq!(sync_kept(&mut a, &mut kept), share::ShareReport::default());
    assert_eq!(a.bookmarks()[0].2, "Hearing 3: contact matters most.");
    a.lib
        .edit_bookmark(ia, &edit("Hearing 3: contact matters most. (Ann again)"), t(4))
        .expect("edit A again");
    assert_eq!(sync_kept(&mut a, &mut kept).sent.bookmarks, 1);
    b.sync();
    assert_eq!(b.bookmarks(), a.bookmarks());
    assert_eq!(a.bookmarks()[0].2, "Hearing 3: contact matters most. (Ann again)");
}

#[test]
fn a_library_joining_while_a_file_is_still_on_its_way_gets_everything_once_it_arrives() {
    let feeds = feed_server();
    let (_root, folder, mut a, _b, _c) = three(&feeds);
    let (_hold, held, first) = two_files_the_first_late(&mut a, &folder);
    // Dan joins while the first file is late: the second builds on it and must wait.
    let mut d = library("Dan", &feeds);
    let joined = share::join(&mut d.lib, &folder, d.person, t(0)).expect("join");
    assert_eq!(d.bookmarks().len(), 0, "nothing half-applied: {joined:?}");
    std::fs::rename(&held, folder.join(&first)).expect("arrives");
    let r = d.sync();
    assert_eq!(d.bookmarks(), a.bookmarks(), "{r:?}");
}
