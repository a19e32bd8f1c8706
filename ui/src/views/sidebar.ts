// The sidebar: podcasts, Up next and the archive's lists; adding a podcast and refreshing them all.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { coverUrl } from "../format.js";
import { hints, setBusy, showError, toast } from "../notify.js";
import { listPane, podcastTitle, state } from "../state.js";
import { openArchive } from "./archive.js";
import { looksLikePath, showImportLocal } from "./local-import.js";
import { loadEpisodes, selectPodcast } from "./episodes.js";
import { showQueue } from "./queue.js";
import { openPlaylist, showNewPlaylist } from "./playlists.js";
import { showStats } from "./stats.js";
import { describeRule } from "../listening.js";
import { changedLine } from "../sync-text.js";
import type { Podcast } from "../bindings/Podcast";

function coverNode(p: Podcast, cls: string): HTMLElement {
  const url = coverUrl(p);
  if (url) {
    const img = node("img", cls);
    img.src = url;
    img.alt = "";
    img.onerror = () => img.replaceWith(initials(p, cls));
    return img;
  }
  return initials(p, cls);
}

function initials(p: Podcast, cls: string): HTMLElement {
  const words = p.title.split(/\s+/).filter(Boolean);
  return node("div", `${cls} initials`, words.slice(0, 2).map((w) => w[0]?.toUpperCase() ?? "").join("") || "?");
}

export function renderPodcasts(): void {
  const frag = document.createDocumentFragment();
  const all = node("button", `podcast all${state.current === null && state.view.kind === "episodes" ? " selected" : ""}`);
  all.append(node("div", "cover initials", "★"), node("span", "podcast-title", "All episodes"));
  all.onclick = () => void selectPodcast(null);
  frag.append(all);
  const upNext = node("button", `podcast queue-view${state.view.kind === "queue" ? " selected" : ""}`);
  upNext.id = "queue-view";
  upNext.append(node("div", "cover initials", "≡"), node("span", "podcast-title", "Up next"), node("span", "count", String(state.queue.length)));
  upNext.onclick = () => void showQueue();
  frag.append(upNext);
  for (const p of state.podcasts) {
    const b = node("button", `podcast${state.current === p.id && state.view.kind === "episodes" ? " selected" : ""}`);
    b.dataset.id = String(p.id);
    b.title = [p.feed_url, changedLine("subscribed", p, Date.now())].filter(Boolean).join("\n");
    const text = node("span", "podcast-title", p.title || p.feed_url);
    const count = node("span", "count", String(p.episode_count));
    b.append(coverNode(p, "cover"), text, count);
    if (p.last_error || p.gone) {
      const warn = node("span", "warn", "!");
      warn.title = p.gone ? "This feed is gone (410)" : `Last refresh failed: ${p.last_error}`;
      b.append(warn);
    }
    b.onclick = () => void selectPodcast(p.id);
    frag.append(b);
  }
  frag.append(node("div", "nav-heading", "Playlists"));
  const v = state.view;
  for (const p of state.playlists) {
    const b = node("button", `podcast playlist-view${v.kind === "playlist" && v.id === p.id ? " selected" : ""}`);
    b.dataset.id = String(p.id);
    b.title = describeRule(p.rule, podcastTitle);
    b.append(node("div", "cover initials", p.rule ? "✦" : "♫"), node("span", "podcast-title", p.name), node("span", "count", String(p.episode_count)));
    b.onclick = () => void openPlaylist({ kind: "playlist", id: p.id, name: p.name });
    frag.append(b);
  }
  const newList = node("button", "podcast new-playlist");
  newList.id = "new-playlist";
  newList.append(node("div", "cover initials", "+"), node("span", "podcast-title", "New playlist"));
  newList.onclick = () => showNewPlaylist();
  frag.append(newList);
  const stats = node("button", "podcast stats-view");
  stats.id = "stats-view";
  stats.title = "Time listened per podcast, month and year (t)";
  stats.append(node("div", "cover initials", "◔"), node("span", "podcast-title", "Listening stats"));
  stats.onclick = () => void showStats();
  frag.append(stats);
  frag.append(node("div", "nav-heading", "Archive"));
  const a = state.view;
  const docs = node("button", `podcast archive-view${a.kind === "docs" ? " selected" : ""}`);
  docs.id = "docs-view";
  docs.append(node("div", "cover initials", "¶"), node("span", "podcast-title", "Posts & pages"));
  docs.onclick = () => void openArchive({ kind: "docs" });
  frag.append(docs);
  for (const c of state.collections) {
    const b = node("button", `podcast campaign-view${a.kind === "campaign" && a.id === c.id ? " selected" : ""}`);
    b.dataset.id = String(c.id);
    b.append(node("div", "cover initials", "⚑"), node("span", "podcast-title", c.name), node("span", "count", String(c.document_count)));
    b.title = [`${c.kind}: ${c.document_count} documents, ${c.episode_count} episodes`, changedLine("changed", c, Date.now())].filter(Boolean).join("\n");
    b.onclick = () => void openArchive({ kind: "campaign", id: c.id, name: c.name });
    frag.append(b);
  }
  const marks = node("button", `podcast bookmarks-view${a.kind === "bookmarks" ? " selected" : ""}`);
  marks.id = "bookmarks-view";
  marks.append(node("div", "cover initials", "✎"), node("span", "podcast-title", "Bookmarks"));
  marks.onclick = () => void openArchive({ kind: "bookmarks" });
  frag.append(marks);
  const review = node("button", `podcast review-view${a.kind === "review" ? " selected" : ""}`);
  review.id = "review-view";
  review.append(node("div", "cover initials", "✓"), node("span", "podcast-title", "Review links"), node("span", "count", String(state.review.length)));
  review.onclick = () => void openArchive({ kind: "review" });
  frag.append(review);
  el.podcastList.replaceChildren(frag);
}

