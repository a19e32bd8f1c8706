// The episodes list: one podcast's, or every podcast's ("All episodes"), and the empty library.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { fmtBytes } from "../format.js";
import { showError, toast } from "../notify.js";
import { isArchive, listPane, podcastTitle, setView, state } from "../state.js";
import { changedLine } from "../sync-text.js";
import { loadArchive } from "./archive.js";
import { showPlaceholder } from "./detail.js";
import { list, type Row } from "./list.js";
import { showImportLocal } from "./local-import.js";
import { loadPlaylist } from "./playlists.js";
import { showQueue } from "./queue.js";
import { loadPodcasts, renderPodcasts, subscribe } from "./sidebar.js";
import type { Page } from "../virtual-list.js";
import type { PodcastSound } from "../bindings/PodcastSound";

export async function selectPodcast(id: number | null): Promise<void> {
  setView({ view: { kind: "episodes" }, podcast: id, searching: false });
  el.search.value = "";
  renderPodcasts();
  await loadEpisodes();
}

/** Reloads the list; `keepPlace` keeps the scroll position and selection (after a state change). */
export async function loadEpisodes(keepPlace = false): Promise<void> {
  if (!state.started) return;
  if (isArchive(state.view)) return loadArchive(keepPlace);
  if (state.view.kind === "queue") return showQueue(keepPlace);
  if (state.view.kind === "playlist") return loadPlaylist(keepPlace);
  if (state.podcasts.length === 0) {
    showEmptyLibrary();
    return;
  }
  const req = listPane.begin(keepPlace);
  keepPlace = req.keepPlace;
  // The list comes by windows: the first one now, the rest as they scroll into view.
  const podcastId = state.current;
  const offlineOnly = el.offlineOnly.checked;
  const load = (offset: number, limit: number): Promise<Page<Row>> =>
    api.listEpisodes(podcastId, offlineOnly, offset, limit).then((w) => ({
      total: w.total,
      offset: w.offset,
      items: w.items.map((episode): Row => ({ kind: "episode", episode })),
    }));
  const want = list.windowToLoad(keepPlace);
  let first: Page<Row>;
  try {
    first = await load(want.offset, want.limit);
  } catch (err) {
    if (req.claim()) showError(err, "Could not read the episodes");
    return;
  }
  if (!req.claim()) return;
  const total = first.total;
  el.listTitle.textContent = podcastId === null ? "All episodes" : podcastTitle(podcastId);
  el.listCount.textContent = `${total.toLocaleString()} episode${total === 1 ? "" : "s"}`;
  const podcast = state.podcasts.find((p) => p.id === podcastId);
  // In a shared archive, who subscribed the team to this show.
  el.listTitle.title = podcast ? changedLine("subscribed", podcast, Date.now()) : "";
  el.autoDownload.hidden = !podcast;
  el.offlineFilter.hidden = false;
  el.reviewEvidence.hidden = true;
  el.podcastSound.hidden = true;
  if (podcast) {
    const a = podcast.auto_download;
    el.autoDownload.value = a.mode === "latest" ? `latest:${a.count}` : a.mode;
    void api.podcastSound(podcast.id).then((s) => {
      if (!req.latest) return;
      shownSound = s;
      showSoundChoice(`${s.trim_silence ? 1 : 0}:${s.volume_boost_db}`);
      el.podcastSound.hidden = false;
    }).catch(() => undefined);
  }
  void api.storage().then((rows) => {
    const used = rows.filter((r) => podcastId === null || r.podcast_id === podcastId).reduce((n, r) => n + r.bytes, 0);
    if (used > 0 && req.latest) el.listCount.textContent += ` · ${fmtBytes(used)} offline`;
  }).catch(() => undefined);
  list.setWindowed(first, load, keepPlace, (err) => showError(err, "Could not read more episodes"));
  el.empty.hidden = total > 0;
  markFirstList();
  if (total === 0 && offlineOnly) {
    el.empty.replaceChildren(
      node("h2", undefined, "Nothing downloaded here yet"),
      node("p", undefined, "Open an episode and press Download (d) to keep it on this computer, or untick “Offline only” (o)."),
    );
  } else if (total === 0) {
    el.empty.replaceChildren(node("h2", undefined, "No episodes"), node("p", undefined, "This feed has no episodes yet. Press Refresh to check again."));
  }
}

