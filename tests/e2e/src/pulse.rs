//! A private PulseAudio server with one null sink, for tests that need a real audio device that
//! plays in real time (ALSA's null device swallows audio at full speed, so it proves nothing about
//! timing). Programs reach it through ALSA's pulse plugin with `ALSA_CONFIG_PATH` set to
//! [`Pulse::alsa_conf`]. Shared by the CLI's playback tests and the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running server; stopped on drop.
pub struct Pulse {
    child: Child,
    /// An ALSA configuration whose default device is this server.
    pub alsa_conf: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server (panics with a clear message when pulseaudio is not installed).
pub fn start_pulse() -> Pulse {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let run = dir.path().join("run");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&run).expect("run");
    let socket = dir.path().join("native");
    let child = Command::new("pulseaudio")
        .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no"])
        .args(["-L", "module-null-sink sink_name=nullsink"])
        .arg("-L")
        .arg(format!(
            "module-native-protocol-unix auth-anonymous=1 socket={}",
            socket.display()
        ))
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &run)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pulseaudio must be installed for this test (scripts/setup installs it)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "pulseaudio did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let alsa_conf = dir.path().join("asound.conf");
    std::fs::write(&alsa_conf, alsa_config(&socket)).expect("alsa conf");
    Pulse {
        child,
        alsa_conf,
        _dir: dir,
    }
}

/// An ALSA configuration that sends the default device to the PulseAudio server at `socket`.
pub fn alsa_config(socket: &Path) -> String {
    format!(
        "</usr/share/alsa/alsa.conf>\npcm.!default {{ type pulse server \"unix:{s}\" }}\nctl.!default {{ type pulse server \"unix:{s}\" }}\n",
        s = socket.display()
    )
}
