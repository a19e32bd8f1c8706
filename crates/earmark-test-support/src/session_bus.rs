//! A private D-Bus session bus, and a real Secret Service keyring on it (gnome-keyring-daemon, as
//! on a GNOME desktop), for the tests of what the app does on a desktop session: the media keys
//! (MPRIS) and the sync password in the keyring. Both are installed by `scripts/setup`; both stop
//! when dropped, and nothing outside the test's temporary folders is touched.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running session bus.
pub struct SessionBus {
    /// The value for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    child: Child,
    _config: tempfile::TempDir,
}

/// A session bus that starts nothing on demand: the stock session configuration would launch the
/// desktop's own services (a keyring in the real home folder) when a test names them.
const CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// Starts a private `dbus-daemon` session bus with no service activation, and reads the address
/// it listens on.
pub fn start_session_bus() -> SessionBus {
    let config = tempfile::tempdir().expect("tempdir");
    let file = config.path().join("session.conf");
    std::fs::write(&file, CONFIG).expect("bus config");
    let mut child = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", file.display()))
        .args(["--nofork", "--nopidfile", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon must be installed (scripts/setup installs it)");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("dbus-daemon address");
    let address = line.trim().to_owned();
    assert!(address.starts_with("unix:"), "unexpected bus address {address:?}");
    SessionBus {
        address,
        child,
        _config: config,
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// gnome-keyring-daemon serving `org.freedesktop.secrets` on a private bus, with an unlocked
/// login keyring kept in a temporary home.
pub struct SecretService {
    child: Child,
    home: tempfile::TempDir,
}

impl SecretService {
    /// Starts the keyring on `bus`, its login keyring unlocked with `password`, and waits until it
    /// answers on the bus.
    pub fn start(bus: &SessionBus, password: &str) -> SecretService {
        let home = tempfile::tempdir().expect("tempdir");
        let runtime = home.path().join("run");
        std::fs::create_dir_all(&runtime).expect("runtime dir");
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon must be installed (scripts/setup installs it)");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(password.as_bytes());
        }
        let service = SecretService { child, home };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !service.answers(bus) {
            assert!(Instant::now() < deadline, "the keyring did not come up on the bus");
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    fn answers(&self, bus: &SessionBus) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    }

    /// Every byte the keyring keeps on disk (its files are encrypted: a secret must not show).
    pub fn stored_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stack = vec![self.home.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.extend(bytes);
                }
            }
        }
        out
    }

    /// Stops the keyring (a desktop session that ended).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
