// Earmark's window: podcasts on the side, episodes in the middle, the chosen episode on the right.
import { api, asApiError } from "./backend.js";
import { VirtualList } from "./virtual-list.js";
import { PlayerBar, fmtClock } from "./player-bar.js";
import type { Episode } from "./bindings/Episode";
import type { Podcast } from "./bindings/Podcast";
import type { SearchHit } from "./bindings/SearchHit";
import type { ApiError } from "./bindings/ApiError";
import type { DownloadEvent } from "./bindings/DownloadEvent";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { ReviewItem } from "./bindings/ReviewItem";
import type { Collection } from "./bindings/Collection";
import type { EpisodeLink } from "./bindings/EpisodeLink";
import type { BookmarkRow } from "./bindings/BookmarkRow";
import type { BookmarkEdit } from "./bindings/BookmarkEdit";
import type { TranscriptCue } from "./bindings/TranscriptCue";
import type { PlayerStatus } from "./bindings/PlayerStatus";
import { Waveform } from "./waveform.js";

const $ = <T extends HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

const el = {
  addForm: $<HTMLFormElement>("#add-form"),
  addInput: $<HTMLInputElement>("#add-input"),
  addButton: $<HTMLButtonElement>("#add-button"),
  refreshButton: $<HTMLButtonElement>("#refresh-button"),
  progress: $<HTMLDivElement>("#progress"),
  progressBar: $<HTMLDivElement>("#progress .bar"),
  progressLabel: $<HTMLSpanElement>("#progress .label"),
  podcastList: $<HTMLElement>("#podcast-list"),
  search: $<HTMLInputElement>("#search"),
  listTitle: $<HTMLElement>("#list-title"),
  listCount: $<HTMLElement>("#list-count"),
  episodeList: $<HTMLElement>("#episode-list"),
  empty: $<HTMLElement>("#empty-state"),
  detail: $<HTMLElement>("#detail"),
  toast: $<HTMLElement>("#toast"),
  offlineOnly: $<HTMLInputElement>("#offline-only"),
  autoDownload: $<HTMLSelectElement>("#auto-download"),
};

type Row =
  | { kind: "episode"; episode: Episode }
  | { kind: "hit"; hit: SearchHit }
  | { kind: "doc"; doc: DocumentRow }
  | { kind: "review"; item: ReviewItem }
  | { kind: "bookmark"; row: BookmarkRow };

/** The archive views: every post and page, one campaign, or the review queue of suggested links. */
type ArchiveView = { kind: "docs" } | { kind: "campaign"; id: number; name: string } | { kind: "review" } | { kind: "bookmarks" };

const state = {
  podcasts: [] as Podcast[],
  current: null as number | null,
  searching: false,
  busy: 0,
  // Bumped by every list or detail request: a slow answer to an older request is dropped.
  listToken: 0,
  detailToken: 0,
  // A list the user chose is still on its way: a reload after a state change started meanwhile
  // must show that list from its top, not keep the old list's place.
  listPending: false,
  // Bumped by each list the user chooses (not by reloads): a long job finishing does not take
  // the user away from a list they chose while it ran.
  listChosen: 0,
  // The podcasts have been read once: until then a reload would show the empty-library page.
  started: false,
  shown: null as number | null,
  // The detailToken of the request that drew the page shown now: a newer one means the user has
  // asked for another page, even if it has not drawn yet.
  shownToken: 0,
  queueView: false,
  queue: [] as Episode[],
  // The latest download event per episode, for progress bars and row markers.
  downloads: new Map<number, DownloadEvent>(),
  archive: null as ArchiveView | null,
  collections: [] as Collection[],
  review: [] as ReviewItem[],
  // The shown episode's bookmarks, waveform and transcript.
  marks: [] as BookmarkRow[],
  wave: null as Waveform | null,
  cues: [] as TranscriptCue[],
  // The bookmark the "end" key (n) finishes: made by the "start" key (b).
  // Its id is a promise: n may come before the library has answered b.
  openMark: null as { id: Promise<number>; episode: number } | null,
  // A segment playing alone: stops (or loops) at its end.
  // `last` is the last position seen inside it (null until playback has got there).
  segment: null as { episode: number; start: number; end: number; loop: boolean; last: number | null } | null,
  shownEpisode: null as Episode | null,
  // The library-wide bookmarks view's filters.
  markFilter: { query: "", tag: "", order: "date" as "date" | "episode", from: "", to: "" },
};

const list = new VirtualList<Row>({
  container: el.episodeList,
  rowHeight: 58,
  render: renderRow,
  key: rowKey,
  onActivate: (row) => {
    if (row.kind === "episode") void showEpisode(row.episode.id);
    else if (row.kind === "doc") void showDocument(row.doc.id);
    else if (row.kind === "review") showReviewItem(row.item);
    else if (row.kind === "bookmark") void showEpisode(row.row.bookmark.episode_id);
    else if (row.hit.kind === "bookmark" || row.hit.kind === "transcript") {
      if (row.hit.episode_id !== null) void showEpisode(row.hit.episode_id);
    }
    else if (row.hit.kind === "episode") void showEpisode(row.hit.id);
    else if (row.hit.kind === "post" || row.hit.kind === "page") void showDocument(row.hit.id);
    else void selectPodcast(row.hit.id);
  },
});

function rowKey(row: Row): string {
  switch (row.kind) {
    case "episode":
      return `e${row.episode.id}`;
    case "hit":
      return `${row.hit.kind}${row.hit.id}`;
    case "doc":
      return `d${row.doc.id}`;
    case "review":
      return `r${row.item.episode_id}:${row.item.doc_id}`;
    case "bookmark":
      return `b${row.row.bookmark.id}`;
  }
}

function podcastTitle(id: number): string {
  return state.podcasts.find((p) => p.id === id)?.title ?? "";
}

