//! The sync password in a real Secret Service keyring: gnome-keyring-daemon on a private D-Bus
//! session (as on a GNOME desktop), a real podsync on 127.0.0.1. A test binary of its own, since
//! it points this process at that session bus.
#![allow(clippy::disallowed_methods)] // a test plays the shell: it reads the clock

use earmark_test_support::gpodder::{Podsync, PASSWORD, USER};
use earmark_test_support::session_bus::{start_session_bus, SecretService};

use std::time::Duration;

use earmark_core::chrono::Utc;
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::resolve::Resolver;
use earmark_core::sync::{self, LoginRequest, SecretStore, Secrets};
use earmark_core::Library;

const TIMEOUT: Duration = Duration::from_secs(5);

fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_password_lives_in_the_keyring_where_one_runs_and_in_a_private_file_where_none_does() {
    let bus = start_session_bus();
    let keyring = SecretService::start(&bus, "session password");
    // This binary's only test: the keyring crate finds the session bus here.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);

    let podsync = Podsync::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(&dir.path().join("lib")).expect("library");
    let secret_dir = dir.path().join("secrets");
    let secrets = Secrets::new(secret_dir.clone(), true);
    let req = LoginRequest {
        server: &podsync.url(),
        user: USER,
        password: PASSWORD,
        device: "desktop",
        caption: "Earmark test",
        timeout: TIMEOUT,
    };
    let (_, store) = sync::login(&mut lib, &secrets, &req, Utc::now()).expect("login");
    assert_eq!(store, SecretStore::Keyring);
    assert!(files_in(&secret_dir).is_empty(), "{:?}", files_in(&secret_dir));
    assert!(
        !keyring
            .stored_bytes()
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the keyring's files show the password in clear"
    );
    // A sync reads it back from the keyring.
    let resolver = Resolver::new(
        Fetcher::new(FetchConfig::default()).expect("fetcher"),
        url::Url::parse("http://127.0.0.1:9/").expect("url"),
    );
    sync::sync(&mut lib, &secrets, &resolver, TIMEOUT, Utc::now()).expect("sync through the keyring's password");

    // Logging out takes it out of the keyring: a sync then says to log in.
    sync::logout(&mut lib, &secrets).expect("logout");
    assert!(
        secrets.load(&podsync.url(), USER).is_err(),
        "the keyring still holds it"
    );

    // With the desktop session gone, the same login keeps it in a file only the user can read.
    keyring.stop();
    let (_, store) = sync::login(&mut lib, &secrets, &req, Utc::now()).expect("login without a keyring");
    let SecretStore::File(path) = store else {
        panic!("{store:?}")
    };
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
    sync::sync(&mut lib, &secrets, &resolver, TIMEOUT, Utc::now()).expect("sync through the file's password");
}
