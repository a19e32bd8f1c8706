//! How WebKitGTK draws the window. With no GPU (no DRM render node: a virtual machine, a remote
//! session, Xvfb) WebKit's accelerated compositing falls back to OpenGL emulated on the CPU, which
//! on our 2-core reference machine costs about 90 MB of memory, 170 ms at start and doubles every
//! scroll frame (start-up bench). There the app asks WebKit for its plain software path instead.
//! A machine with a GPU keeps compositing, and a `WEBKIT_DISABLE_COMPOSITING_MODE` the user set
//! is always left as it is.

use std::path::Path;

/// The variable WebKitGTK reads.
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// GTK 3's GL switch. On X11, GDK looks for GLX visuals as the display opens, which with no GPU
/// loads Mesa's software driver and LLVM into the app's process: about 90 ms of every start on
/// our 2-core machine (start-up bench, 1,614 → 1,530 ms to the first list), for GL nothing in
/// the app uses once compositing is off.
const GDK_GL: &str = "GDK_GL";

/// Whether `dri` (normally `/dev/dri`) holds no render node, so any OpenGL would run on the CPU.
fn no_render_node(dri: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dri) else {
        return true;
    };
    !entries
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
}

/// Turns accelerated compositing (and GDK's GL) off when there is no GPU to do it, leaving
/// alone each variable the user set. Call before any thread starts: it sets environment
/// variables.
pub fn choose() {
    if !no_render_node(Path::new("/dev/dri")) {
        return;
    }
    if std::env::var_os(DISABLE_COMPOSITING).is_none() {
        tracing::info!("no GPU render node: WebKit draws without accelerated compositing");
        std::env::set_var(DISABLE_COMPOSITING, "1");
    }
    // Only when compositing is off: WebKit's compositing would need GL.
    if !composited() && std::env::var_os(GDK_GL).is_none() {
        std::env::set_var(GDK_GL, "disable");
    }
}

/// Whether WebKit composites (after [`choose`]): it does unless the variable is set to anything
/// but "0", as WebKit reads it. Without compositing WebKit's video sink waits on the page's
/// thread for each frame, and a rate change pushed through a playing pipeline from that thread
/// can deadlock the page (seen here with WebKitGTK 2.50): the picture pane then follows other
/// speeds by stepping instead of changing the `<video>`'s rate.
pub fn composited() -> bool {
    std::env::var_os(DISABLE_COMPOSITING).is_none_or(|v| v == "0")
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
}
