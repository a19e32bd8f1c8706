//! How WebKitGTK draws the window. With no GPU (no DRM render node: a virtual machine, a remote
//! session, Xvfb) WebKit's accelerated compositing falls back to OpenGL emulated on the CPU, which
//! on our 2-core reference machine costs about 90 MB of memory, 170 ms at start and doubles every
//! scroll frame (start-up bench). There the app asks WebKit for its plain software path instead.
//! A machine with a GPU keeps compositing, and a `WEBKIT_DISABLE_COMPOSITING_MODE` the user set
//! is always left as it is.

use std::path::Path;

/// The variable WebKitGTK reads.
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Whether `dri` (normally `/dev/dri`) holds no render node, so any OpenGL would run on the CPU.
fn no_render_node(dri: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dri) else {
        return true;
    };
    !entries
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
}

/// Turns accelerated compositing off when there is no GPU to do it and the user has not chosen.
/// Call before any thread starts: it sets an environment variable.
pub fn choose() {
    if std::env::var_os(DISABLE_COMPOSITING).is_some() {
        return;
    }
    if no_render_node(Path::new("/dev/dri")) {
        tracing::info!("no GPU render node: WebKit draws without accelerated compositing");
        std::env::set_var(DISABLE_COMPOSITING, "1");
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
