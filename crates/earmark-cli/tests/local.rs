//! `earmark-cli import-local`: a folder of real media files (an MP3 tagged by ffmpeg with title,
//! artist, album, date and a cover; an untagged WAV; files that are not media) becomes a podcast
//! named and dated from the tags, whose episodes can be bookmarked and clipped; importing again
//! adds nothing twice; referenced files that are moved are reported, not crashed on.

use earmark_test_support::cli::sealed;
use earmark_test_support::media;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cli(library: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), library)
}

fn run(library: &Path, args: &[&str]) -> Output {
    cli(library).args(args).output().expect("run earmark-cli")
}

fn ok_json(library: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(library, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn ffmpeg(args: &[&str]) {
    let ok = media::ffmpeg()
        .args(args)
        .status()
        .expect("ffmpeg (scripts/setup installs it)")
        .success();
    assert!(ok, "ffmpeg {args:?}");
}

/// `Recordings/`: talk.mp3 (tagged, with a cover), raw.wav (untagged), notes.txt, .hidden.mp3.
fn recordings(dir: &Path) -> PathBuf {
    let folder = dir.join("Recordings");
    std::fs::create_dir_all(&folder).expect("folder");
    let cover = dir.join("cover.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=64x64",
        "-frames:v",
        "1",
        cover.to_str().expect("utf-8"),
    ]);
    let talk = folder.join("talk.mp3");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=330:duration=6",
        "-i",
        cover.to_str().expect("utf-8"),
        "-map",
        "0",
        "-map",
        "1",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "copy",
        "-id3v2_version",
        "3",
        "-metadata",
        "title=First talk",
        "-metadata",
        "artist=Jo Example",
        "-metadata",
        "album=Talks",
        "-metadata",
        "date=2021-03-04",
        "-metadata:s:v",
        "comment=Cover (front)",
        talk.to_str().expect("utf-8"),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=4",
        "-map_metadata",
        "-1",
        folder.join("raw.wav").to_str().expect("utf-8"),
    ]);
    std::fs::write(folder.join("notes.txt"), "not media").expect("notes");
    std::fs::copy(&talk, folder.join(".hidden.mp3")).expect("hidden");
    folder
}

#[test]
fn a_folder_becomes_a_podcast_named_and_dated_from_its_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = recordings(dir.path());
    let library = dir.path().join("library");
    let path = folder.to_str().expect("utf-8");
    let report = ok_json(&library, &["import-local", path, "--json"]);
    assert_eq!(report["title"], "Recordings", "the files share no album: {report}");
    assert_eq!(report["added"], 2, "{report}");
    let podcast = report["podcast_id"].to_string();

    let eps = ok_json(&library, &["episodes", "--podcast", &podcast, "--json"]);
    let eps = eps.as_array().expect("array");
    let talk = eps
        .iter()
        .find(|e| e["title"] == "First talk")
        .expect("the tagged title");
    assert!(
        talk["published"].as_str().is_some_and(|d| d.starts_with("2021-03-04")),
        "{talk}"
    );
    assert!(
        (talk["duration_secs"].as_f64().expect("duration") - 6.0).abs() < 0.2,
        "{talk}"
    );
    assert!(
        eps.iter().any(|e| e["title"] == "raw"),
        "an untagged file is named by its file name"
    );
    // Copied into the library: the enclosure is the library's copy, not the original.
    let url = talk["enclosure_url"].as_str().expect("url");
    assert!(
        url.starts_with("file://") && url.contains("/library/local/recordings/media/"),
        "{url}"
    );
    let shows = ok_json(&library, &["podcasts", "--json"]);
    let show = &shows[0];
    assert!(
        show["image_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/local/recordings/cover.png")),
        "the cover comes from the tags: {show}"
    );

    // A bookmarked segment of a local episode is clipped like any other.
    let id = talk["id"].to_string();
    let out = run(
        &library,
        &[
            "bookmark", "add", &id, "--start", "1", "--end", "3", "--title", "Middle",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let marks = ok_json(&library, &["bookmarks", "--json"]);
    let mark = marks[0]["id"].to_string();
    let clip = dir.path().join("middle.wav");
    let out = run(&library, &["clip", &mark, "--out", clip.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        std::fs::metadata(&clip).expect("clip").len() > 100_000,
        "two seconds of audio"
    );

    // Importing the same folder again adds nothing twice; moving the originals changes nothing.
    let again = ok_json(&library, &["import-local", path, "--name", "Recordings", "--json"]);
    assert_eq!(
        (again["added"].as_u64(), again["already"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    std::fs::remove_dir_all(&folder).expect("remove the originals");
    let out = run(&library, &["missing", &podcast]);
    assert!(
        out.status.success(),
        "copies do not go missing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn referenced_files_that_move_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = recordings(dir.path());
    let library = dir.path().join("library");
    let report = ok_json(
        &library,
        &[
            "import-local",
            folder.to_str().expect("utf-8"),
            "--reference",
            "--name",
            "Where they are",
            "--json",
        ],
    );
    let podcast = report["podcast_id"].to_string();
    let eps = ok_json(&library, &["episodes", "--podcast", &podcast, "--json"]);
    let talk = eps
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["title"] == "First talk")
        .expect("talk")
        .clone();
    assert!(
        talk["enclosure_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/Recordings/talk.mp3")),
        "played from where it is: {talk}"
    );
    std::fs::rename(folder.join("talk.mp3"), dir.path().join("moved.mp3")).expect("move");
    let out = run(&library, &["missing", &podcast, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let gone: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(gone.as_array().map(Vec::len), Some(1), "{gone}");
    assert!(
        gone[0]["path"].as_str().is_some_and(|p| p.ends_with("talk.mp3")),
        "{gone}"
    );
    // Playing it says what happened and how to mend it; nothing crashes, nothing is lost.
    let out = run(&library, &["play", &talk["id"].to_string()]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("moved or deleted"), "{said}");

    // Nothing to import is an error that names what was wrong.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    std::fs::write(empty.join("readme.txt"), "x").expect("file");
    let out = run(&library, &["import-local", empty.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audio or video files"));
}
