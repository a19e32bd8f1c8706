//! The desktop's player controls (MPRIS over a private D-Bus session bus): Earmark shows what it
//! plays there, and a PlayPause sent by the desktop (a media key) pauses it in the window.

use std::process::Command;
use std::time::{Duration, Instant};

use earmark_e2e::pulse::start_pulse;
use earmark_e2e::window::{launch, open_episode, play_shown_episode, wait_js, wait_state};
use earmark_e2e::{click, start_session_bus, workspace_root};
use fantoccini::Locator;

fn dbus_send(address: &str, args: &[&str]) -> String {
    let out = Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.mpris.MediaPlayer2.earmark",
            "/org/mpris/MediaPlayer2",
        ])
        .args(args)
        .output()
        .expect("dbus-send (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "dbus-send {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn playback_status(address: &str) -> String {
    dbus_send(
        address,
        &[
            "org.freedesktop.DBus.Properties.Get",
            "string:org.mpris.MediaPlayer2.Player",
            "string:PlaybackStatus",
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_keys_reach_the_player() {
    let mut pulse = start_pulse();
    let bus = start_session_bus();
    let library = tempfile::tempdir().expect("tempdir");
    let demo = workspace_root().join("media/demo-feed.xml");
    earmark_e2e::subscribe(library.path(), &demo);

    let bus_address = std::path::PathBuf::from(&bus.address);
    let (client, _window) = launch(&[
        ("EARMARK_LIBRARY", library.path()),
        ("ALSA_CONFIG_PATH", pulse.alsa_conf.as_path()),
        ("DBUS_SESSION_BUS_ADDRESS", bus_address.as_path()),
    ])
    .await;

    // Episode 1 of the demo archive is the longest (11 s).
    wait_js(
        &client,
        "return document.querySelectorAll('.episode-row').length === 3;",
        "the demo episodes",
    )
    .await;
    open_episode(&client, "Episode 1: Listening to children").await;
    play_shown_episode(&client).await;

    // The desktop sees it playing, with its title.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !playback_status(&bus.address).contains("Playing") {
        assert!(Instant::now() < deadline, "MPRIS never said Playing");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let meta = dbus_send(
        &bus.address,
        &[
            "org.freedesktop.DBus.Properties.Get",
            "string:org.mpris.MediaPlayer2.Player",
            "string:Metadata",
        ],
    );
    assert!(meta.contains("Episode 1: Listening to children"), "{meta}");

    // A media key press: PlayPause from the desktop pauses the app.
    dbus_send(&bus.address, &["org.mpris.MediaPlayer2.Player.PlayPause"]);
    wait_state(&client, "paused", "the media key to pause").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !playback_status(&bus.address).contains("Paused") {
        assert!(Instant::now() < deadline, "MPRIS never said Paused");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The device goes away while playing: the app pauses, says so, and keeps the place.
    click(&client, Locator::Css("#play-toggle")).await;
    wait_state(&client, "playing", "playing again").await;
    earmark_e2e::window::wait_position(&client, 2.0, "two seconds of playback").await;
    pulse.stop();
    wait_state(&client, "paused", "a pause when the device goes").await;
    wait_js(
        &client,
        "return document.getElementById('toast').textContent.includes('No audio output');",
        "the no-output message",
    )
    .await;
    let kept = client
        .execute("return Number(document.getElementById('scrubber').value);", vec![])
        .await
        .expect("pos");
    let kept = kept.as_f64().expect("number");
    let shown = client.execute("return document.getElementById('elapsed').textContent + ' | ' + document.getElementById('player-sub').textContent + ' | ' + document.getElementById('player-title').textContent;", vec![]).await.expect("text");
    assert!(kept > 0.5, "the position is kept ({kept}; bar shows {shown})");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(earmark_e2e::screenshot_dir().join("26-device-gone.png"), png).expect("save");

    // It comes back: play continues from the same place on the new device.
    pulse.restart();
    click(&client, Locator::Css("#play-toggle")).await;
    wait_state(&client, "playing", "playing on the new device").await;
    let now = client
        .execute("return Number(document.getElementById('scrubber').value);", vec![])
        .await
        .expect("pos");
    let now = now.as_f64().expect("number");
    assert!((now - kept).abs() < 1.5, "resumed at {now}, kept {kept}");
    client.close().await.expect("close session");
}
