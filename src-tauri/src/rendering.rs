//! How WebKitGTK draws the window. With no GPU (no DRM render node: a virtual machine, a remote
//! session, Xvfb) WebKit's accelerated compositing falls back to OpenGL emulated on the CPU, which
//! on our 2-core reference machine costs about 90 MB of memory, 170 ms at start and doubles every
//! scroll frame (start-up bench). There the window starts with compositing off (the web view's
//! hardware-acceleration policy "never"), and turns it on for good the first time a video's
//! picture is shown: without compositing, WebKit 2.50's video sink holds its preroll lock while it
//! waits for the page's thread to paint, and a seek, pause, rate change or teardown from that
//! thread froze the whole window (about one picture test run in six). With compositing its frames
//! go to the compositor instead, and none of about 90 looped runs of the picture tests froze.
//! Waiting costs little: GDK's GL stays on (compositing needs it) and the start-up bench's first
//! list moved from 634 to 598 ms (noise), the time before the page loads from 308 to 338 ms, PSS
//! from 232 to 245 MB; scroll frames are unchanged until a picture shows.
//!
//! A machine with a GPU keeps compositing throughout, and a `WEBKIT_DISABLE_COMPOSITING_MODE` the
//! user set is always left as it is (the picture pane then steps its `<video>` by seeks rather
//! than changing its rate, which avoids most of the freezes).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// The variable WebKitGTK reads.
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// GTK 3's GL switch. On X11, GDK looks for GLX visuals as the display opens, which with no GPU
/// loads Mesa's software driver and LLVM into the app's process. It is turned off only where
/// compositing can never be on: WebKit composites through GDK's GL (with `GDK_GL=disable` a
/// policy of "always" reads back as "never"), so a window that may show a picture keeps it.
const GDK_GL: &str = "GDK_GL";

/// How the window composites, as [`choose`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A GPU: WebKit composites as it likes.
    Gpu,
    /// No GPU: off until a picture is shown, then on.
    OnForPictures,
    /// The user turned compositing off: it stays off.
    Off,
}

static MODE: AtomicU8 = AtomicU8::new(0);
static PICTURE_ON: AtomicBool = AtomicBool::new(false);

impl Mode {
    fn code(self) -> u8 {
        match self {
            Mode::Gpu => 0,
            Mode::OnForPictures => 1,
            Mode::Off => 2,
        }
    }

    fn from_code(code: u8) -> Mode {
        match code {
            1 => Mode::OnForPictures,
            2 => Mode::Off,
            _ => Mode::Gpu,
        }
    }
}

/// Whether `dri` (normally `/dev/dri`) holds no render node, so any OpenGL would run on the CPU.
fn no_render_node(dri: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dri) else {
        return true;
    };
    !entries
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
}

/// What to do given whether there is a GPU and the user's own `WEBKIT_DISABLE_COMPOSITING_MODE`
/// (WebKit reads anything but "0" as "off").
fn decide(gpu: bool, user_setting: Option<&std::ffi::OsStr>) -> Mode {
    match user_setting {
        Some(v) if v != "0" => Mode::Off,
        Some(_) => Mode::Gpu,
        None if gpu => Mode::Gpu,
        None => Mode::OnForPictures,
    }
}

/// Decides how the window composites (see [`Mode`]), leaving alone each variable the user set.
/// Call before any thread starts: it may set an environment variable.
pub fn choose() {
    let mode = decide(
        !no_render_node(Path::new("/dev/dri")),
        std::env::var_os(DISABLE_COMPOSITING).as_deref(),
    );
    MODE.store(mode.code(), Ordering::Relaxed);
    if mode == Mode::Off && std::env::var_os(GDK_GL).is_none() {
        std::env::set_var(GDK_GL, "disable");
    }
    if mode == Mode::OnForPictures {
        tracing::info!("no GPU render node: WebKit draws without accelerated compositing until a picture shows");
    }
}

/// The mode [`choose`] decided.
pub fn mode() -> Mode {
    Mode::from_code(MODE.load(Ordering::Relaxed))
}

/// Whether a picture is drawn through WebKit's compositor once it shows: everywhere but where
/// the user turned compositing off.
pub fn composited() -> bool {
    mode() != Mode::Off
}

/// Whether the picture's `<video>` may play at the engine's speed: only with a GPU. Without one
/// it plays natively at 1x and is stepped by seeks at other speeds. With compositing off a rate
/// change can freeze the page (see the module's note); with compositing emulated on the CPU the
/// element's clock runs up to half a second ahead of the frames shown at 2x, so correcting by it
/// pulled the picture back and forth (2 of 3 screenshots 0.5 s off in one run of ten).
pub fn native_rate() -> bool {
    mode() == Mode::Gpu
}

/// Sets the window's starting policy: compositing off where it waits for a picture. Call right
/// after the window is built, before its page has drawn.
pub fn start(window: &tauri::WebviewWindow) {
    if mode() == Mode::OnForPictures {
        set_policy(window, webkit2gtk::HardwareAccelerationPolicy::Never);
    }
}

/// Turns compositing on for good before a picture shows (where it waits for one). It runs on the
/// window's thread ahead of the answer that gives the page the picture's address, so the
/// `<video>` is made composited.
pub fn picture_ahead(window: &tauri::WebviewWindow) {
    if mode() == Mode::OnForPictures && !PICTURE_ON.swap(true, Ordering::Relaxed) {
        tracing::info!("a picture shows: WebKit composites from now on");
        set_policy(window, webkit2gtk::HardwareAccelerationPolicy::Always);
    }
}

fn set_policy(window: &tauri::WebviewWindow, policy: webkit2gtk::HardwareAccelerationPolicy) {
    let done = window.with_webview(move |view| {
        use webkit2gtk::{SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&view.inner()) {
            settings.set_hardware_acceleration_policy(policy);
        }
    });
    if let Err(e) = done {
        tracing::warn!("could not set WebKit's compositing: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_render_node_counts_as_a_gpu() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(no_render_node(&dir.path().join("absent")), "no /dev/dri at all");
        assert!(no_render_node(dir.path()), "an empty /dev/dri");
        std::fs::write(dir.path().join("card0"), b"").expect("card");
        assert!(no_render_node(dir.path()), "a display card alone renders nothing");
        std::fs::write(dir.path().join("renderD128"), b"").expect("render node");
        assert!(!no_render_node(dir.path()));
    }

    #[test]
    fn the_user_s_setting_wins_and_no_gpu_waits_for_a_picture() {
        use std::ffi::OsStr;
        assert_eq!(decide(true, None), Mode::Gpu);
        assert_eq!(decide(false, None), Mode::OnForPictures);
        assert_eq!(decide(false, Some(OsStr::new("1"))), Mode::Off);
        assert_eq!(decide(true, Some(OsStr::new("yes"))), Mode::Off);
        assert_eq!(
            decide(false, Some(OsStr::new("0"))),
            Mode::Gpu,
            "\"0\" asks for compositing"
        );
        for m in [Mode::Gpu, Mode::OnForPictures, Mode::Off] {
            assert_eq!(Mode::from_code(m.code()), m);
        }
    }
}
