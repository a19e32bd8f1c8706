// The only module that talks to Tauri. Everything else calls these typed functions, whose
// types are generated from the Rust side (src/bindings, written by `cargo test`).
import type { EpisodeId } from "./bindings/EpisodeId";
import type { PodcastId } from "./bindings/PodcastId";
import type { PlaylistId } from "./bindings/PlaylistId";
import type { DocumentId } from "./bindings/DocumentId";
import type { CollectionId } from "./bindings/CollectionId";
import type { BookmarkId } from "./bindings/BookmarkId";
import type { SourceId } from "./bindings/SourceId";
import type { Episode } from "./bindings/Episode";
import type { Window } from "./bindings/Window";
import type { EpisodeDetail } from "./bindings/EpisodeDetail";
import type { Podcast } from "./bindings/Podcast";
import type { RefreshReport } from "./bindings/RefreshReport";
import type { SearchHit } from "./bindings/SearchHit";
import type { Subscription } from "./bindings/Subscription";
import type { ApiError } from "./bindings/ApiError";
import type { LibraryInfo } from "./bindings/LibraryInfo";
import type { RefreshProgress } from "./bindings/RefreshProgress";
import type { PlayerStatus } from "./bindings/PlayerStatus";
import type { PlayerCommand } from "./bindings/PlayerCommand";
import type { SkipLengths } from "./bindings/SkipLengths";
import type { PlayerError } from "./bindings/PlayerError";
import type { QueueEdit } from "./bindings/QueueEdit";
import type { ChapterInfo } from "./bindings/ChapterInfo";
import type { DownloadEvent } from "./bindings/DownloadEvent";
import type { Source } from "./bindings/Source";
import type { SourceReport } from "./bindings/SourceReport";
import type { PageOutcome } from "./bindings/PageOutcome";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { DocumentDetail } from "./bindings/DocumentDetail";
import type { Tagged } from "./bindings/Tagged";
import type { TagsView } from "./bindings/TagsView";
import type { DocumentLink } from "./bindings/DocumentLink";
import type { EpisodeLink } from "./bindings/EpisodeLink";
import type { Collection } from "./bindings/Collection";
import type { CollectionView } from "./bindings/CollectionView";
import type { ReviewItem } from "./bindings/ReviewItem";
import type { RelinkReport } from "./bindings/RelinkReport";
import type { LinkDecision } from "./bindings/LinkDecision";
import type { CollectionMember } from "./bindings/CollectionMember";
import type { Bookmark } from "./bindings/Bookmark";
import type { BookmarkRow } from "./bindings/BookmarkRow";
import type { BookmarkFilter } from "./bindings/BookmarkFilter";
import type { BookmarkEdit } from "./bindings/BookmarkEdit";
import type { NewBookmark } from "./bindings/NewBookmark";
import type { TranscriptCue } from "./bindings/TranscriptCue";
import type { WaveSlice } from "./bindings/WaveSlice";
import type { OpenAt } from "./bindings/OpenAt";
import type { ImageOwner } from "./bindings/ImageOwner";
import type { AutoDownload } from "./bindings/AutoDownload";
import type { PodcastStorage } from "./bindings/PodcastStorage";
import type { ArchiveReport } from "./bindings/ArchiveReport";
import type { DownloadRow } from "./bindings/DownloadRow";
import type { Account } from "./bindings/Account";
import type { Login } from "./bindings/Login";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncFinished } from "./bindings/SyncFinished";
import type { ShareStatus } from "./bindings/ShareStatus";
import type { ShareReport } from "./bindings/ShareReport";
import type { ShareFinished } from "./bindings/ShareFinished";
import type { Playlist } from "./bindings/Playlist";
import type { PlaylistEdit } from "./bindings/PlaylistEdit";
import type { SmartRule } from "./bindings/SmartRule";
import type { ListeningStats } from "./bindings/ListeningStats";
import type { PodcastSound } from "./bindings/PodcastSound";
import type { LocalReport } from "./bindings/LocalReport";
import type { EpisodeVideo } from "./bindings/EpisodeVideo";

/** What Tauri injects into every window of ours (`withGlobalTauri` is off, so this is all there is). */
interface TauriInternals {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  transformCallback(handler: (message: unknown) => void, once?: boolean): number;
}

interface EventInternals {
  unregisterListener(event: string, id: number): void;
}

function internals(): TauriInternals {
  const t = (window as unknown as { __TAURI_INTERNALS__?: TauriInternals }).__TAURI_INTERNALS__;
  if (!t) throw new Error("Earmark's window must run inside the Earmark app");
  return t;
}

/**
 * Listens to one of the backend's events. Written here over Tauri's internals rather than through
 * the global API object, so the window carries no `window.__TAURI__` for an injected script to use.
 */