export async function loadPodcasts(): Promise<void> {
  state.podcasts = await api.listPodcasts();
  state.started = true;
  renderPodcasts();
}

export async function loadCollections(): Promise<void> {
  const [collections, review] = await Promise.all([api.listCollections(), api.reviewQueue()]);
  state.collections = collections;
  state.review = review;
  renderPodcasts();
}

export async function subscribe(input: string | null): Promise<void> {
  // A path on this computer: files to import, not a feed to subscribe to.
  if (input !== null && looksLikePath(input)) return showImportLocal(input.trim());
  if (input !== null && input.trim() === "") {
    toast("Paste a feed URL, web page, or Apple Podcasts link first.", "error", hints.bad_url);
    el.addInput.focus();
    return;
  }
  setBusy(true, "Adding podcast…");
  el.addButton.disabled = true;
  const listAt = listPane.noteChoice();
  try {
    const sub = input === null ? await api.subscribeDefault() : await api.subscribe(input.trim());
    el.addInput.value = "";
    await loadPodcasts();
    // Show the new podcast, unless the user has opened another list while it was being added.
    if (!listAt.changed || state.podcasts.length === 1) await selectPodcast(sub.podcast.id);
    else await loadEpisodes(true);
    toast(sub.created ? `Added ${sub.podcast.title} (${sub.podcast.episode_count} episodes)` : `${sub.podcast.title} is already in your library; refreshed it.`);
  } catch (err) {
    showError(err, "Could not add the podcast");
  } finally {
    el.addButton.disabled = false;
    setBusy(false);
  }
}

export async function refreshAll(): Promise<void> {
  if (state.podcasts.length === 0) {
    toast("Nothing to refresh yet: add a podcast first.");
    return;
  }
  el.refreshButton.disabled = true;
  setBusy(true, "Refreshing…");
  el.progress.classList.remove("indeterminate");
  try {
    const reports = await api.refreshAll();
    const failed = reports.filter((r) => r.status === "error");
    const added = reports.reduce((n, r) => n + r.new, 0);
    await loadPodcasts();
    if (!state.searching) await loadEpisodes(true);
    if (failed.length && failed.every((r) => (r.error ?? "").includes("are you offline"))) {
      toast("You seem to be offline; nothing was changed.", "info", "Downloaded episodes and your library still work.");
    } else if (failed.length) {
      toast(`${failed.length} of ${reports.length} feeds could not be refreshed`, "error", failed.map((r) => `${r.title}: ${r.error}`).join("\n"));
    } else {
      toast(added ? `${added} new episode${added === 1 ? "" : "s"}` : "Everything is up to date");
    }
  } catch (err) {
    showError(err, "Refresh failed");
  } finally {
    el.refreshButton.disabled = false;
    setBusy(false);
  }
}
