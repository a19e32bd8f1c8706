//! The installed package, not the build tree: `scripts/check-package` installs the .deb and runs
//! this with `EARMARK_APP_BIN` and `EARMARK_CLI_BIN` naming the installed binaries. The installed
//! CLI subscribes a fresh library to the demo archive, and the installed app shows its episodes.

use earmark_e2e::window::{js, launch, shot, wait_js};
use earmark_e2e::{subscribe, workspace_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an installed package: run by scripts/check-package"]
async fn the_installed_app_shows_the_demo_archive() {
    let app = std::env::var("EARMARK_APP_BIN").expect("EARMARK_APP_BIN names the installed app");
    let cli = std::env::var("EARMARK_CLI_BIN").expect("EARMARK_CLI_BIN names the installed CLI");
    assert!(
        !app.starts_with(&*workspace_root().to_string_lossy()),
        "{app} is the build tree's binary, not the installed one"
    );
    assert!(!cli.starts_with(&*workspace_root().to_string_lossy()));
    let library = tempfile::tempdir().expect("tempdir");
    subscribe(library.path(), workspace_root().join("media/demo-feed.xml"));

    let (client, _window) = launch(&[("EARMARK_LIBRARY", library.path())]).await;
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 3;",
        "the demo archive's three episodes in the list",
    )
    .await;
    let title = js(
        &client,
        "return document.querySelector('.episode-row .row-title').textContent;",
    )
    .await;
    assert!(
        title.as_str().is_some_and(|t| t.starts_with("Episode")),
        "first row: {title}"
    );
    shot(&client, "90-installed-package").await;
    client.close().await.expect("close the session");
}