async function listen<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
  const t = internals();
  const callback = t.transformCallback((message) => handler((message as { payload: T }).payload));
  const id = await t.invoke<number>("plugin:event|listen", { event, target: { kind: "Any" }, handler: callback });
  return async () => {
    const events = (window as unknown as { __TAURI_EVENT_PLUGIN_INTERNALS__?: EventInternals })
      .__TAURI_EVENT_PLUGIN_INTERNALS__;
    events?.unregisterListener(event, id);
    await t.invoke<void>("plugin:event|unlisten", { event, eventId: id });
  };
}

/** Turns whatever a command rejected with into an ApiError. */
export function asApiError(e: unknown): ApiError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as ApiError;
  return { code: "internal", message: String(e) };
}

function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  return internals().invoke<T>(cmd, args).catch((e: unknown) => {
    throw asApiError(e);
  });
}

export const api = {
  libraryInfo: () => call<LibraryInfo>("library_info"),
  listPodcasts: () => call<Podcast[]>("list_podcasts"),
  /** One window of a podcast's (or every podcast's) episode list, optionally only the downloaded ones, with the list's length. */
  listEpisodes: (podcastId: PodcastId | null, offlineOnly: boolean, offset: number, limit: number) =>
    call<Window<Episode>>("list_episodes", { podcastId, offlineOnly, offset, limit }),
  getEpisode: (id: EpisodeId) => call<EpisodeDetail>("get_episode", { id }),
  subscribe: (input: string) => call<Subscription>("subscribe", { input }),
  subscribeDefault: () => call<Subscription>("subscribe_default"),
  refreshAll: () => call<RefreshReport[]>("refresh_all"),
  search: (query: string) => call<SearchHit[]>("search", { query }),
  openLink: (url: string) => call<void>("open_link", { url }),
  /** Plays an episode; with `playlist`, playback moves on within that playlist as episodes end. */
  playEpisode: (id: EpisodeId, startSecs: number | null = null, paused = false, playlist: PlaylistId | null = null) =>
    call<void>("play_episode", { id, startSecs, paused, playlist }),
  episodeChapters: (id: EpisodeId) => call<ChapterInfo[]>("episode_chapters", { id }),
  player: (command: PlayerCommand) => call<void>("player_command", { command }),
  skipLengths: () => call<SkipLengths>("skip_lengths"),
  setSkipLengths: (backSecs: number | null, forwardSecs: number | null) =>
    call<SkipLengths>("set_skip_lengths", { backSecs, forwardSecs }),
  setPlayed: (id: EpisodeId, played: boolean) => call<void>("set_played", { id, played }),
  onPlayer: (handler: (s: PlayerStatus) => void) => listen<PlayerStatus>("player", handler),
  onPlayerError: (handler: (e: PlayerError) => void) =>
    listen<PlayerError>("player-error", handler),
  queueList: () => call<Episode[]>("queue_list"),
  queueEdit: (edit: QueueEdit) => call<Episode[]>("queue_edit", { edit }),
  onQueueChanged: (handler: () => void) => listen<null>("queue-changed", () => handler()),
  downloadEpisodes: (ids: EpisodeId[]) => call<void>("download_episodes", { ids }),
  pauseDownload: (id: EpisodeId) => call<boolean>("pause_download", { id }),
  deleteDownload: (id: EpisodeId) => call<boolean>("delete_download", { id }),
  listDownloads: () => call<DownloadRow[]>("list_downloads"),
  onDownload: (handler: (e: DownloadEvent) => void) =>
    listen<DownloadEvent>("download-progress", handler),
  addSource: (url: string, campaign: string | null) => call<SourceReport>("add_source", { url, campaign }),
  addPages: (urls: string[], campaign: string | null) => call<PageOutcome[]>("add_pages", { urls, campaign }),
  listDocuments: (campaign: string | null) => call<DocumentRow[]>("list_documents", { campaign }),
  /** One window of the archive's list (`listDocuments`), with its length. */
  documentWindow: (campaign: string | null, offset: number, limit: number) =>
    call<Window<DocumentRow>>("document_window", { campaign, offset, limit }),
  getDocument: (id: DocumentId) => call<DocumentDetail>("get_document", { id }),
  setRemoteImages: (owner: ImageOwner, on: boolean) => call<void>("set_remote_images", { owner, on }),
  documentLinks: (id: DocumentId) => call<DocumentLink[]>("document_links", { id }),
  listSources: () => call<Source[]>("list_sources"),
  listCollections: () => call<Collection[]>("list_collections"),
  collectionView: (id: CollectionId) => call<CollectionView>("collection_view", { id }),
  collectionMove: (id: CollectionId, member: CollectionMember, to: number) => call<CollectionView>("collection_move", { id, member, to }),
  collectionRemove: (id: CollectionId, member: CollectionMember) => call<CollectionView>("collection_remove", { id, member }),
  itemTags: (on: Tagged) => call<TagsView>("item_tags", { on }),
  editTags: (on: Tagged, add: string[], remove: string[]) => call<TagsView>("edit_tags", { on, add, remove }),
  episodeLinks: (id: EpisodeId) => call<EpisodeLink[]>("episode_links", { id }),
  decideLink: (episode: EpisodeId, doc: DocumentId, decision: LinkDecision) => call<void>("decide_link", { episode, doc, decision }),
  reviewQueue: () => call<ReviewItem[]>("review_queue", { limit: null }),
  relinkAll: () => call<RelinkReport>("relink_all"),
  listBookmarks: (filter: BookmarkFilter) => call<BookmarkRow[]>("list_bookmarks", { filter }),
  /** One window of the bookmarks view, with its length. */
  bookmarkWindow: (filter: BookmarkFilter, offset: number, limit: number) =>
    call<Window<BookmarkRow>>("bookmark_window", { filter, offset, limit }),
  addBookmark: (bookmark: NewBookmark) => call<Bookmark>("add_bookmark", { bookmark }),
  editBookmark: (id: BookmarkId, edit: BookmarkEdit) => call<Bookmark>("edit_bookmark", { id, edit }),
  deleteBookmark: (id: BookmarkId) => call<void>("delete_bookmark", { id }),
  exportBookmarks: (format: "md" | "csv" | "json") => call<string>("export_bookmarks", { format }),
  episodeTranscript: (id: EpisodeId) => call<TranscriptCue[]>("episode_transcript", { id }),
  episodeWaveform: (id: EpisodeId) => call<WaveSlice>("episode_waveform", { id }),
  waveformRange: (id: EpisodeId, start: number, end: number, n: number) => call<WaveSlice>("waveform_range", { id, start, end, n }),
  exportClip: (bookmark: BookmarkId, format: "wav" | "flac") => call<string>("export_clip", { bookmark, format }),
  onWaveform: (handler: (s: WaveSlice) => void) => listen<WaveSlice>("waveform-progress", handler),
  startupLink: () => call<OpenAt | null>("startup_link"),
  onOpenLink: (handler: (o: OpenAt) => void) => listen<OpenAt>("open-link", handler),
  setAutoDownload: (podcastId: PodcastId, policy: AutoDownload) => call<void>("set_auto_download", { podcastId, policy }),
  storage: () => call<PodcastStorage[]>("storage"),
  listPlaylists: () => call<Playlist[]>("list_playlists"),
  playlistEpisodes: (id: number) => call<Episode[]>("playlist_episodes", { id }),
  createPlaylist: (name: string, rule: SmartRule | null) => call<Playlist>("create_playlist", { name, rule }),
  editPlaylist: (id: number, edit: PlaylistEdit) => call<Playlist[]>("edit_playlist", { id, edit }),
  listeningStats: () => call<ListeningStats>("listening_stats"),
  podcastSound: (podcastId: number) => call<PodcastSound>("podcast_sound", { podcastId }),
  setPodcastSound: (podcastId: number, sound: PodcastSound) => call<void>("set_podcast_sound", { podcastId, sound }),
  evenLoudness: () => call<boolean>("even_loudness"),
  episodeVideo: (id: EpisodeId) => call<EpisodeVideo | null>("episode_video", { id }),
  importLocal: (paths: string[], name: string, reference: boolean) => call<LocalReport>("import_local", { paths, name, reference }),
  setEvenLoudness: (on: boolean) => call<void>("set_even_loudness", { on }),
  archiveImages: (source: SourceId | null) => call<ArchiveReport>("archive_images", { source }),
  syncStatus: () => call<SyncStatus>("sync_status"),
  syncLogin: (login: Login) => call<Account>("sync_login", { login }),
  syncLogout: () => call<void>("sync_logout"),
  syncNow: () => call<SyncReport | null>("sync_now"),
  onSyncFinished: (handler: (f: SyncFinished) => void) =>
    listen<SyncFinished>("sync-finished", handler),
  shareStatus: () => call<ShareStatus>("share_status"),
  shareCreate: (folder: string, name: string, person: string) =>
    call<ShareReport>("share_create", { folder, name, person }),
  shareJoin: (folder: string, person: string) => call<ShareReport>("share_join", { folder, person }),
  shareNow: () => call<ShareReport | null>("share_now"),
  shareLeave: () => call<void>("share_leave"),
  onShareFinished: (handler: (f: ShareFinished) => void) =>
    listen<ShareFinished>("share-finished", handler),
  onRefreshProgress: (handler: (p: RefreshProgress) => void) =>
    listen<RefreshProgress>("refresh-progress", handler),
};