/**
 * Notes, once, the wall-clock time at which the first list (rows, or the empty library) was painted:
 * `data-first-list` on the root element, read by the start-up benchmark (`tests/e2e/benches/startup.rs`).
 */
function markFirstList(): void {
  const root = document.documentElement;
  if (root.dataset.firstList) return;
  root.dataset.firstList = "pending";
  // The frame after next: the rows set now have been laid out and painted by then.
  requestAnimationFrame(() => requestAnimationFrame(() => { root.dataset.firstList = String(Date.now()); }));
}

export function showEmptyLibrary(): void {
  el.listTitle.textContent = "Your library is empty";
  el.listCount.textContent = "";
  list.setItems([]);
  markFirstList();
  el.empty.hidden = false;
  const add = node("button", "primary", "Add Voice of the Child");
  add.id = "add-default";
  add.onclick = () => void subscribe(null);
  const files = node("button", undefined, "Import files from this computer");
  files.id = "import-local-empty";
  files.onclick = () => showImportLocal();
  el.empty.replaceChildren(
    node("h2", undefined, "Start your archive"),
    node("p", undefined, "Paste a podcast's feed URL, its web page, or an Apple Podcasts link or id into the box on the left and press Add."),
    node("p", undefined, "Or start with the Voice of the Child podcast from Researching Reform:"),
    add,
    node("p", undefined, "Or bring in recordings you already have (or paste a folder's path, like /home/you/Recordings, into the box):"),
    files,
  );
  showPlaceholder("Episodes you open appear here.");
}

/** The shown podcast's sound choices as last read (the menu changes two of them). */
let shownSound: PodcastSound | null = null;

/** Shows a podcast's sound choice, adding it to the menu when it was set elsewhere (a boost the CLI set). */
function showSoundChoice(value: string): void {
  if (![...el.podcastSound.options].some((o) => o.value === value)) {
    const [trim, boost] = value.split(":");
    el.podcastSound.append(new Option(`Sound: ${trim === "1" ? "trim, " : ""}boost +${boost} dB`, value));
  }
  el.podcastSound.value = value;
}

/** The sound choice above a podcast's episodes: heard at once, also in an episode playing now. */
export function onPodcastSoundChange(): void {
  const id = state.current;
  if (id === null) return;
  const [trim, boost] = el.podcastSound.value.split(":");
  const sound: PodcastSound = { sound_only: shownSound?.sound_only ?? false, trim_silence: trim === "1", volume_boost_db: Number(boost) };
  shownSound = sound;
  void api
    .setPodcastSound(id, sound)
    .then(() => toast(sound.trim_silence || sound.volume_boost_db ? "This podcast now plays with that sound" : "This podcast plays as published"))
    .catch((err: unknown) => showError(err, "Could not change how this podcast sounds"));
}

/** The auto-download choice above a podcast's episodes. */
export function onAutoDownloadChange(): void {
  const id = state.current;
  if (id === null) return;
  const v = el.autoDownload.value;
  const policy = v.startsWith("latest:") ? { mode: "latest" as const, count: Number(v.slice(7)) } : { mode: v as "off" | "all" };
  // A list reload before the library answers shows the choice, not the old setting.
  const podcast = state.podcasts.find((p) => p.id === id);
  if (podcast) podcast.auto_download = policy;
  void api
    .setAutoDownload(id, policy)
    .then(() => loadPodcasts())
    .then(() => toast(v === "off" ? "Auto-download is off" : "New episodes download after each refresh"))
    .catch((err: unknown) => {
      showError(err, "Could not change auto-download");
      void loadPodcasts().then(() => loadEpisodes(true));
    });
}
