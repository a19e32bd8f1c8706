//! Syncing in the app: a thread that runs gPodder sync (`earmark_core::sync`) and the shared
//! archive (`earmark_core::share`) on a timer, after each refresh, when playback pauses and after
//! each bookmark or link decision (each a "poke", gathered for a few seconds so a burst syncs
//! once), and the commands Settings uses. This only decides when, and tells the window.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use earmark_core::config::Config;
use earmark_core::share::{self, KeptDoc, ShareReport, ShareStatus};
use earmark_core::sync::{self, Account, SyncReport, SyncStatus};
use earmark_core::Library;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::access::{blocking, now, read, Res};
use crate::ipc::ApiError;
use crate::AppState;

/// How often the app syncs with nothing else asking.
const EVERY: Duration = Duration::from_secs(15 * 60);
/// How long pokes are gathered before one sync runs.
const GATHER: Duration = Duration::from_secs(3);
/// How long the shared document is kept after the last share sync. Through a spell of editing (a
/// sync a few seconds after each change) it is loaded once; an app left alone lets it go, as
/// keeping it costs about 100 MB more than loading it each time, at 15,000 shared items.
const KEEP_DOC_FOR: Duration = Duration::from_secs(5 * 60);

/// What the window hears after every sync the app ran by itself or was asked for.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncFinished {
    /// The state Settings shows.
    pub status: SyncStatus,
    /// What the sync did, when it finished.
    pub report: Option<SyncReport>,
    /// Why it stopped, when it did not.
    pub error: Option<ApiError>,
}

/// Held while a sync of either kind runs, so one runs at a time. It also keeps the shared
/// archive's document between share syncs: loading it again would be most of a sync after an
/// edit (about 0.65 s at 15,000 shared items).
type Running = Mutex<Kept>;

/// The shared document the last share sync left, and when that sync ran.
struct Kept {
    doc: Option<KeptDoc>,
    used: Instant,
}

impl Kept {
    /// When the kept document is to be let go, if one is kept.
    fn until(&self) -> Option<Instant> {
        self.doc.as_ref().map(|_| self.used + KEEP_DOC_FOR)
    }
}

/// Lets go of the kept document once no sync has used it for [`KEEP_DOC_FOR`]; returns when the
/// sync thread should next look (the timer's next sync at the latest).
fn forget_unused(running: &Running, next_sync: Instant) -> Instant {
    let mut kept = running.lock().unwrap_or_else(|p| p.into_inner());
    if kept.until().is_some_and(|until| until <= Instant::now()) {
        kept.doc = None;
    }
    kept.until().map_or(next_sync, |until| until.min(next_sync))
}

/// The handle the app keeps: pokes the sync thread; one sync runs at a time.
pub struct Syncer {
    tx: mpsc::Sender<()>,
    running: Arc<Running>,
}

impl Syncer {
    /// Asks for a sync soon (after a refresh, when playback pauses). Never blocks.
    pub fn poke(&self) {
        let _ = self.tx.send(());
    }

    /// A poke for another thread to keep (the player's, on pause).
    pub fn poker(&self) -> impl Fn() + Send + Sync + 'static {
        let tx = self.tx.clone();
        move || {
            let _ = tx.send(());
        }
    }
}

