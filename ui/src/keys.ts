// The window's key bindings.
import { api } from "./backend.js";
import { el } from "./dom.js";
import { showError } from "./notify.js";
import { bar, playEpisode } from "./playback.js";
import { openSettings } from "./settings.js";
import { detailPane, state } from "./state.js";
import { markKey } from "./views/episode-marks.js";
import { loadEpisodes } from "./views/episodes.js";
import { list } from "./views/list.js";
import { editQueue } from "./views/queue.js";
import { decideReview } from "./views/review.js";
import { runSearch } from "./views/search.js";
import { refreshAll } from "./views/sidebar.js";
import { showStats } from "./views/stats.js";
import { toggleFullScreen, toggleLarge } from "./video.js";

function isTyping(t: EventTarget | null): boolean {
  return t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement;
}

export function onKey(ev: KeyboardEvent): void {
  if (ev.key === "Escape") {
    if (document.activeElement === el.search && el.search.value) {
      el.search.value = "";
      void runSearch("");
    }
    (document.activeElement as HTMLElement | null)?.blur();
    return;
  }
  if (isTyping(ev.target)) return;
  if (ev.ctrlKey && ev.key === ",") {
    ev.preventDefault();
    void openSettings();
  } else if (ev.key === "/" || (ev.ctrlKey && ev.key === "f")) {
    ev.preventDefault();
    el.search.focus();
  } else if (ev.ctrlKey && ev.key === "l") {
    ev.preventDefault();
    el.addInput.focus();
  } else if (ev.key === "r" && !ev.ctrlKey && !ev.metaKey) {
    void refreshAll();
  } else if (ev.key === " ") {
    ev.preventDefault();
    bar.toggle();
  } else if (ev.key === "ArrowLeft") {
    ev.preventDefault();
    bar.skipBack();
  } else if (ev.key === "ArrowRight") {
    ev.preventDefault();
    bar.skipForward();
  } else if (ev.key === "[" || ev.key === "]") {
    bar.changeSpeed(ev.key === "]" ? 1 : -1);
  } else if (ev.key === "." || ev.key === ",") {
    bar.chapterJump(ev.key === "." ? 1 : -1);
  } else if (ev.key === "m") {
    bar.toggleMute();
  } else if (ev.key === "v" && !ev.ctrlKey) {
    toggleLarge();
  } else if (ev.key === "f" && !ev.ctrlKey) {
    toggleFullScreen();
  } else if (ev.key === "t" && !ev.ctrlKey) {
    void showStats();
  } else if (ev.key === "q" && detailPane.shown !== null) {
    void editQueue({ kind: "add", ids: [detailPane.shown], next: false }, detailPane.shown);
  } else if ((ev.key === "a" || ev.key === "x") && state.view.kind === "review") {
    const row = list.selectedItem;
    if (row?.kind === "review") void decideReview(row.item, ev.key === "a" ? "accept" : "reject");
  } else if (ev.key === "b" && !ev.ctrlKey) {
    markKey("start");
  } else if (ev.key === "n" && !ev.ctrlKey) {
    markKey("end");
  } else if ((ev.key === "+" || ev.key === "=" || ev.key === "-") && state.wave) {
    state.wave.zoom(ev.key === "-" ? 2 : 0.5);
  } else if (ev.key === "d" && detailPane.shown !== null) {
    const id = detailPane.shown;
    void api.downloadEpisodes([id]).catch((err: unknown) => showError(err, "Could not download"));
  } else if (ev.key === "o") {
    el.offlineOnly.checked = !el.offlineOnly.checked;
    void loadEpisodes();
  } else if (ev.key === "p" && detailPane.shown !== null) {
    void playEpisode(detailPane.shown);
  } else if (ev.key === "ArrowDown" || ev.key === "j") {
    ev.preventDefault();
    list.select(Math.min(list.length - 1, list.selectedIndex + 1), true);
  } else if (ev.key === "ArrowUp" || ev.key === "k") {
    ev.preventDefault();
    list.select(Math.max(0, list.selectedIndex - 1), true);
  }
}
