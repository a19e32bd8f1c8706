// Earmark's window: podcasts on the side, episodes in the middle, the chosen episode on the right.
// This module starts it; the views live in views/, the request layer of the two panes in pane.ts.
import { api } from "./backend.js";
import { el } from "./dom.js";
import { onDownloadEvent } from "./downloads.js";
import { onKey } from "./keys.js";
import { showError, toast } from "./notify.js";
import { bar, onPlayerStatus, openAt } from "./playback.js";
import { wireSettings } from "./settings.js";
import { wireShare } from "./share-settings.js";
import { wireSync } from "./sync-settings.js";
import { detailPane, isArchive, listPane, state } from "./state.js";
import { loadArchive } from "./views/archive.js";
import { onDetailClick, showPlaceholder } from "./views/detail.js";
import { loadEpisodes, onAutoDownloadChange, onPodcastSoundChange, selectPodcast, showEmptyLibrary } from "./views/episodes.js";
import { loadPlaylist, loadPlaylists } from "./views/playlists.js";
import { wireVideo } from "./video.js";
import { loadQueue, showQueue } from "./views/queue.js";
import { onSearchInput } from "./views/search.js";
import { loadCollections, loadPodcasts, refreshAll, subscribe } from "./views/sidebar.js";

async function init(): Promise<void> {
  wireSettings();
  void api.skipLengths().then((s) => bar.showSkipLengths(s)).catch(() => undefined);
  el.addForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void subscribe(el.addInput.value);
  });
  el.refreshButton.addEventListener("click", () => void refreshAll());
  el.search.addEventListener("input", onSearchInput);
  el.detail.addEventListener("click", onDetailClick);
  document.addEventListener("keydown", onKey);
  await api.onPlayer((s) => {
    bar.update(s);
    onPlayerStatus(s);
  });
  await api.onWaveform((w) => {
    if (state.wave && w.episode_id === detailPane.shown) state.wave.addSlice(w);
  });
  await api.onDownload(onDownloadEvent);
  await api.onOpenLink((o) => openAt(o.episode_id, o.secs));
  el.offlineOnly.addEventListener("change", () => void loadEpisodes());
  el.reviewEvidence.addEventListener("change", () => void loadArchive());
  el.autoDownload.addEventListener("change", onAutoDownloadChange);
  el.podcastSound.addEventListener("change", onPodcastSoundChange);
  wireVideo();
  for (const d of await api.listDownloads().catch(() => [])) {
    state.downloads.set(d.episode_id, { episode_id: d.episode_id, state: d.state, bytes: d.bytes, total: d.total, rate: null, eta_secs: null, error: d.error });
  }
  // An episode ended: Up next moved on, and a smart playlist's counts may have changed.
  await api.onQueueChanged(() => {
    void (state.view.kind === "queue" ? showQueue(true) : loadQueue());
    void loadPlaylists()
      .then(() => (state.view.kind === "playlist" ? loadPlaylist(true) : undefined))
      .catch(() => undefined);
  });
  await api.onPlayerError((e) =>
    toast(e.message, "error", e.code === "no_output" ? "Earmark keeps your place; press play again once a device is connected." : undefined),
  );
  // What another device or a teammate changed arrives with a sync: the lists show it at once.
  const reloadLists = async (): Promise<void> => {
    const wasEmpty = state.podcasts.length === 0;
    // A teammate's campaign or topic, or a change to one, shows in the sidebar too.
    await Promise.all([loadPodcasts(), loadCollections()]);
    // The first show arriving in an empty library opens, as one added by hand does.
    if (wasEmpty && state.podcasts.length) await selectPodcast(state.podcasts[0].id);
    else if (isArchive(state.view)) await loadArchive(true);
    else if (!state.searching) await loadEpisodes(true);
  };
  await wireSync(reloadLists);
  await wireShare(reloadLists);
  await api.onRefreshProgress((p) => {
    el.progress.classList.remove("indeterminate");
    el.progressBar.style.width = `${p.total ? (100 * p.done) / p.total : 0}%`;
    el.progressLabel.textContent = `Refreshed ${p.done} of ${p.total}: ${p.title}`;
  });
  try {
    state.queue = await api.queueList();
    await loadPodcasts();
    // The podcasts are clickable from here on. In a big library the collections, the review queue
    // and the first list take seconds, and what the user picks meanwhile must not be replaced.
    const collections = Promise.all([loadCollections(), loadPlaylists()]).catch((err: unknown) =>
      showError(err, "Could not read the archive and playlists"),
    );
    if (state.podcasts.length) {
      if (!detailPane.requested) {
        showPlaceholder("Choose an episode to read its show notes. Keys: / search, j/k or ↑/↓ move, p play, b/n mark a moment's start/end, d download, o offline only, q queue, space pause, ←/→ skip, [ ] speed, m mute, t listening stats, r refresh, Ctrl+L add, Ctrl+, settings (skip lengths).");
      }
      const shownAt = detailPane.ticket();
      const first = listPane.requested ? Promise.resolve() : loadEpisodes();
      // The earmark:// link the app was started with opens now, unless the user has already
      // opened something else.
      const start = await api.startupLink().catch(() => null);
      if (start && shownAt.current) openAt(start.episode_id, start.secs);
      await first;
    } else showEmptyLibrary();
    await collections;

  } catch (err) {
    showError(err, "Could not open your library");
  }
}

void init();
