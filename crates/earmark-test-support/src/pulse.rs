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
    /// A low-latency client that keeps the sink busy: an idle null sink works in 2-second blocks,
    /// so a new stream would otherwise stall for a random 0–2 s before it starts.
    keep_busy: Option<Child>,
    /// An ALSA configuration whose default device is this server.
    pub alsa_conf: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Pulse {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the server (panics with a clear message when pulseaudio is not installed).
pub fn start_pulse() -> Pulse {
    let dir = tempfile::tempdir().expect("tempdir");
    let child = spawn(dir.path());
    let keep_busy = keep_busy(&dir.path().join("native"));
    let alsa_conf = dir.path().join("asound.conf");
    std::fs::write(&alsa_conf, alsa_config(&dir.path().join("native"))).expect("alsa conf");
    Pulse {
        child,
        keep_busy,
        alsa_conf,
        dir,
    }
}

impl Pulse {
    /// Stops the server, as when a device is unplugged or the sound server dies.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.keep_busy.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same socket, as when the device comes back.
    pub fn restart(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(self.dir.path().join("native"));
        self.child = spawn(self.dir.path());
        self.keep_busy = keep_busy(&self.dir.path().join("native"));
    }
}

/// Plays silence into the sink with 20 ms latency (pacat, from pulseaudio-utils); without it the
/// tests still work, only with slower, jittery starts.
fn keep_busy(socket: &Path) -> Option<Child> {
    Command::new("pacat")
        .arg(format!("--server=unix:{}", socket.display()))
        .args(["--latency-msec=20", "--raw", "/dev/zero"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

fn spawn(dir: &Path) -> Child {
    let home = dir.join("home");
    let run = dir.join("run");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&run).expect("run");
    let socket = dir.join("native");
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
    child
}

/// An ALSA configuration that sends the default device to the PulseAudio server at `socket`.
pub fn alsa_config(socket: &Path) -> String {
    format!(
        "</usr/share/alsa/alsa.conf>\npcm.!default {{ type pulse server \"unix:{s}\" }}\nctl.!default {{ type pulse server \"unix:{s}\" }}\n",
        s = socket.display()
    )
}