function fmtDuration(secs: number | null): string {
  if (secs === null || !isFinite(secs)) return "";
  const s = Math.round(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

function fmtDate(iso: string | null): string {
  if (!iso) return "Date unknown";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? "Date unknown" : d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function coverUrl(p: Podcast): string | null {
  if (!p.image_url) return null;
  if (p.image_url.startsWith("file:")) return `cover://localhost/${p.id}`;
  if (p.image_url.startsWith("https:") || p.image_url.startsWith("http:")) return p.image_url;
  return null;
}

function node<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

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

function renderRow(row: Row, _i: number, selected: boolean): HTMLElement {
  const li = node("div", `row${selected ? " selected" : ""}`);
  li.setAttribute("role", "option");
  if (row.kind === "episode") {
    const e = row.episode;
    li.classList.add("episode-row");
    if (!e.in_feed) li.classList.add("archived");
    if (e.played) li.classList.add("played");
    li.append(node("div", "row-title", (e.played ? "✓ " : "") + (e.title || "Untitled episode")));
    const meta = node("div", "row-meta");
    if (!e.played && e.position_secs > 0 && e.duration_secs) {
      const pill = node("span", "progress-pill");
      const fill = node("i");
      fill.style.width = `${Math.min(100, (100 * e.position_secs) / e.duration_secs)}%`;
      pill.append(fill);
      meta.append(pill);
    }
    const dl = state.downloads.get(e.id);
    if (e.downloaded) meta.append(node("span", "badge offline", "offline"));
    const parts = [fmtDate(e.published), fmtDuration(e.duration_secs)];
    if (!e.downloaded && dl && (dl.state === "downloading" || dl.state === "queued")) {
      parts.push(dl.total && dl.state === "downloading" ? `downloading ${Math.floor((100 * dl.bytes) / dl.total)}%` : downloadWords(dl));
    }
    if (!e.played && e.position_secs > 0 && e.duration_secs) parts.push(`${fmtClock(e.duration_secs - e.position_secs)} left`);
    if (state.current === null) parts.unshift(podcastTitle(e.podcast_id));
    if (!e.in_feed) parts.push("no longer in the feed");
    if (e.enclosure_type?.startsWith("video/")) parts.push("video");
    meta.append(document.createTextNode(parts.filter(Boolean).join(" · ")));
    li.append(meta);
  } else if (row.kind === "doc") {
    const d = row.doc;
    li.classList.add("doc-row");
    const title = node("div", "row-title");
    title.append(node("span", `badge ${d.kind}`, d.kind), document.createTextNode(" " + (d.title || d.url)));
    li.append(title, node("div", "row-meta", [fmtDate(d.published), d.campaign ?? "", hostOf(d.url)].filter(Boolean).join(" · ")));
  } else if (row.kind === "bookmark") {
    const b = row.row.bookmark;
    li.classList.add("bookmark-row");
    const title = node("div", "row-title");
    title.append(node("span", "badge bookmark", fmtSpan(b.start_secs, b.end_secs)), document.createTextNode(" " + (b.title || "Untitled bookmark")));
    const meta = [row.row.episode_title, row.row.podcast_title, b.tags.map((t) => `#${t}`).join(" "), b.note.slice(0, 80)];
    li.append(title, node("div", "row-meta", meta.filter(Boolean).join(" · ")));
  } else if (row.kind === "review") {
    const r = row.item;
    li.classList.add("review-row");
    const title = node("div", "row-title");
    title.append(node("span", "badge score", `${Math.round(r.score * 100)}`), document.createTextNode(` ${r.episode_title} ↔ ${r.doc_title}`));
    li.append(title, node("div", "row-meta", r.reasons.join("; ")));
  } else {
    const h = row.hit;
    li.classList.add("hit-row");
    const title = node("div", "row-title");
    title.append(node("span", `badge ${h.kind}`, h.kind), document.createTextNode(" " + h.title));
    li.append(title, snippetNode(h.snippet));
  }
  return li;
}

/** The snippet marks hits with [ and ]; show them highlighted without trusting any HTML. */
function snippetNode(snippet: string): HTMLElement {
  const meta = node("div", "row-meta snippet");
  for (const [i, part] of snippet.split(/[[\]]/).entries()) {
    meta.append(i % 2 === 1 ? node("mark", undefined, part) : document.createTextNode(part));
  }
  return meta;
}

const hints: Record<string, string> = {
  offline: "Check your internet connection, then try again. Downloaded episodes still play.",
  timeout: "The server is slow to answer. Try again in a moment.",
  bad_url: "Paste a feed URL (https://…), a podcast's web page, or an Apple Podcasts link or id.",
  bad_feed: "That address does not give a podcast feed. Look for an RSS link on the podcast's site.",
  not_found: "Nothing was found there. Check the address or id.",
  gone: "The publisher removed this feed.",
  tls: "The site's secure connection failed; its certificate may be wrong.",
  too_large: "The server sent far more than a feed should be.",
};

function toast(message: string, kind: "info" | "error" = "info", hint?: string): void {
  el.toast.replaceChildren(node("strong", undefined, message));
  if (hint) el.toast.append(node("div", "hint", hint));
  el.toast.className = `toast show ${kind}`;
  window.clearTimeout((toast as unknown as { timer?: number }).timer);
  (toast as unknown as { timer?: number }).timer = window.setTimeout(() => (el.toast.className = "toast"), kind === "error" ? 9000 : 4000);
}

function showError(e: unknown, what: string): void {
  const err: ApiError = asApiError(e);
  toast(`${what}: ${err.message}`, "error", hints[err.code]);
}

function setBusy(on: boolean, label = ""): void {
  state.busy += on ? 1 : -1;
  el.progress.classList.toggle("active", state.busy > 0);
  el.progress.classList.toggle("indeterminate", state.busy > 0);
  el.progressLabel.textContent = state.busy > 0 ? label : "";
  if (state.busy <= 0) el.progressBar.style.width = "0";
}

function renderPodcasts(): void {
  const frag = document.createDocumentFragment();
  const all = node("button", `podcast all${state.current === null && !state.queueView && !state.archive ? " selected" : ""}`);
  all.append(node("div", "cover initials", "★"), node("span", "podcast-title", "All episodes"));
  all.onclick = () => void selectPodcast(null);
  frag.append(all);
  const upNext = node("button", `podcast queue-view${state.queueView ? " selected" : ""}`);
  upNext.id = "queue-view";
  upNext.append(node("div", "cover initials", "≡"), node("span", "podcast-title", "Up next"), node("span", "count", String(state.queue.length)));
  upNext.onclick = () => void showQueue();
  frag.append(upNext);
  for (const p of state.podcasts) {
    const b = node("button", `podcast${state.current === p.id && !state.queueView && !state.archive ? " selected" : ""}`);
    b.dataset.id = String(p.id);
    b.title = p.feed_url;
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
  frag.append(node("div", "nav-heading", "Archive"));
  const a = state.archive;
  const docs = node("button", `podcast archive-view${a?.kind === "docs" ? " selected" : ""}`);
  docs.id = "docs-view";
  docs.append(node("div", "cover initials", "¶"), node("span", "podcast-title", "Posts & pages"));
  docs.onclick = () => void openArchive({ kind: "docs" });
  frag.append(docs);
  for (const c of state.collections) {
    const b = node("button", `podcast campaign-view${a?.kind === "campaign" && a.id === c.id ? " selected" : ""}`);
    b.dataset.id = String(c.id);
    b.append(node("div", "cover initials", "⚑"), node("span", "podcast-title", c.name), node("span", "count", String(c.document_count)));
    b.title = `${c.kind}: ${c.document_count} documents, ${c.episode_count} episodes`;
    b.onclick = () => void openArchive({ kind: "campaign", id: c.id, name: c.name });
    frag.append(b);
  }
  const marks = node("button", `podcast bookmarks-view${a?.kind === "bookmarks" ? " selected" : ""}`);
  marks.id = "bookmarks-view";
  marks.append(node("div", "cover initials", "✎"), node("span", "podcast-title", "Bookmarks"));
  marks.onclick = () => void openArchive({ kind: "bookmarks" });
  frag.append(marks);
  const review = node("button", `podcast review-view${a?.kind === "review" ? " selected" : ""}`);
  review.id = "review-view";
  review.append(node("div", "cover initials", "✓"), node("span", "podcast-title", "Review links"), node("span", "count", String(state.review.length)));
  review.onclick = () => void openArchive({ kind: "review" });
  frag.append(review);
  el.podcastList.replaceChildren(frag);
}

async function loadPodcasts(): Promise<void> {
  state.podcasts = await api.listPodcasts();
  state.started = true;
  renderPodcasts();
}

/** Starts a list request; see `state.listPending` for why `keepPlace` may be dropped. */
function beginList(keepPlace: boolean): { token: number; keepPlace: boolean } {
  const token = ++state.listToken;
  keepPlace = keepPlace && !state.listPending;
  if (!keepPlace) {
    state.listPending = true;
    state.listChosen++;
  }
  return { token, keepPlace };
}

/** Whether a list answer is still the one to show (no newer request was made); if so it is shown. */
function listCurrent(token: number): boolean {
  if (token !== state.listToken) return false;
  state.listPending = false;
  return true;
}

async function selectPodcast(id: number | null): Promise<void> {
  state.current = id;
  state.queueView = false;
  state.archive = null;
  state.searching = false;
  el.search.value = "";
  renderPodcasts();
  await loadEpisodes();
}

/** Reloads the list; `keepPlace` keeps the scroll position and selection (after a state change). */
async function loadEpisodes(keepPlace = false): Promise<void> {
  if (!state.started) return;
  if (state.archive) return loadArchive(keepPlace);
  if (state.queueView) return showQueue(keepPlace);
  if (state.podcasts.length === 0) {
    showEmptyLibrary();
    return;
  }
  const req = beginList(keepPlace);
  const token = req.token;
  keepPlace = req.keepPlace;
  let all: Episode[];
  try {
    all = await api.listEpisodes(state.current);
  } catch (err) {
    if (listCurrent(token)) showError(err, "Could not read the episodes");
    return;
  }
  if (!listCurrent(token)) return;
  const episodes = el.offlineOnly.checked ? all.filter((e) => e.downloaded) : all;
  el.listTitle.textContent = state.current === null ? "All episodes" : podcastTitle(state.current);
  el.listCount.textContent = `${episodes.length.toLocaleString()} episode${episodes.length === 1 ? "" : "s"}`;
  const podcast = state.podcasts.find((p) => p.id === state.current);
  el.autoDownload.hidden = !podcast;
  if (podcast) {
    const a = podcast.auto_download;
    el.autoDownload.value = a.mode === "latest" ? `latest:${a.count}` : a.mode;
  }
  void api.storage().then((rows) => {
    const used = rows.filter((r) => state.current === null || r.podcast_id === state.current).reduce((n, r) => n + r.bytes, 0);
    if (used > 0 && token === state.listToken) el.listCount.textContent += ` · ${fmtBytes(used)} offline`;
  }).catch(() => undefined);
  list.setItems(episodes.map((episode) => ({ kind: "episode", episode })), keepPlace);
  el.empty.hidden = episodes.length > 0;
  markFirstList();
  if (episodes.length === 0 && el.offlineOnly.checked && all.length > 0) {
    el.empty.replaceChildren(
      node("h2", undefined, "Nothing downloaded here yet"),
      node("p", undefined, "Open an episode and press Download (d) to keep it on this computer, or untick “Offline only” (o)."),
    );
  } else if (episodes.length === 0) {
    el.empty.replaceChildren(node("h2", undefined, "No episodes"), node("p", undefined, "This feed has no episodes yet. Press Refresh to check again."));
  }
}

/** Shows a page that is not an episode's in the detail pane (the caller has claimed the pane). */
function takeDetail(...nodes: Node[]): void {
  el.detail.replaceChildren(...nodes);
  state.shown = null;
}

/** A line of help in the detail pane; it takes the pane like any page does. */
function showPlaceholder(text: string): void {
  ++state.detailToken;
  takeDetail(node("p", "placeholder", text));
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

function showEmptyLibrary(): void {
  el.listTitle.textContent = "Your library is empty";
  el.listCount.textContent = "";
  list.setItems([]);
  markFirstList();
  el.empty.hidden = false;
  const add = node("button", "primary", "Add Voice of the Child");
  add.id = "add-default";
  add.onclick = () => void subscribe(null);
  el.empty.replaceChildren(
    node("h2", undefined, "Start your archive"),
    node("p", undefined, "Paste a podcast's feed URL, its web page, or an Apple Podcasts link or id into the box on the left and press Add."),
    node("p", undefined, "Or start with the Voice of the Child podcast from Researching Reform:"),
    add,
  );
  showPlaceholder("Episodes you open appear here.");
}

async function loadQueue(): Promise<void> {
  state.queue = await api.queueList();
  renderPodcasts();
}

async function showQueue(keepPlace = false): Promise<void> {
  // The queue moving on while the user searches within Up next leaves their results alone.
  if (keepPlace && state.searching) return loadQueue();
  state.queueView = true;
  state.archive = null;
  state.searching = false;
  el.search.value = "";
  const req = beginList(keepPlace);
  keepPlace = req.keepPlace;
  await loadQueue();
  if (!listCurrent(req.token)) return;
  el.autoDownload.hidden = true;
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

async function editQueue(edit: Parameters<typeof api.queueEdit>[0], id: number): Promise<void> {
  try {
    state.queue = await api.queueEdit(edit);
    renderPodcasts();
    if (state.queueView) await showQueue(true);
    await refreshShownEpisode(id);
  } catch (err) {
    showError(err, "Could not change the queue");
  }
}

/** Opens an episode's page. `keepScroll` redraws the page already shown (its file arrived) in place. */
async function showEpisode(id: number, keepScroll = false): Promise<void> {
  const token = ++state.detailToken;
  try {
    const d = await api.getEpisode(id);
    if (token !== state.detailToken) return;
    const e = d.episode;
    const scroll = el.detail.scrollTop;
    const head = node("header");
    const title = node("h1", undefined, e.title || "Untitled episode");
    title.id = "detail-title";
    const meta = node("div", "meta");
    meta.textContent = [d.podcast_title, fmtDate(e.published), fmtDuration(e.duration_secs), d.episode_type && d.episode_type !== "full" ? d.episode_type : ""]
      .filter(Boolean)
      .join(" · ");
    head.append(title, meta);
    if (!e.in_feed) head.append(node("div", "notice", "This episode is no longer in the podcast's feed; Earmark keeps it in your archive."));
    const media = node("div", "media");
    if (e.enclosure_url) {
      media.append(node("span", "badge", e.enclosure_type?.startsWith("video/") ? "video" : "audio"));
      media.append(node("span", "muted", `${e.enclosure_type ?? "media"}${e.enclosure_length ? ` · ${fmtBytes(e.enclosure_length)}` : ""}`));
    } else {
      media.append(node("span", "muted", "No media file: this entry is text only."));
    }
    const actions = node("div", "actions");
    actions.id = "episode-actions";
    state.shownEpisode = e;
    renderActions(actions, e);
    const notes = node("article", "notes");
    notes.id = "notes";
    // notes_html was sanitised by the library (ammonia) before it left Rust.
    notes.innerHTML = d.notes_html || "<p class=\"muted\">No show notes.</p>";
    const people = d.podcast20.persons.map((p) => (p.role ? `${p.name} (${p.role})` : p.name));
    const extra = node("div", "extra");
    if (people.length) extra.append(node("div", "muted", `With ${people.join(", ")}`));
    const downloadBox = node("div", "download-box");
    downloadBox.id = "download-box";
    renderDownloadBox(downloadBox, e);
    const related = node("section", "links");
    related.id = "episode-links";
    const marks = node("section", "bookmarks-section");
    marks.id = "bookmarks";
    marks.append(node("h3", undefined, "Bookmarks"));
    state.wave = null;
    state.cues = [];
    const haveFile = e.downloaded || (e.enclosure_url?.startsWith("file:") ?? false);
    if (haveFile) mountWaveform(e, marks, []);
    else if (e.enclosure_url) marks.append(node("p", "muted", "Download the episode (d) to see its waveform and export clips; bookmarks work either way."));
    const add = node("form", "add-bookmark");
    const addStart = node("input", "time");
    addStart.placeholder = "start";
    addStart.id = "new-mark-start";
    const addEnd = node("input", "time");
    addEnd.placeholder = "end";
    const addTitle = node("input", "title");
    addTitle.placeholder = "Title";
    const addButton = node("button", undefined, "Add bookmark");
    addButton.type = "submit";
    add.append(addStart, addEnd, addTitle, addButton);
    add.onsubmit = (ev) => {
      ev.preventDefault();
      const start = parseTime(addStart.value);
      const end = addEnd.value.trim() ? parseTime(addEnd.value) : null;
      if (start === null || (addEnd.value.trim() && end === null)) return toast("Type times like 12:30 or 1:02:03.5", "error");
      void api
        .addBookmark({ episode_id: e.id, start_secs: start, end_secs: end, title: addTitle.value.trim(), note: "", tags: [] })
        .then(() => refreshBookmarks(e))
        .catch((err: unknown) => showError(err, "Could not add the bookmark"));
    };
    marks.append(add);
    const transcript = node("section", "transcript");
    transcript.id = "transcript";
    if (d.podcast20.transcripts.length) {
      const load = node("button", undefined, "Show transcript");
      load.onclick = () =>
        void api
          .episodeTranscript(e.id)
          .then((cues) => token === state.detailToken && renderTranscript(transcript, e, cues))
          .catch((err: unknown) => showError(err, "Could not read the transcript"));
      transcript.append(node("h3", undefined, "Transcript"), load);
    }
    el.detail.replaceChildren(head, actions, downloadBox, marks, media, related, transcript, notes, extra);
    state.shown = e.id;
    state.shownToken = token;
    void renderBookmarks(e, marks, token);
    void renderEpisodeLinks(e.id, related, token);
    void api.episodeChapters(e.id).then((chapters) => {
      if (token !== state.detailToken || chapters.length === 0) return;
      state.wave?.setChapters(chapters.map((c) => c.start_secs));
      const box = node("section", "chapters");
      box.id = "chapters";
      box.append(node("h3", undefined, `Chapters (${chapters.length})`));
      const ol = node("ol");
      for (const c of chapters) {
        const li = node("li");
        const b = node("button", "chapter", `${fmtClock(c.start_secs)}  ${c.title || "Untitled chapter"}`);
        b.onclick = () => {
          if (bar.status?.episode_id === e.id && bar.status.state !== "idle") void api.player({ kind: "seek", secs: c.start_secs });
          else void api.playEpisode(e.id, c.start_secs).catch((err: unknown) => showError(err, "Cannot play this episode"));
        };
        const keep = node("button", "small chapter-mark", "+ bookmark");
        keep.title = "Bookmark this chapter as a segment";
        keep.onclick = () => {
          const next = chapters.find((x) => x.start_secs > c.start_secs);
          const end = next?.start_secs ?? e.duration_secs ?? bar.status?.duration_secs ?? null;
          void api
            .addBookmark({ episode_id: e.id, start_secs: c.start_secs, end_secs: end !== null && end > c.start_secs ? end : null, title: c.title || `Chapter at ${fmtClock(c.start_secs)}`, note: "", tags: ["chapter"] })
            .then(() => refreshBookmarks(e))
            .catch((err: unknown) => showError(err, "Could not bookmark the chapter"));
        };
        li.append(b, keep);
        ol.append(li);
      }
      box.append(ol);
      marks.before(box);
    });
    el.detail.scrollTop = keepScroll ? scroll : 0;
  } catch (err) {
    if (token === state.detailToken) showError(err, "Could not open the episode");
  }
}

/** The episode page's buttons: play, queue and played state. */
function renderActions(actions: HTMLElement, e: Episode): void {
  const play = node("button", "primary");
  play.id = "play-episode";
  setPlayButton(play, e);
  const mark = node("button", undefined, e.played ? "Mark as unplayed" : "Mark as played");
  mark.id = "mark-played";
  mark.onclick = () =>
    void api
      .setPlayed(e.id, !e.played)
      .then(() => Promise.all([refreshShownEpisode(e.id), state.searching ? Promise.resolve() : loadEpisodes(true)]))
      .catch((err: unknown) => showError(err, "Could not mark the episode"));
  const queued = state.queue.findIndex((q) => q.id === e.id);
  if (queued < 0) {
    const add = node("button", undefined, "Add to queue");
    add.id = "queue-add";
    add.title = "Add to the end of Up next (q)";
    add.onclick = () => void editQueue({ kind: "add", ids: [e.id], next: false }, e.id);
    const next = node("button", undefined, "Play next");
    next.onclick = () => void editQueue({ kind: "add", ids: [e.id], next: true }, e.id);
    actions.replaceChildren(play, add, next, mark);
  } else {
    const pos = node("span", "muted", `#${queued + 1} in Up next`);
    const up = node("button", undefined, "↑");
    up.title = "Move up";
    up.disabled = queued === 0;
    up.onclick = () => void editQueue({ kind: "move", id: e.id, index: queued - 1 }, e.id);
    const down = node("button", undefined, "↓");
    down.title = "Move down";
    down.disabled = queued === state.queue.length - 1;
    down.onclick = () => void editQueue({ kind: "move", id: e.id, index: queued + 1 }, e.id);
    const remove = node("button", undefined, "Remove from queue");
    remove.id = "queue-remove";
    remove.onclick = () => void editQueue({ kind: "remove", id: e.id }, e.id);
    actions.replaceChildren(play, mark, pos, up, down, remove);
  }
}

/**
 * After the shown episode's state changed (queue, played, its download), redraws its buttons and
 * download line and keeps the rest of the page: the scroll, a loaded transcript, half-typed
 * fields. Does nothing once the user has moved on, even if the next page has not drawn yet.
 */
async function refreshShownEpisode(id: number): Promise<void> {
  const token = state.detailToken;
  if (state.shown !== id || token !== state.shownToken) return;
  let e: Episode;
  try {
    e = (await api.getEpisode(id)).episode;
  } catch (err) {
    showError(err, "Could not read the episode");
    return;
  }
  if (token !== state.detailToken || state.shown !== id) return;
  const before = state.shownEpisode;
  // A file that arrived or left changes the waveform and the bookmark tools: draw the whole page.
  if (before?.downloaded !== e.downloaded) return showEpisode(id, true);
  state.shownEpisode = e;
  const actions = document.getElementById("episode-actions");
  const box = document.getElementById("download-box");
  if (actions) renderActions(actions, e);
  if (box) renderDownloadBox(box, e);
}

/** "1.2 MB of 20 MB · 3.4 MB/s · 0:05 left" for a running download. */
function downloadWords(d: DownloadEvent): string {
  if (d.state === "queued") return "waiting to download";
  const parts = [d.total ? `${fmtBytes(d.bytes)} of ${fmtBytes(d.total)}` : fmtBytes(d.bytes)];
  if (d.rate) parts.push(`${fmtBytes(d.rate)}/s`);
  if (d.eta_secs !== null && d.eta_secs !== undefined) parts.push(`${fmtClock(d.eta_secs)} left`);
  return parts.join(" · ");
}

/** The episode page's download line: a button, a progress bar with pause, or the offline file. */
function renderDownloadBox(box: HTMLElement, e: Episode): void {
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

function onDownloadEvent(d: DownloadEvent): void {
  const before = state.downloads.get(d.episode_id)?.state;
  state.downloads.set(d.episode_id, d);
  if (d.state === "failed" && before !== "failed") toast(`Download failed: ${d.error ?? "unknown error"}`, "error", "Press Download again to retry; it resumes where it stopped.");
  if (state.shown === d.episode_id && state.shownEpisode?.id === d.episode_id) {
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

// ---------------------------------------------------------------------------------------------
// The archive: posts, pages, campaigns and the links between episodes and them.

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

async function loadCollections(): Promise<void> {
  const [collections, review] = await Promise.all([api.listCollections(), api.reviewQueue()]);
  state.collections = collections;
  state.review = review;
  renderPodcasts();
}

async function openArchive(view: ArchiveView): Promise<void> {
  state.archive = view;
  state.queueView = false;
  state.searching = false;
  el.search.value = "";
  renderPodcasts();
  // The detail pane follows the choice at once; the list follows when it has been read. Choosing
  // "Posts & pages" again brings back the form for adding more.
  if (view.kind === "docs") showAddArchive();
  else if (view.kind === "bookmarks") showBookmarksPanel();
  else if (view.kind === "campaign") void showCampaign(view.id);
  await loadArchive();
}

async function loadArchive(keepPlace = false): Promise<void> {
  const view = state.archive;
  if (!view) return;
  el.autoDownload.hidden = true;
  const req = beginList(keepPlace);
  const token = req.token;
  keepPlace = req.keepPlace;
  try {
    if (view.kind === "bookmarks") {
      const f = state.markFilter;
      const rows = await api.listBookmarks({
        episode_id: null,
        tag: f.tag || null,
        query: f.query.trim() || null,
        created_from: f.from ? `${f.from}T00:00:00Z` : null,
        created_to: f.to ? `${f.to}T23:59:59Z` : null,
        order: f.order,
      });
      if (!listCurrent(token)) return;
      el.listTitle.textContent = "Bookmarks";
      el.listCount.textContent = `${rows.length.toLocaleString()} bookmark${rows.length === 1 ? "" : "s"}`;
      list.setItems(rows.map((row) => ({ kind: "bookmark", row })), keepPlace);
      el.empty.hidden = rows.length > 0;
      const filtered = f.query.trim() !== "" || f.tag !== "" || f.from !== "" || f.to !== "";
      if (!rows.length && filtered) {
        el.empty.replaceChildren(node("h2", undefined, "No bookmarks match"), node("p", undefined, "Change the search or the filters on the right."));
      } else if (!rows.length) {
        el.empty.replaceChildren(
          node("h2", undefined, "No bookmarks yet"),
          node("p", undefined, "While an episode plays, press b to mark the start of a moment and n to mark its end. Bookmarks work offline and can be exported."),
        );
      }
      return;
    }
    if (view.kind === "review") {
      const items = await api.reviewQueue();
      if (!listCurrent(token)) return;
      state.review = items;
      renderPodcasts();
      el.listTitle.textContent = "Review links";
      el.listCount.textContent = `${items.length} suggestion${items.length === 1 ? "" : "s"}`;
      list.setItems(items.map((item) => ({ kind: "review", item })), keepPlace);
      el.empty.hidden = items.length > 0;
      if (!items.length) {
        el.empty.replaceChildren(
          node("h2", undefined, "Nothing to review"),
          node("p", undefined, "Suggested links between episodes and posts appear here, strongest first. Add a blog or pages under “Posts & pages” to get suggestions."),
        );
      }
      return;
    }
    const campaign = view.kind === "campaign" ? view.name : null;
    const docs = await api.listDocuments(campaign);
    if (!listCurrent(token)) return;
    el.listTitle.textContent = campaign ?? "Posts & pages";
    el.listCount.textContent = `${docs.length.toLocaleString()} document${docs.length === 1 ? "" : "s"}`;
    list.setItems(docs.map((doc) => ({ kind: "doc", doc })), keepPlace);
    el.empty.hidden = docs.length > 0;
    if (!docs.length) {
      const add = node("button", "primary", "Add a blog or pages");
      add.id = "add-archive-empty";
      add.onclick = () => showAddArchive();
      el.empty.replaceChildren(
        node("h2", undefined, "No posts or pages yet"),
        node("p", undefined, "Add a blog by its home page (Earmark reads its whole archive) or campaign pages by their addresses. They are linked to the episodes they discuss."),
        add,
      );
    }
  } catch (err) {
    if (listCurrent(token)) showError(err, "Could not open the archive");
  }
}

/** The form for adding a blog (its whole archive) or pages by URL, optionally into a campaign. */
function showAddArchive(): void {
  ++state.detailToken;
  const box = node("section", "add-archive");
  box.append(node("h1", undefined, "Add a blog or pages"));
  box.append(node("p", "muted", "A blog: paste its home page; Earmark reads every post (WordPress sites fully). Pages: paste one address per line."));
  const urls = node("textarea");
  urls.id = "archive-urls";
  urls.rows = 5;
  urls.placeholder = "https://www.researchingreform.net/\nhttps://example.org/campaign/press-release";
  urls.spellcheck = false;
  const campaign = node("input");
  campaign.id = "archive-campaign";
  campaign.placeholder = "Campaign (optional), e.g. In Dad's Shoes";
  campaign.setAttribute("list", "campaign-names");
  const names = node("datalist");
  names.id = "campaign-names";
  for (const c of state.collections) {
    const o = node("option");
    o.value = c.name;
    names.append(o);
  }
  const actions = node("div", "actions");
  const blog = node("button", "primary", "Add blog (whole archive)");
  blog.id = "add-blog";
  const pages = node("button", undefined, "Add pages");
  pages.id = "add-pages";
  const lines = () => urls.value.split(/\s+/).map((u) => u.trim()).filter(Boolean);
  const campaignName = () => campaign.value.trim() || null;
  blog.onclick = () => {
    const [first] = lines();
    if (!first) return toast("Paste the blog's home page address first.", "error");
    void addSource(first, campaignName());
  };
  pages.onclick = () => {
    const all = lines();
    if (!all.length) return toast("Paste one or more page addresses, one per line.", "error");
    void addPages(all, campaignName());
  };
  const results = node("div", "archive-results");
  results.id = "archive-results";
  actions.append(blog, pages);
  box.append(urls, campaign, names, actions, results);
  takeDetail(box);
}

async function addSource(url: string, campaign: string | null): Promise<void> {
  setBusy(true, "Reading the blog's archive…");
  try {
    const r = await api.addSource(url, campaign);
    toast(`${r.source.title || url}: ${r.new} new, ${r.updated} updated`);
    await loadCollections();
    await loadArchive(true);
  } catch (err) {
    showError(err, "Could not add the blog");
  } finally {
    setBusy(false);
  }
}

async function addPages(urls: string[], campaign: string | null): Promise<void> {
  setBusy(true, `Fetching ${urls.length} page${urls.length === 1 ? "" : "s"}…`);
  try {
    const outcomes = await api.addPages(urls, campaign);
    const failed = outcomes.filter((o) => o.error);
    const box = document.getElementById("archive-results");
    if (box) {
      box.replaceChildren(
        ...outcomes.map((o) => node("div", o.error ? "error" : "muted", o.error ? `✗ ${o.url}: ${o.error}` : `✓ ${o.document?.title ?? o.url}${o.existed ? " (updated)" : ""}`)),
      );
    }
    toast(`Added ${outcomes.length - failed.length} of ${outcomes.length} pages`, failed.length ? "error" : "info", failed.length ? "The pages listed with ✗ could not be read; the others were kept." : undefined);
    await loadCollections();
    await loadArchive(true);
  } catch (err) {
    showError(err, "Could not add the pages");
  } finally {
    setBusy(false);
  }
}

async function showDocument(id: number): Promise<void> {
  const token = ++state.detailToken;
  try {
    const [d, links] = await Promise.all([api.getDocument(id), api.documentLinks(id)]);
    if (token !== state.detailToken) return;
    const head = node("header");
    const title = node("h1", undefined, d.title || d.url);
    title.id = "doc-title";
    const meta = node("div", "meta", [d.kind, fmtDate(d.published), d.author ?? "", hostOf(d.url)].filter(Boolean).join(" · "));
    head.append(title, meta);
    const tags = [...d.collections.map((c) => `⚑ ${c}`), ...d.categories, ...d.tags];
    if (tags.length) head.append(node("div", "muted", tags.join(" · ")));
    const actions = node("div", "actions");
    const open = node("button", undefined, "Open on the web");
    open.onclick = () => void api.openLink(d.url).catch((e: unknown) => showError(e, "Could not open the link"));
    const keep = node("button", undefined, d.source_id !== null ? "Keep this blog's images offline" : "Keep images offline");
    keep.id = "archive-images";
    keep.title = "Download the pictures of these pages so they read with no network";
    keep.onclick = () => {
      const shownAt = state.detailToken;
      setBusy(true, "Keeping images for offline reading…");
      void api
        .archiveImages(d.source_id)
        .then((r) => {
          toast(`${r.fetched} image${Number(r.fetched) === 1 ? "" : "s"} kept now, ${r.already} already kept${r.failed.length ? `, ${r.failed.length} could not be kept` : ""}`, r.failed.length ? "error" : "info", r.failed.slice(0, 3).join("; ") || undefined);
          // Redraw with the kept images only if the user is still reading this document.
          return state.detailToken === shownAt ? showDocument(d.id) : undefined;
        })
        .catch((err: unknown) => showError(err, "Could not keep the images"))
        .finally(() => setBusy(false));
    };
    actions.append(open, keep);
    const related = node("section", "links");
    related.id = "doc-episodes";
    related.append(node("h3", undefined, links.length ? `Episodes (${links.length})` : "Episodes"));
    if (!links.length) related.append(node("p", "muted", "No episode is linked to this document yet. Open an episode to link it by hand."));
    for (const l of links) {
      const row = node("div", `link-row ${l.state}`);
      const b = node("button", "link-title", l.title);
      b.onclick = () => void showEpisode(l.episode_id);
      row.append(b, node("span", `badge ${l.kind}`, l.kind));
      if (l.state !== l.kind) row.append(node("span", `badge state-${l.state}`, l.state));
      if (l.reasons.length) row.append(node("div", "reasons", l.reasons.join("; ")));
      if (l.note) row.append(node("div", "reasons", `Note: ${l.note}`));
      related.append(row);
    }
    const body = node("article", "notes document");
    body.id = "doc-body";
    // html was sanitised by the library (ammonia, trackers and scripts removed) before it left Rust.
    body.innerHTML = d.html || "<p class=\"muted\">This document has no text.</p>";
    takeDetail(head, actions, related, body);
    el.detail.scrollTop = 0;
  } catch (err) {
    showError(err, "Could not open the document");
  }
}

async function showCampaign(id: number): Promise<void> {
  const token = ++state.detailToken;
  try {
    const v = await api.collectionView(id);
    if (token !== state.detailToken) return;
    const head = node("header");
    const title = node("h1", undefined, v.collection.name);
    title.id = "campaign-title";
    head.append(title, node("div", "meta", `${v.collection.kind} · ${v.documents.length} documents · ${v.linked_episodes.length} linked episodes`));
    if (v.collection.description) head.append(node("p", undefined, v.collection.description));
    const pages = node("section", "links");
    pages.append(node("h3", undefined, "Pages"));
    for (const d of v.documents) {
      const b = node("button", "link-title", d.title || d.url);
      b.onclick = () => void showDocument(d.id);
      const row = node("div", "link-row");
      row.append(b, node("span", "muted", fmtDate(d.published)));
      pages.append(row);
    }
    const eps = node("section", "links");
    eps.id = "campaign-episodes";
    const all = [...v.episodes, ...v.linked_episodes.filter((e) => !v.episodes.some((x) => x.id === e.id))];
    eps.append(node("h3", undefined, `Episodes (${all.length})`));
    if (!all.length) eps.append(node("p", "muted", "No episode is linked to this campaign's pages yet. Accept suggestions under “Review links”, or link them from an episode's page."));
    for (const e of all) {
      const b = node("button", "link-title", e.title);
      b.onclick = () => void showEpisode(e.id);
      const row = node("div", "link-row");
      row.append(b, node("span", "muted", [podcastTitle(e.podcast_id), fmtDate(e.published)].filter(Boolean).join(" · ")));
      eps.append(row);
    }
    takeDetail(head, eps, pages);
  } catch (err) {
    showError(err, "Could not open the campaign");
  }
}

function showReviewItem(r: ReviewItem): void {
  ++state.detailToken;
  const head = node("header");
  head.append(node("h1", undefined, "Is this post about this episode?"), node("div", "meta", `score ${Math.round(r.score * 100)} · keys: a accept, x reject, j/k move`));
  const pair = node("section", "links review-pair");
  const ep = node("button", "link-title", `♫ ${r.episode_title}`);
  ep.onclick = () => void showEpisode(r.episode_id);
  const doc = node("button", "link-title", `¶ ${r.doc_title}`);
  doc.onclick = () => void showDocument(r.doc_id);
  pair.append(ep, doc, node("div", "reasons", r.reasons.join("; ")));
  const actions = node("div", "actions");
  const accept = node("button", "primary", "Accept (a)");
  accept.id = "review-accept";
  accept.onclick = () => void decideReview(r, "accept");
  const reject = node("button", undefined, "Reject (x)");
  reject.id = "review-reject";
  reject.onclick = () => void decideReview(r, "reject");
  actions.append(accept, reject);
  takeDetail(head, pair, actions);
}

let deciding = false;
async function decideReview(r: ReviewItem, kind: "accept" | "reject"): Promise<void> {
  // One decision at a time: a second key press before the list moved on would hit the same item.
  if (deciding) return;
  deciding = true;
  try {
    await api.decideLink(r.episode_id, r.doc_id, { kind });
    const index = list.selectedIndex;
    await loadArchive(true);
    // The user may have left the review meanwhile: then the list is no longer theirs to move in.
    if (state.archive?.kind !== "review") return;
    if (list.length) list.select(Math.min(index, list.length - 1), true);
    else showPlaceholder("All suggestions reviewed.");
  } catch (err) {
    showError(err, "Could not save the decision");
  } finally {
    deciding = false;
  }
}

/** The episode page's "Related posts and pages": links with reasons and the buttons to decide. */
async function renderEpisodeLinks(episodeId: number, box: HTMLElement, token: number): Promise<void> {
  let links: EpisodeLink[];
  try {
    links = await api.episodeLinks(episodeId);
  } catch {
    return;
  }
  if (token !== state.detailToken) return;
  box.replaceChildren(node("h3", undefined, `Related posts and pages (${links.filter((l) => l.state !== "rejected").length})`));
  const visible = links.filter((l) => l.state !== "rejected");
  if (!visible.length) box.append(node("p", "muted", "Nothing linked yet. Add the blog under “Posts & pages”, or link a document by hand below."));
  const decide = (l: EpisodeLink, decision: Parameters<typeof api.decideLink>[2]) =>
    void api
      .decideLink(episodeId, l.doc_id, decision)
      .then(() => Promise.all([renderEpisodeLinks(episodeId, box, state.detailToken), loadCollections()]))
      .catch((err: unknown) => showError(err, "Could not save the decision"));
  for (const l of visible) {
    const row = node("div", `link-row ${l.state}`);
    row.dataset.doc = String(l.doc_id);
    const b = node("button", "link-title", l.title || l.url);
    b.onclick = () => void showDocument(l.doc_id);
    row.append(b, node("span", `badge ${l.kind}`, l.kind));
      if (l.state !== l.kind) row.append(node("span", `badge state-${l.state}`, l.state));
    if (l.state === "suggested") {
      const accept = node("button", "small accept", "Accept");
      accept.onclick = () => decide(l, { kind: "accept" });
      const reject = node("button", "small reject", "Reject");
      reject.onclick = () => decide(l, { kind: "reject" });
      row.append(accept, reject);
    } else {
      const unlink = node("button", "small unlink", "Unlink");
      unlink.onclick = () => decide(l, { kind: "unlink" });
      row.append(unlink);
    }
    if (l.reasons.length) row.append(node("div", "reasons", l.reasons.join("; ")));
    box.append(row);
  }
  // Linking by hand: pick a document by title.
  const form = node("form", "manual-link");
  const pick = node("input");
  pick.placeholder = "Link a post or page by title…";
  pick.setAttribute("list", "doc-titles");
  const note = node("input");
  note.placeholder = "Note (optional)";
  const titles = node("datalist");
  titles.id = "doc-titles";
  const go = node("button", undefined, "Link");
  go.type = "submit";
  form.append(pick, note, titles, go);
  let docs: DocumentRow[] = [];
  pick.onfocus = () =>
    void api.listDocuments(null).then((d) => {
      docs = d;
      titles.replaceChildren(
        ...d.slice(0, 2000).map((x) => {
          const o = node("option");
          o.value = x.title || x.url;
          return o;
        }),
      );
    });
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const doc = docs.find((x) => (x.title || x.url) === pick.value);
    if (!doc) return toast("Choose a post or page from the list.", "error");
    decide({ doc_id: doc.id } as EpisodeLink, { kind: "link", note: note.value.trim() || null });
  };
  box.append(form);
}

// ---------------------------------------------------------------------------------------------
// Bookmarks, the waveform and the transcript on the episode page.

/** "1:02" or "1:02–1:35". */
function fmtSpan(start: number, end: number | null): string {
  return end === null ? fmtClock(start) : `${fmtClock(start)}–${fmtClock(end)}`;
}

/** Reads "12:30", "1:02:03.5" or "754.2" as seconds; null when it is not a time. */
function parseTime(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  const parts = t.split(":");
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return null;
  return parts.reduce((acc, p) => acc * 60 + Number(p), 0);
}

function showBookmarksPanel(): void {
  ++state.detailToken;
  const box = node("section", "bookmarks-panel");
  box.append(node("h1", undefined, "Bookmarks"));
  box.append(node("p", "muted", "Every bookmark in the library. Open one to replay it on its episode's page."));
  const f = state.markFilter;
  const filters = node("form", "mark-filters");
  const query = node("input");
  query.id = "mark-query";
  query.type = "search";
  query.placeholder = "Search titles and notes";
  query.value = f.query;
  const tag = node("select");
  tag.id = "mark-tag";
  const order = node("select");
  order.id = "mark-order";
  for (const [v, label] of [["date", "Newest first"], ["episode", "By episode"]] as const) {
    const o = node("option", undefined, label);
    o.value = v;
    order.append(o);
  }
  order.value = f.order;
  const from = node("input");
  from.type = "date";
  from.title = "Made on or after";
  from.value = f.from;
  const to = node("input");
  to.type = "date";
  to.title = "Made on or before";
  to.value = f.to;
  const apply = () => {
    f.query = query.value;
    f.tag = tag.value;
    f.order = order.value === "episode" ? "episode" : "date";
    f.from = from.value;
    f.to = to.value;
    void loadArchive(true);
  };
  query.oninput = apply;
  for (const c of [tag, order, from, to]) c.onchange = apply;
  filters.onsubmit = (ev) => ev.preventDefault();
  filters.append(query, tag, order, from, to);
  box.append(filters);
  // Tags in use, from the bookmarks themselves.
  void api
    .listBookmarks({ episode_id: null, tag: null, query: null, created_from: null, created_to: null, order: "date" })
    .then((rows) => {
      const tags = [...new Set(rows.flatMap((r) => r.bookmark.tags))].sort((a, b) => a.localeCompare(b));
      const all = node("option", undefined, "Any tag");
      all.value = "";
      tag.replaceChildren(
        all,
        ...tags.map((t) => {
          const o = node("option", undefined, `#${t}`);
          o.value = t;
          return o;
        }),
      );
      tag.value = f.tag;
    })
    .catch(() => undefined);
  box.append(node("p", "muted", "Export every bookmark:"));
  const actions = node("div", "actions");
  for (const [format, label] of [["md", "Markdown"], ["csv", "CSV"], ["json", "JSON"]] as const) {
    const b = node("button", undefined, `Export ${label}`);
    b.id = `export-${format}`;
    b.onclick = () =>
      void api
        .exportBookmarks(format)
        .then((path) => toast(`Exported to ${path}`))
        .catch((err: unknown) => showError(err, "Could not export"));
    actions.append(b);
  }
  box.append(actions);
  takeDetail(box);
}

/** The episode page's bookmarks section (with the waveform when the file is here). */
async function renderBookmarks(e: Episode, box: HTMLElement, token: number): Promise<void> {
  let rows: BookmarkRow[];
  try {
    rows = await api.listBookmarks({ episode_id: e.id, tag: null, query: null, created_from: null, created_to: null, order: "episode" });
  } catch (err) {
    showError(err, "Could not read bookmarks");
    return;
  }
  if (token !== state.detailToken || state.shown !== e.id) return;
  rows.sort((a, b) => a.bookmark.start_secs - b.bookmark.start_secs);
  state.marks = rows;
  state.wave?.setMarks(rows.map((r) => ({ id: r.bookmark.id, start: r.bookmark.start_secs, end: r.bookmark.end_secs, title: r.bookmark.title })));
  const listBox = box.querySelector(".bookmark-list") ?? node("div", "bookmark-list");
  listBox.replaceChildren();
  if (!rows.length) listBox.append(node("p", "muted", "No bookmarks. While this episode plays press b at the start of a moment and n at its end, or type times below."));
  for (const r of rows) listBox.append(bookmarkRow(e, r));
  if (!listBox.parentElement) box.append(listBox);
}

function bookmarkRow(e: Episode, r: BookmarkRow): HTMLElement {
  const b = r.bookmark;
  const row = node("div", "bookmark");
  row.dataset.id = String(b.id);
  row.dataset.start = String(b.start_secs);
  row.dataset.end = b.end_secs === null ? "" : String(b.end_secs);
  const save = (edit: Partial<BookmarkEdit>) =>
    void api
      .editBookmark(b.id, { start_secs: null, end_secs: null, clear_end: false, title: null, note: null, tags: null, ...edit })
      .then(() => refreshBookmarks(e))
      .catch((err: unknown) => showError(err, "Could not save the bookmark"));
  const start = node("input", "time");
  start.value = fmtClock(b.start_secs);
  start.title = "Start (12:30, 1:02:03.5 or seconds)";
  start.onchange = () => {
    const t = parseTime(start.value);
    if (t === null) return toast("Type a time like 12:30 or 1:02:03.5", "error");
    save({ start_secs: t });
  };
  const end = node("input", "time");
  end.value = b.end_secs === null ? "" : fmtClock(b.end_secs);
  end.placeholder = "end";
  end.title = "End (empty for a moment)";
  end.onchange = () => {
    if (!end.value.trim()) return save({ clear_end: true });
    const t = parseTime(end.value);
    if (t === null) return toast("Type a time like 12:30 or 1:02:03.5", "error");
    save({ end_secs: t });
  };
  const title = node("input", "title");
  title.value = b.title;
  title.placeholder = "Title";
  title.onchange = () => save({ title: title.value });
  const tags = node("input", "tags");
  tags.value = b.tags.join(", ");
  tags.placeholder = "tags, comma separated";
  tags.onchange = () => save({ tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean) });
  const note = node("textarea", "note");
  note.value = b.note;
  note.placeholder = "Note";
  note.rows = 1;
  note.onchange = () => save({ note: note.value });
  const play = node("button", "small", "▶");
  play.title = b.end_secs === null ? "Play from here" : "Play this segment, then stop";
  play.className = "small play-segment";
  play.onclick = () => playSegment(e.id, b.start_secs, b.end_secs, false);
  const loop = node("button", "small loop-segment", "⟳");
  loop.title = "Loop this segment";
  loop.disabled = b.end_secs === null;
  loop.onclick = () => playSegment(e.id, b.start_secs, b.end_secs, true);
  const wav = node("button", "small clip-wav", "WAV");
  wav.title = "Export this segment as a WAV file";
  const flac = node("button", "small clip-flac", "FLAC");
  flac.title = "Export this segment as a FLAC file";
  for (const [btn, format] of [[wav, "wav"], [flac, "flac"]] as const) {
    btn.disabled = b.end_secs === null || !(e.downloaded || (e.enclosure_url?.startsWith("file:") ?? false));
    btn.onclick = () => {
      setBusy(true, "Cutting the clip…");
      void api
        .exportClip(b.id, format)
        .then((path) => {
          toast(`Clip saved: ${path}`);
          row.dataset.clip = path;
        })
        .catch((err: unknown) => showError(err, "Could not export the clip"))
        .finally(() => setBusy(false));
    };
  }
  const link = node("button", "small copy-link", "Link");
  link.title = "Copy a link that opens Earmark at this moment";
  link.onclick = () => copyText(`earmark://episode/${e.id}?t=${Math.round(b.start_secs * 1000) / 1000}`);
  const del = node("button", "small delete", "✕");
  del.title = "Delete this bookmark";
  del.onclick = () =>
    void api
      .deleteBookmark(b.id)
      .then(() => refreshBookmarks(e))
      .catch((err: unknown) => showError(err, "Could not delete"));
  row.append(play, loop, start, end, title, tags, wav, flac, link, del, note);
  return row;
}

async function refreshBookmarks(e: Episode): Promise<void> {
  const box = document.getElementById("bookmarks");
  if (box && state.shown === e.id) await renderBookmarks(e, box, state.detailToken);
}

/** Puts text on the clipboard (the webview allows a copy from a user's click). */
function copyText(text: string): void {
  const area = node("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  toast(ok ? `Copied ${text}` : `Copy this link: ${text}`);
}

/** Opens an `earmark://` link: the episode's page, playing from that moment. */
function openAt(episode: number, secs: number): void {
  void showEpisode(episode).then(() => playSegment(episode, secs, null, false));
}

/** Plays `[start, end)` and stops there, or loops it. */
function playSegment(episode: number, start: number, end: number | null, loop: boolean): void {
  state.segment = end === null ? null : { episode, start, end, loop, last: null };
  if (bar.status?.episode_id === episode && bar.status.state !== "idle" && bar.status.state !== "ended") {
    void api.player({ kind: "seek", secs: start });
    if (!bar.playing) bar.toggle();
  } else {
    void api.playEpisode(episode, start).catch((err: unknown) => showError(err, "Cannot play this episode"));
  }
}

/** Follows playback: the playhead, the transcript line, and a segment's end. */
function onPlayerStatus(s: PlayerStatus): void {
  if (state.wave && s.episode_id === state.shown) state.wave.setPlayhead(s.position_secs);
  if (s.episode_id === state.shown && state.cues.length) highlightCue(s.position_secs);
  const seg = state.segment;
  if (seg) followSegment(seg, s);
}

/** The most a status tick can move on by itself: ticks come every 250 ms, at up to 3x speed. */
const SEGMENT_TICK_SECS = 2.5;

/**
 * Stops (or loops) a segment at its end, and lets it go when the user goes elsewhere: a seek
 * or skip out of it, another episode. Ticks from before its own seek landed are not counted.
 */
function followSegment(seg: NonNullable<typeof state.segment>, s: PlayerStatus): void {
  const pos = s.position_secs;
  const inside = s.episode_id === seg.episode && pos >= seg.start - 1 && pos < seg.end;
  if (inside) {
    seg.last = pos;
    return;
  }
  if (seg.last === null) return;
  const reachedEnd = s.episode_id === seg.episode && s.state === "playing" && pos >= seg.end && pos - seg.last <= SEGMENT_TICK_SECS;
  if (reachedEnd && seg.loop) {
    seg.last = null;
    void api.player({ kind: "seek", secs: seg.start });
  } else if (reachedEnd) {
    state.segment = null;
    if (bar.playing) bar.toggle();
  } else {
    // Another episode, or a jump out of the segment: the user has moved on.
    state.segment = null;
  }
}

/** b: a bookmark starts here (made at once, so nothing is lost); n: it ends here. */
function markKey(which: "start" | "end"): void {
  const s = bar.status;
  if (!s || s.episode_id === null || s.state === "idle") {
    toast("Play an episode first: b marks the start of a moment, n its end.", "error");
    return;
  }
  const episode = s.episode_id;
  const at = s.position_secs;
  if (which === "start") {
    const made = api.addBookmark({ episode_id: episode, start_secs: at, end_secs: null, title: `Moment at ${fmtClock(at)}`, note: "", tags: [] });
    const mark = { id: made.then((b) => b.id), episode };
    // Its failure is reported below; n on a failed start only reports its own.
    void mark.id.catch(() => undefined);
    state.openMark = mark;
    void made
      .then(() => {
        toast(`Start marked at ${fmtClock(at)}; press n at the end`);
        return state.shown === episode ? api.getEpisode(episode).then((d) => refreshBookmarks(d.episode)) : undefined;
      })
      .catch((err: unknown) => {
        if (state.openMark === mark) state.openMark = null;
        showError(err, "Could not mark");
      });
    return;
  }
  const open = state.openMark;
  if (!open || open.episode !== episode) {
    toast("Press b at the start of the moment first.", "error");
    return;
  }
  state.openMark = null;
  void open.id
    .then((id) => api.editBookmark(id, { start_secs: null, end_secs: at, clear_end: false, title: null, note: null, tags: null }))
    .then((b) => {
      toast(`Segment ${fmtSpan(b.start_secs, b.end_secs)} kept`);
      return state.shown === episode ? api.getEpisode(episode).then((d) => refreshBookmarks(d.episode)) : undefined;
    })
    .catch((err: unknown) => showError(err, "Could not mark the end"));
}

/** The waveform for an episode whose file is on this computer. */
function mountWaveform(e: Episode, box: HTMLElement, chapters: number[]): void {
  const canvas = node("canvas", "waveform");
  canvas.id = "waveform";
  const tools = node("div", "wave-tools");
  const zin = node("button", "small", "+");
  zin.title = "Zoom in (or the mouse wheel)";
  const zout = node("button", "small", "−");
  zout.title = "Zoom out";
  const all = node("button", "small", "Whole episode");
  const status = node("span", "muted", "Drawing the waveform…");
  status.id = "waveform-status";
  tools.append(zin, zout, all, status);
  box.append(canvas, tools);
  const wave = new Waveform(canvas, {
    onSeek: (t) => playSegment(e.id, t, null, false),
    onMarkChange: (id, start, end) =>
      void api
        .editBookmark(id, { start_secs: start, end_secs: end, clear_end: false, title: null, note: null, tags: null })
        .then(() => refreshBookmarks(e))
        .catch((err: unknown) => {
          showError(err, "Could not move the bookmark");
          void refreshBookmarks(e);
        }),
    fetchRange: (start, end, n) => api.waveformRange(e.id, start, end, n),
  });
  zin.onclick = () => wave.zoom(0.5);
  zout.onclick = () => wave.zoom(2);
  all.onclick = () => wave.reset();
  if (e.duration_secs) wave.setDuration(e.duration_secs);
  wave.setChapters(chapters);
  state.wave = wave;
  void api
    .episodeWaveform(e.id)
    .then((overview) => {
      if (state.wave !== wave) return;
      wave.addSlice(overview);
      wave.setComplete();
      status.textContent = "Drag a bookmark's handles to move it; click to play from there; Shift snaps to seconds.";
    })
    .catch((err: unknown) => {
      status.textContent = asApiError(err).message;
    });
}

function renderTranscript(box: HTMLElement, e: Episode, cues: TranscriptCue[]): void {
  state.cues = cues;
  box.replaceChildren(node("h3", undefined, `Transcript (${cues.length} lines)`));
  const hint = node("p", "muted", "Click a line to play from it; select lines and press “Bookmark selection”.");
  const make = node("button", "small", "Bookmark selection");
  make.id = "bookmark-selection";
  make.onclick = () => {
    const sel = window.getSelection();
    const lines = [...box.querySelectorAll<HTMLElement>(".cue")].filter((c) => sel?.containsNode(c, true));
    const first = lines[0];
    const last = lines[lines.length - 1];
    if (!first || !last) return toast("Select some lines of the transcript first.", "error");
    const a = cues[Number(first.dataset.i)];
    const z = cues[Number(last.dataset.i)];
    if (!a || !z) return;
    const end = z.end_secs ?? z.start_secs + 5;
    const text = (sel?.toString() ?? "").trim().replace(/\s+/g, " ");
    void api
      .addBookmark({ episode_id: e.id, start_secs: a.start_secs, end_secs: end > a.start_secs ? end : null, title: text.slice(0, 80) || "Transcript selection", note: text, tags: [] })
      .then(() => refreshBookmarks(e))
      .catch((err: unknown) => showError(err, "Could not bookmark the selection"));
  };
  const lines = node("div", "cues");
  cues.forEach((c, i) => {
    const p = node("p", "cue");
    p.dataset.i = String(i);
    p.append(node("span", "cue-time", fmtClock(c.start_secs)), document.createTextNode(" " + (c.speaker ? `${c.speaker}: ` : "") + c.text));
    p.onclick = () => {
      if (window.getSelection()?.toString()) return;
      playSegment(e.id, c.start_secs, null, false);
    };
    lines.append(p);
  });
  box.append(hint, make, lines);
}

function highlightCue(at: number): void {
  let current = -1;
  for (let i = 0; i < state.cues.length; i++) {
    const c = state.cues[i];
    if (c && c.start_secs <= at) current = i;
    else break;
  }
  const box = document.querySelector(".cues");
  if (!box) return;
  const prev = box.querySelector(".cue.current");
  const next = current >= 0 ? box.querySelector<HTMLElement>(`.cue[data-i="${current}"]`) : null;
  if (prev === next) return;
  prev?.classList.remove("current");
  if (next) {
    next.classList.add("current");
    next.scrollIntoView({ block: "nearest" });
  }
}

async function subscribe(input: string | null): Promise<void> {
  if (input !== null && input.trim() === "") {
    toast("Paste a feed URL, web page, or Apple Podcasts link first.", "error", hints.bad_url);
    el.addInput.focus();
    return;
  }
  setBusy(true, "Adding podcast…");
  el.addButton.disabled = true;
  const listAt = state.listChosen;
  try {
    const sub = input === null ? await api.subscribeDefault() : await api.subscribe(input.trim());
    el.addInput.value = "";
    await loadPodcasts();
    // Show the new podcast, unless the user has opened another list while it was being added.
    if (state.listChosen === listAt || state.podcasts.length === 1) await selectPodcast(sub.podcast.id);
    else await loadEpisodes(true);
    toast(sub.created ? `Added ${sub.podcast.title} (${sub.podcast.episode_count} episodes)` : `${sub.podcast.title} is already in your library; refreshed it.`);
  } catch (err) {
    showError(err, "Could not add the podcast");
  } finally {
    el.addButton.disabled = false;
    setBusy(false);
  }
}

async function refreshAll(): Promise<void> {
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

/** The episode page's Play button follows the player without redrawing the page. */
function setPlayButton(play: HTMLButtonElement, e: Episode): void {
  const local = e.enclosure_url?.startsWith("file:") ?? false;
  const loaded = bar.status?.episode_id === e.id && bar.status.state !== "ended" && bar.status.state !== "idle";
  play.textContent = loaded
    ? bar.playing
      ? "❚❚ Pause"
      : "▶ Continue"
    : e.position_secs > 0 && !e.played
      ? `▶ Resume from ${fmtClock(e.position_secs)}`
      : "▶ Play";
  play.disabled = !e.enclosure_url;
  play.title = local || e.downloaded ? "Play (p)" : "Play (p): streams it from the web (download it, d, to listen offline)";
  play.onclick = () => (loaded ? bar.toggle() : void playEpisode(e.id));
}

const bar = new PlayerBar(
  (e) => showError(e, "Player"),
  (s, before) => {
    if (s.episode_id !== null && s.episode_id !== before?.episode_id) {
      bar.setChapters([]);
      const id = s.episode_id;
      void api.episodeChapters(id).then((c) => bar.status?.episode_id === id && bar.setChapters(c));
    }
    // When an episode finishes or another starts, lists show the new played/progress state.
    if ((s.state === "ended" || s.state === "paused") && !state.searching) void loadEpisodes(true);
    const play = document.getElementById("play-episode") as HTMLButtonElement | null;
    if (play && state.shownEpisode && state.shown === s.episode_id) setPlayButton(play, state.shownEpisode);
  },
);

async function playEpisode(id: number): Promise<void> {
  try {
    await api.playEpisode(id);
  } catch (err) {
    showError(err, "Cannot play this episode");
  }
}

let searchTimer = 0;
function onSearchInput(): void {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => void runSearch(el.search.value), 120);
}

async function runSearch(q: string): Promise<void> {
  if (q.trim() === "") {
    state.searching = false;
    await loadEpisodes();
    return;
  }
  state.searching = true;
  const token = beginList(false).token;
  try {
    const hits = await api.search(q);
    if (!listCurrent(token) || el.search.value !== q) return;
    el.listTitle.textContent = `Search: ${q}`;
    // Results come from the whole archive: one podcast's auto-download setting does not belong here.
    el.autoDownload.hidden = true;
    el.listCount.textContent = `${hits.length} result${hits.length === 1 ? "" : "s"}`;
    list.setItems(hits.map((hit) => ({ kind: "hit", hit })));
    el.empty.hidden = hits.length > 0;
    if (!hits.length) el.empty.replaceChildren(node("h2", undefined, "No matches"), node("p", undefined, "Try fewer or shorter words; every word must match."));
  } catch (err) {
    showError(err, "Search failed");
  }
}

function isTyping(t: EventTarget | null): boolean {
  return t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement;
}

function onKey(ev: KeyboardEvent): void {
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
  } else if (ev.key === "q" && state.shown !== null) {
    void editQueue({ kind: "add", ids: [state.shown], next: false }, state.shown);
  } else if ((ev.key === "a" || ev.key === "x") && state.archive?.kind === "review") {
    const row = list.selectedItem;
    if (row?.kind === "review") void decideReview(row.item, ev.key === "a" ? "accept" : "reject");
  } else if (ev.key === "b" && !ev.ctrlKey) {
    markKey("start");
  } else if (ev.key === "n" && !ev.ctrlKey) {
    markKey("end");
  } else if ((ev.key === "+" || ev.key === "=" || ev.key === "-") && state.wave) {
    state.wave.zoom(ev.key === "-" ? 2 : 0.5);
  } else if (ev.key === "d" && state.shown !== null) {
    const id = state.shown;
    void api.downloadEpisodes([id]).catch((err: unknown) => showError(err, "Could not download"));
  } else if (ev.key === "o") {
    el.offlineOnly.checked = !el.offlineOnly.checked;
    void loadEpisodes();
  } else if (ev.key === "p" && state.shown !== null) {
    void playEpisode(state.shown);
  } else if (ev.key === "ArrowDown" || ev.key === "j") {
    ev.preventDefault();
    list.select(Math.min(list.length - 1, list.selectedIndex + 1), true);
  } else if (ev.key === "ArrowUp" || ev.key === "k") {
    ev.preventDefault();
    list.select(Math.max(0, list.selectedIndex - 1), true);
  }
}

/** Links in show notes open in the system browser, never inside the app window. */
function onDetailClick(ev: MouseEvent): void {
  const a = (ev.target as HTMLElement).closest("a");
  if (!a) return;
  ev.preventDefault();
  const href = a.getAttribute("href");
  if (href) api.openLink(href).catch((e: unknown) => showError(e, "Could not open the link"));
}

const settings = {
  dialog: $<HTMLDialogElement>("#settings"),
  form: $<HTMLFormElement>("#settings-form"),
  back: $<HTMLInputElement>("#skip-back-secs"),
  forward: $<HTMLInputElement>("#skip-forward-secs"),
  error: $<HTMLElement>("#settings-error"),
};

/** Opens the settings dialog filled with what is in force. */
async function openSettings(): Promise<void> {
  try {
    const [now, info] = await Promise.all([api.skipLengths(), api.libraryInfo()]);
    $<HTMLElement>("#about-version").textContent = info.version;
    $<HTMLElement>("#about-library").textContent = info.library_dir;
    settings.back.value = String(now.back_secs);
    settings.forward.value = String(now.forward_secs);
    settings.error.hidden = true;
    if (!settings.dialog.open) settings.dialog.showModal();
    settings.back.focus();
  } catch (err) {
    showError(err, "Could not read the settings");
  }
}

async function saveSettings(): Promise<void> {
  try {
    const now = await api.setSkipLengths(Number(settings.back.value), Number(settings.forward.value));
    bar.showSkipLengths(now);
    settings.dialog.close();
    toast(`Skips now go ${now.back_secs} s back and ${now.forward_secs} s forward`);
  } catch (err) {
    settings.error.textContent = asApiError(err).message;
    settings.error.hidden = false;
  }
}

async function init(): Promise<void> {
  $<HTMLButtonElement>("#settings-button").addEventListener("click", () => void openSettings());
  $<HTMLButtonElement>("#settings-cancel").addEventListener("click", () => settings.dialog.close());
  settings.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void saveSettings();
  });
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
    if (state.wave && w.episode_id === state.shown) state.wave.addSlice(w);
  });
  await api.onDownload(onDownloadEvent);
  await api.onOpenLink((o) => openAt(o.episode_id, o.secs));
  el.offlineOnly.addEventListener("change", () => void loadEpisodes());
  el.autoDownload.addEventListener("change", () => {
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
  });
  for (const d of await api.listDownloads().catch(() => [])) {
    state.downloads.set(d.episode_id, { episode_id: d.episode_id, state: d.state, bytes: d.bytes, total: d.total, rate: null, eta_secs: null, error: d.error });
  }
  await api.onQueueChanged(() => void (state.queueView ? showQueue(true) : loadQueue()));
  await api.onPlayerError((e) =>
    toast(e.message, "error", e.code === "no_output" ? "Earmark keeps your place; press play again once a device is connected." : undefined),
  );
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
    const collections = loadCollections().catch((err: unknown) => showError(err, "Could not read the archive"));
    if (state.podcasts.length) {
      if (state.detailToken === 0) {
        showPlaceholder("Choose an episode to read its show notes. Keys: / search, j/k or ↑/↓ move, p play, b/n mark a moment's start/end, d download, o offline only, q queue, space pause, ←/→ skip, [ ] speed, m mute, r refresh, Ctrl+L add, Ctrl+, settings (skip lengths).");
      }
      const shownAt = state.detailToken;
      const first = state.listToken === 0 ? loadEpisodes() : Promise.resolve();
      // The earmark:// link the app was started with opens now, unless the user has already
      // opened something else.
      const start = await api.startupLink().catch(() => null);
      if (start && state.detailToken === shownAt) openAt(start.episode_id, start.secs);
      await first;
    } else showEmptyLibrary();
    await collections;

  } catch (err) {
    showError(err, "Could not open your library");
  }
}

void init();
