//! The Earmark desktop app: a Tauri window over earmark-core. This crate only wires things up:
//! state, commands (in `commands`), the window and its navigation rules.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod access;
mod applink;
mod archive;
mod commands;
mod cover;
mod docimg;
mod downloads;
mod ipc;
mod local;
mod marks;
mod mpris;
mod player;
mod playlists;
mod remoteimg;
mod rendering;
mod sound;
mod sync;
mod video_server;
mod waveform;

use std::sync::{Arc, Mutex};

use earmark_core::config::Config;
use earmark_core::Library;
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};

/// What every command can reach: the settings and the app's own library connection (for quick
/// reads; long work opens its own connection so the UI never waits on the network).
pub struct AppState {
    /// Where the library is and which limits apply.
    pub config: Config,
    /// The connection reads go through.
    pub library: Mutex<Library>,
    /// The connection the window's small writes go through (see `access`).
    pub writer: Mutex<Library>,
    /// The playback engine (its own thread).
    pub player: earmark_player::engine::Engine,
    /// The download manager (its own worker threads).
    pub downloads: earmark_core::download::queue::DownloadQueue,
    /// The last waveform computed, for zooming.
    pub peaks: waveform::PeaksCache,
    /// The background gPodder sync.
    pub sync: sync::Syncer,
    /// The `earmark://` link the app was started with, if any.
    pub startup_link: Option<applink::OpenAt>,
    /// The playlist playback moves on within, if any.
    pub playing_from: player::PlayingFrom,
    /// Measures the loudness of episodes once they are on this computer.
    pub measurer: sound::Measurer,
    /// Serves video episodes' pictures to the webview (none if it could not start).
    pub video: Option<video_server::VideoServer>,
    /// The episode the engine has loaded.
    pub now_playing: player::NowPlaying,
}

/// The `earmark://` link the app was started with, for the window to open once it is ready.
#[tauri::command]
fn startup_link(state: tauri::State<'_, Arc<AppState>>) -> Option<applink::OpenAt> {
    state.startup_link
}

/// The windows only ever show the app itself; links go to the system browser.
fn app_only(url: &url::Url) -> bool {
    matches!(url.scheme(), "tauri") || url.host_str() == Some("tauri.localhost")
}

/// Opens the app's two connections (see `access`); the first upgrades an older library.
fn open_both(config: &Config) -> earmark_core::Result<(Library, Library)> {
    let reads = Library::open_reporting(&config.library_dir, &mut |u| {
        tracing::info!(from = u.from, to = u.to, "upgrading the library's schema (once)");
    })?;
    Ok((reads, Library::open(&config.library_dir)?))
}

/// What the app needs to start once its library is open.
struct Start {
    config: Config,
    link: Option<earmark_core::applink::AppLink>,
    listener: Option<std::os::unix::net::UnixListener>,
}

impl Start {
    /// Starts the player, the downloads and the link listener, and opens the window.
    fn run(self, app: &tauri::AppHandle, library: Library, writer: Library) -> anyhow::Result<()> {
        let Start { config, link, listener } = self;
        let skip = library.skip_lengths().unwrap_or_else(|e| {
            tracing::warn!("reading the skip lengths failed: {e}; using the defaults");
            earmark_core::skip::SkipLengths::default()
        });
        let syncer = sync::start(app.clone(), config.clone());
        let playing_from = player::PlayingFrom::default();
        let playing_stream = video_server::PlayingStream::default();
        let now_playing = player::NowPlaying::default();
        let player = player::start(
            app.clone(),
            config.library_dir.clone(),
            skip,
            playing_from.clone(),
            (playing_stream.clone(), now_playing.clone()),
            syncer.poker(),
        );
        let measurer = sound::Measurer::start(config.library_dir.clone(), player.clone(), now_playing.clone());
        // Without it video episodes play as sound, as they did before the picture pane.
        let video = video_server::VideoServer::start(config.library_dir.clone(), playing_stream)
            .map_err(|e| tracing::warn!("no video pictures: {e}"))
            .ok();
        let downloads = downloads::start(app.clone(), &config, measurer.clone())?;
        let state = Arc::new(AppState {
            config,
            library: Mutex::new(library),
            writer: Mutex::new(writer),
            player,
            downloads,
            peaks: waveform::PeaksCache::default(),
            sync: syncer,
            startup_link: link.map(applink::OpenAt::from),
            playing_from,
            measurer,
            video,
            now_playing,
        });
        app.manage(Arc::clone(&state));
        if let Some(l) = listener {
            applink::serve(app.clone(), l);
        }
        let window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
            .title("Earmark")
            .inner_size(1200.0, 760.0)
            .min_inner_size(760.0, 480.0)
            // The window only ever shows the app itself; links go to the system browser.
            .on_navigation(app_only)
            .build()?;
        rendering::start(&window);
        downloads::resume(state);
        Ok(())
    }
}

