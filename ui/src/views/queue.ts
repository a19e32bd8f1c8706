// Up next: the queue, as a list and as the episode page's buttons' target.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { showError } from "../notify.js";
import { listPane, setView, state } from "../state.js";
import { refreshShownEpisode } from "./episode-page.js";
import { list } from "./list.js";
import { renderPodcasts } from "./sidebar.js";

export async function loadQueue(): Promise<void> {
  state.queue = await api.queueList();
  renderPodcasts();
}

export async function showQueue(keepPlace = false): Promise<void> {
  // The queue moving on while the user searches within Up next leaves their results alone.
  if (keepPlace && state.searching) return loadQueue();
  setView({ view: { kind: "queue" }, searching: false });
  el.search.value = "";
  const req = listPane.begin(keepPlace);
  keepPlace = req.keepPlace;
  await loadQueue();
  if (!req.claim()) return;
  el.autoDownload.hidden = true;
  el.podcastSound.hidden = true;
  el.offlineFilter.hidden = true;
  el.reviewEvidence.hidden = true;
  el.listTitle.textContent = "Up next";
  el.listCount.textContent = `${state.queue.length} episode${state.queue.length === 1 ? "" : "s"}`;
  list.setItems(state.queue.map((episode) => ({ kind: "episode", episode })), keepPlace);
  el.empty.hidden = state.queue.length > 0;
  if (!state.queue.length) {
    el.empty.replaceChildren(
      node("h2", undefined, "Nothing up next"),
      node("p", undefined, "Open an episode and press “Add to queue” (or q). Earmark plays the queue in order after the current episode."),
    );
  }
}

export async function editQueue(edit: Parameters<typeof api.queueEdit>[0], id: number): Promise<void> {
  try {
    state.queue = await api.queueEdit(edit);
    renderPodcasts();
    if (state.view.kind === "queue") await showQueue(true);
    await refreshShownEpisode(id);
  } catch (err) {
    showError(err, "Could not change the queue");
  }
}