/// Starts the sync thread.
pub fn start(app: AppHandle, config: Config) -> Syncer {
    let (tx, rx) = mpsc::channel::<()>();
    let running = Arc::new(Mutex::new(Kept {
        doc: None,
        used: Instant::now(),
    }));
    let lock = Arc::clone(&running);
    let mut next_sync = Instant::now() + EVERY;
    std::thread::Builder::new()
        .name("earmark-sync".into())
        .spawn(move || loop {
            let wake = forget_unused(&lock, next_sync);
            match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(()) => loop {
                    match rx.recv_timeout(GATHER) {
                        Ok(()) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                },
                // Woken to let go of the kept document, not yet time to sync.
                Err(RecvTimeoutError::Timeout) if Instant::now() < next_sync => continue,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            next_sync = Instant::now() + EVERY;
            if let Err(e) = run_once(&app, &config, &lock) {
                tracing::info!("sync: {}", e.message);
            }
            if let Err(e) = share_once(&app, &config, &lock) {
                tracing::info!("share: {}", e.message);
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::warn!("no background sync: {e}"));
    Syncer { tx, running }
}

/// Syncs once if an account is set up, on a connection of its own, and tells the window.
fn run_once(app: &AppHandle, config: &Config, running: &Running) -> Result<Option<SyncReport>, ApiError> {
    run_and_tell(
        app,
        config,
        running,
        "sync-finished",
        |lib| Ok(lib.sync_status()?.account.is_some()),
        |lib| lib.sync_status(),
        |lib, _| sync::sync(lib, &config.secrets(), &config.resolver()?, config.fetch.timeout, now()),
        |status, report, error| SyncFinished { status, report, error },
    )
}

/// One background sync of either kind: if it is set up, run it on a connection of its own, one at
/// a time, and push `event` with the state after it, what it did or why it stopped.
#[allow(clippy::too_many_arguments)]
fn run_and_tell<S, R: Clone, P: Serialize + Clone>(
    app: &AppHandle,
    config: &Config,
    running: &Running,
    event: &str,
    set_up: impl Fn(&Library) -> earmark_core::Result<bool>,
    status: impl Fn(&Library) -> earmark_core::Result<S>,
    run: impl FnOnce(&mut Library, &mut Kept) -> earmark_core::Result<R>,
    payload: impl FnOnce(S, Option<R>, Option<ApiError>) -> P,
) -> Result<Option<R>, ApiError> {
    let mut kept = running.lock().unwrap_or_else(|p| p.into_inner());
    let mut lib = Library::open(&config.library_dir)?;
    if !set_up(&lib)? {
        return Ok(None);
    }
    let (report, error) = match run(&mut lib, &mut kept) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(ApiError::from(e))),
    };
    let _ = app.emit(event, payload(status(&lib)?, report.clone(), error.clone()));
    match error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// What the window hears after every sync of the shared archive.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ShareFinished {
    /// The state Settings shows.
    pub status: ShareStatus,
    /// What the sync did, when it finished.
    pub report: Option<ShareReport>,
    /// Why it stopped, when it did not.
    pub error: Option<ApiError>,
}

/// Syncs the shared archive once if this library shares one, and tells the window.
fn share_once(app: &AppHandle, config: &Config, running: &Running) -> Result<Option<ShareReport>, ApiError> {
    run_and_tell(
        app,
        config,
        running,
        "share-finished",
        |lib| Ok(lib.share_status()?.shared),
        |lib| lib.share_status(),
        |lib, kept| {
            let report = share::sync_keeping(lib, &mut kept.doc, now())?;
            kept.used = Instant::now();
            // Each sync that changed something adds a file; past a few hundred the folder is
            // compacted, so a team's folder never grows without end.
            share::tidy(lib, now())?;
            Ok(report)
        },
        |status, report, error| ShareFinished { status, report, error },
    )
}

/// The shared archive's state.
#[tauri::command]
pub async fn share_status(state: State<'_, Arc<AppState>>) -> Res<ShareStatus> {
    read(&state, |lib| lib.share_status()).await
}

/// Starts a shared archive named `name` in `folder`: a folder the team syncs, or a sync server.
#[tauri::command]
pub async fn share_create(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    folder: String,
    name: String,
    person: String,
) -> Res<ShareReport> {
    start_sharing(app, &state, move |lib| {
        share::create(lib, Path::new(folder.trim()), name.trim(), &person, now())
    })
    .await
}

/// Joins the shared archive in `folder`, or at the sync server's address a teammate gave.
#[tauri::command]
pub async fn share_join(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    folder: String,
    person: String,
) -> Res<ShareReport> {
    start_sharing(app, &state, move |lib| {
        share::join(lib, Path::new(folder.trim()), &person, now())
    })
    .await
}

/// Creates or joins (`start`) with the sync lock held, then tells the window what the archive
/// now holds.
async fn start_sharing(
    app: AppHandle,
    state: &Arc<AppState>,
    start: impl FnOnce(&mut Library) -> earmark_core::Result<ShareReport> + Send + 'static,
) -> Res<ShareReport> {
    let state = Arc::clone(state);
    blocking(move || {
        let _one_at_a_time = state.sync.running.lock().unwrap_or_else(|p| p.into_inner());
        let mut lib = Library::open(&state.config.library_dir)?;
        let report = start(&mut lib)?;
        let _ = app.emit(
            "share-finished",
            ShareFinished {
                status: lib.share_status()?,
                report: Some(report.clone()),
                error: None,
            },
        );
        Ok(report)
    })
    .await
}

/// Syncs the shared archive now.
#[tauri::command]
pub async fn share_now(app: AppHandle, state: State<'_, Arc<AppState>>) -> Res<Option<ShareReport>> {
    let state = Arc::clone(&state);
    blocking(move || share_once(&app, &state.config, &state.sync.running)).await
}

/// Stops sharing (the library keeps everything).
#[tauri::command]
pub async fn share_leave(state: State<'_, Arc<AppState>>) -> Res<()> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        Ok(share::leave(&mut lib)?)
    })
    .await
}

/// The account, the last sync and what waits.
#[tauri::command]
pub async fn sync_status(state: State<'_, Arc<AppState>>) -> Res<SyncStatus> {
    read(&state, |lib| lib.sync_status()).await
}

/// What the window's login form sends: named, so three strings cannot change places.
// No `Debug`: it holds the password, which must never reach a log.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct Login {
    /// The server's base URL.
    pub server: String,
    /// The user name.
    pub user: String,
    /// The password or app password.
    pub password: String,
}

/// Logs in (the server's API is found from its answers), then syncs in the background.
#[tauri::command]
pub async fn sync_login(state: State<'_, Arc<AppState>>, login: Login) -> Res<Account> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        let host = sync::host_name();
        let caption = sync::device_caption(&host);
        let req = sync::LoginRequest {
            server: &login.server,
            user: &login.user,
            password: &login.password,
            device: &sync::device_id_for(&host),
            caption: &caption,
            timeout: state.config.fetch.timeout,
        };
        let (account, _) = sync::login(&mut lib, &state.config.secrets(), &req, now())?;
        state.sync.poke();
        Ok(account)
    })
    .await
}

/// Forgets the account and its password.
#[tauri::command]
pub async fn sync_logout(state: State<'_, Arc<AppState>>) -> Res<()> {
    let state = Arc::clone(&state);
    blocking(move || {
        let mut lib = Library::open(&state.config.library_dir)?;
        Ok(sync::logout(&mut lib, &state.config.secrets())?)
    })
    .await
}

/// Syncs now and says what happened ("Sync now" in Settings).
#[tauri::command]
pub async fn sync_now(app: AppHandle, state: State<'_, Arc<AppState>>) -> Res<Option<SyncReport>> {
    let state = Arc::clone(&state);
    blocking(move || run_once(&app, &state.config, &state.sync.running)).await
}
