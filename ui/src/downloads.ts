// Downloads: the episode page's download line and the download events that move it.
import { api } from "./backend.js";
import { node } from "./dom.js";
import { downloadWords, fmtBytes } from "./format.js";
import { showError, toast } from "./notify.js";
import { detailPane, state } from "./state.js";
import { refreshShownEpisode } from "./views/episode-page.js";
import { loadEpisodes } from "./views/episodes.js";
import { list } from "./views/list.js";
import type { DownloadEvent } from "./bindings/DownloadEvent";
import type { Episode } from "./bindings/Episode";

/** The episode page's download line: a button, a progress bar with pause, or the offline file. */
export function renderDownloadBox(box: HTMLElement, e: Episode): void {
  box.replaceChildren();
  if (!e.enclosure_url || e.enclosure_url.startsWith("file:")) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const d = state.downloads.get(e.id);
  const button = (id: string, label: string, title: string, run: () => Promise<unknown>, what: string) => {
    const b = node("button", undefined, label);
    b.id = id;
    b.title = title;
    b.onclick = () => void run().catch((err: unknown) => showError(err, what));
    return b;
  };
  if (e.downloaded && (!d || d.state === "done")) {
    box.append(
      node("span", "badge offline", "offline"),
      node("span", "muted", "Downloaded: plays with no network."),
      button("delete-download", "Delete download", "Remove the file; the episode, your place and bookmarks stay", () => deleteDownload(e.id), "Could not delete the download"),
    );
    return;
  }
  if (d && (d.state === "downloading" || d.state === "queued")) {
    const bar = node("progress");
    bar.id = "download-progress";
    bar.max = d.total ?? 1;
    if (d.total) bar.value = d.bytes;
    else bar.removeAttribute("value");
    const words = node("span", "muted", downloadWords(d));
    words.id = "download-words";
    box.append(bar, words, button("pause-download", "Pause", "Pause the download; it resumes where it stopped", () => api.pauseDownload(e.id), "Could not pause"));
    return;
  }
  const resume = d && (d.state === "paused" || d.state === "failed") && d.bytes > 0;
  box.append(
    button("download", resume ? `⬇ Resume download (${fmtBytes(d.bytes)} so far)` : "⬇ Download", "Keep this episode on this computer (d)", () => api.downloadEpisodes([e.id]), "Could not download"),
  );
  if (d?.state === "failed" && d.error) box.append(node("span", "error", d.error));
  else if (d?.state === "paused") box.append(node("span", "muted", "Paused."));
}

async function deleteDownload(id: number): Promise<void> {
  await api.deleteDownload(id);
  state.downloads.delete(id);
  await Promise.all([refreshShownEpisode(id), state.searching ? Promise.resolve() : loadEpisodes(true)]);
}

export function onDownloadEvent(d: DownloadEvent): void {
  const before = state.downloads.get(d.episode_id)?.state;
  state.downloads.set(d.episode_id, d);
  if (d.state === "failed" && before !== "failed") toast(`Download failed: ${d.error ?? "unknown error"}`, "error", "Press Download again to retry; it resumes where it stopped.");
  if (detailPane.shown === d.episode_id && state.shownEpisode?.id === d.episode_id) {
    const bar = document.getElementById("download-progress") as HTMLProgressElement | null;
    const words = document.getElementById("download-words");
    const box = document.getElementById("download-box");
    if (d.state === "downloading" && bar && words) {
      if (d.total) {
        bar.max = d.total;
        bar.value = d.bytes;
      }
      words.textContent = downloadWords(d);
    } else if (d.state === "done") {
      // The episode is now offline: its page gains the waveform and the clip tools.
      void refreshShownEpisode(d.episode_id);
    } else if (box) {
      // Queued, started, paused or failed: the line changes, the episode itself does not.
      renderDownloadBox(box, state.shownEpisode);
    }
  }
  // Rows draw their download state from `state.downloads`; only a finished download changes an
  // episode itself (offline, and a member of "Offline only"), so only that reloads the list.
  if (d.state === "done" && before !== "done") {
    if (!state.searching) void loadEpisodes(true);
  } else {
    list.redraw();
  }
}
