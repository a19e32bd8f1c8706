//! Local media in the real window: a folder path typed into the Add box opens the import form,
//! the folder becomes a podcast whose episode carries its tagged title, and it plays.

use earmark_test_support::media::ffmpeg;

use earmark_e2e::click;
use earmark_e2e::pulse::start_pulse;
use earmark_e2e::window::{click_and_wait, js, launch, open_episode, shot, wait_js};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_path_imports_as_a_podcast_that_plays() {
    let pulse = start_pulse();
    let media = tempfile::tempdir().expect("tempdir");
    let folder = media.path().join("Kitchen Table");
    std::fs::create_dir_all(&folder).expect("folder");
    let ok = ffmpeg()
        .args(["-f", "lavfi", "-i", "sine=frequency=300:duration=3"])
        .args([
            "-c:a",
            "libmp3lame",
            "-metadata",
            "title=Kitchen interview",
            "-metadata",
            "artist=A. Parent",
        ])
        .arg(folder.join("rec-001.mp3"))
        .status()
        .expect("ffmpeg (scripts/setup installs it)")
        .success();
    assert!(ok);
    let library = tempfile::tempdir().expect("tempdir");
    let (client, _window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
    ])
    .await;
    wait_js(
        &client,
        "return !!document.getElementById('import-local-empty');",
        "the empty library's offer",
    )
    .await;

    let add = client.find(Locator::Css("#add-input")).await.expect("add box");
    add.send_keys(folder.to_str().expect("utf-8 path")).await.expect("type");
    click_and_wait(
        &client,
        "#add-button",
        "return (document.getElementById('local-name') || {}).value === 'Kitchen Table';",
        "the import form, named after the folder",
    )
    .await;
    shot(&client, "47-import-local-form").await;
    click(&client, Locator::Css("#local-import")).await;
    wait_js(
        &client,
        "return document.getElementById('list-title').textContent === 'Kitchen Table' && \
         [...document.querySelectorAll('.episode-row .row-title')].some(e => e.textContent === 'Kitchen interview');",
        "the local podcast with its tagged episode",
    )
    .await;
    open_episode(&client, "Kitchen interview").await;
    click(&client, Locator::Css("#play-episode")).await;
    wait_js(
        &client,
        "return document.getElementById('player-title').textContent === 'Kitchen interview' && \
         ['playing', 'ended'].includes(document.getElementById('player').dataset.state);",
        "the local episode to play",
    )
    .await;
    let copied = js(&client, "return document.body.textContent.includes('1 episode added');").await;
    assert_eq!(copied, true, "the toast says what was imported");
    shot(&client, "48-local-podcast").await;
    client.close().await.expect("close session");
}