/// The version people see in `earmark --version`, the About box and the package.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> anyhow::Result<()> {
    // Answered before any window, library or lock is touched, so it works beside a running app.
    if std::env::args().skip(1).any(|a| a == "--version" || a == "-V") {
        println!("Earmark {VERSION}");
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("EARMARK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    rendering::choose();
    let config = Config::from_env(None)?;
    // A link for a window already open is handed over before anything else is done.
    let link = applink::from_args();
    let listener = match applink::claim(&config.library_dir, link) {
        Ok(applink::Instance::Forwarded) => {
            tracing::info!("Earmark is already open; the link went to its window");
            return Ok(());
        }
        Ok(applink::Instance::First(l)) => Some(l),
        Err(e) => {
            tracing::warn!("earmark:// links from other starts will not reach this window: {e}");
            None
        }
    };
    // A current library opens here, so a failure is said on the terminal before any window; an
    // older one is opened (upgraded) behind a window that says so.
    let opened = Library::pending_upgrade(&config.library_dir)
        .and_then(|upgrade| match upgrade {
            Some(_) => Ok(None),
            None => open_both(&config).map(Some),
        })
        .inspect_err(|_| applink::release(&config.library_dir))?;
    let library_dir = config.library_dir.clone();
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol("cover", cover::serve)
        .register_asynchronous_uri_scheme_protocol("docimg", docimg::serve)
        .register_asynchronous_uri_scheme_protocol("remoteimg", remoteimg::serve)
        .invoke_handler(tauri::generate_handler![
            commands::list_podcasts,
            commands::list_episodes,
            commands::get_episode,
            commands::subscribe,
            commands::subscribe_default,
            commands::refresh_all,
            commands::search,
            commands::open_link,
            commands::library_info,
            player::play_episode,
            player::player_command,
            player::set_played,
            player::episode_chapters,
            commands::queue_list,
            commands::queue_edit,
            startup_link,
            commands::set_auto_download,
            commands::storage,
            playlists::list_playlists,
            playlists::playlist_episodes,
            playlists::create_playlist,
            playlists::edit_playlist,
            playlists::listening_stats,
            sound::podcast_sound,
            sound::set_podcast_sound,
            sound::even_loudness,
            sound::set_even_loudness,
            local::import_local,
            video_server::episode_video,
            downloads::download_episodes,
            downloads::pause_download,
            downloads::delete_download,
            downloads::list_downloads,
            archive::add_source,
            archive::add_pages,
            archive::list_documents,
            archive::document_window,
            archive::get_document,
            archive::set_remote_images,
            archive::document_links,
            archive::list_sources,
            archive::list_collections,
            archive::collection_view,
            archive::collection_move,
            archive::collection_remove,
            archive::item_tags,
            archive::edit_tags,
            archive::episode_links,
            archive::decide_link,
            archive::review_queue,
            archive::relink_all,
            archive::archive_images,
            marks::list_bookmarks,
            marks::bookmark_window,
            marks::add_bookmark,
            marks::edit_bookmark,
            marks::delete_bookmark,
            marks::export_bookmarks,
            marks::episode_transcript,
            waveform::episode_waveform,
            waveform::waveform_range,
            waveform::export_clip,
            player::skip_lengths,
            player::set_skip_lengths,
            sync::sync_status,
            sync::sync_login,
            sync::sync_logout,
            sync::sync_now,
            sync::share_status,
            sync::share_create,
            sync::share_join,
            sync::share_now,
            sync::share_leave,
        ])
        .setup(move |app| {
            let start = Start { config, link, listener };
            if let Some((library, writer)) = opened {
                return Ok(start.run(app.handle(), library, writer)?);
            }
            // An older library: a window says what is happening while a thread upgrades it
            // (seconds for a big one); then the app's window takes its place.
            let splash = WebviewWindowBuilder::new(app, "upgrading", WebviewUrl::App("upgrading.html".into()))
                .title("Earmark: upgrading your library")
                .inner_size(480.0, 220.0)
                .resizable(false)
                .on_navigation(app_only)
                .build()?;
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("earmark-upgrade".into())
                .spawn(move || {
                    // A panic in the upgrade is an error like any other: the window must not wait forever.
                    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_both(&start.config)))
                        .unwrap_or_else(|_| {
                            Err(earmark_core::Error::Invalid(
                                "the upgrade stopped unexpectedly; the library is as it was before the step that failed".into(),
                            ))
                        });
                    let main = handle.clone();
                    let posted = handle.run_on_main_thread(move || {
                        let started = opened
                            .map_err(anyhow::Error::from)
                            .and_then(|(l, w)| start.run(&main, l, w));
                        match started {
                            Ok(()) => {
                                let _ = splash.close();
                            }
                            // Said in the window (a desktop launcher shows no terminal); closing it quits.
                            Err(e) => {
                                tracing::error!("the library could not be opened: {e:#}");
                                eprintln!("Error: {e:#}");
                                let said = serde_json::to_string(&format!("{e:#}")).unwrap_or_default();
                                let _ = splash.set_title("Earmark: the library could not be upgraded");
                                let _ = splash.eval(format!(
                                    "document.querySelector('h1').textContent = 'Your library could not be upgraded'; \
                                     document.querySelector('p').textContent = 'The step that failed changed nothing. Close this window; \
                                     keep the error below for a report.'; \
                                     const pre = document.createElement('pre'); pre.className = 'error'; pre.textContent = {said}; \
                                     document.querySelector('.progress').replaceWith(pre);"
                                ));
                            }
                        }
                    });
                    if let Err(e) = posted {
                        tracing::error!("could not start the window after the upgrade: {e}");
                    }
                })?;
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))?
        .run(move |_, event| {
            if let tauri::RunEvent::Exit = event {
                applink::release(&library_dir);
            }
        });
    Ok(())
}
