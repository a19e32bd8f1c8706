// Playlists: a playlist's episodes in the list pane, its page (filter, rename, delete, play) in
// the detail pane, the form for a new one, and "Add to playlist" on an episode's page.
import { api } from "../backend.js";
import { control, el, node } from "../dom.js";
import { describeRule, NO_FILTER } from "../listening.js";
import { showError, toast } from "../notify.js";
import { detailPane, listPane, podcastTitle, type PlaylistView, setView, state } from "../state.js";
import { formPage, takeDetail } from "./detail.js";
import { list } from "./list.js";
import { renderPodcasts } from "./sidebar.js";
import type { Playlist } from "../bindings/Playlist";
import type { SmartRule } from "../bindings/SmartRule";

/** The shown playlist's episode ids in order, for the episode page's move buttons. */
let shownOrder: number[] = [];

export async function loadPlaylists(): Promise<void> {
  state.playlists = await api.listPlaylists();
  renderPodcasts();
}

/** Shows a playlist: its episodes in the list, its page in the detail pane. */
export async function openPlaylist(view: PlaylistView): Promise<void> {
  setView({ view, searching: false });
  el.search.value = "";
  renderPodcasts();
  const p = state.playlists.find((x) => x.id === view.id);
  if (p) showPlaylistPage(p);
  await loadPlaylist();
}

/** Reloads the shown playlist's episodes (a smart one's as they match now). */
export async function loadPlaylist(keepPlace = false): Promise<void> {
  const view = state.view;
  if (view.kind !== "playlist") return;
  el.autoDownload.hidden = true;
  el.podcastSound.hidden = true;
  el.offlineFilter.hidden = true;
  el.reviewEvidence.hidden = true;
  const req = listPane.begin(keepPlace);
  keepPlace = req.keepPlace;
  try {
    const episodes = await api.playlistEpisodes(view.id);
    if (!req.claim()) return;
    shownOrder = episodes.map((e) => e.id);
    el.listTitle.textContent = view.name;
    el.listCount.textContent = `${episodes.length.toLocaleString()} episode${episodes.length === 1 ? "" : "s"}`;
    list.setItems(episodes.map((episode) => ({ kind: "episode", episode })), keepPlace);
    el.empty.hidden = episodes.length > 0;
    if (!episodes.length) {
      const smart = state.playlists.find((p) => p.id === view.id)?.rule;
      el.empty.replaceChildren(
        node("h2", undefined, "Nothing in this playlist"),
        node(
          "p",
          undefined,
          smart
            ? "No episode matches its filter now. Change the filter on the right, or wait for new episodes."
            : "Open an episode and choose this playlist under “Add to playlist”.",
        ),
      );
    }
  } catch (err) {
    if (req.claim()) showError(err, "Could not read the playlist");
  }
}

/** The fields of a smart playlist's filter, and how to read them back. */
function ruleForm(rule: SmartRule): { box: HTMLElement; read: () => SmartRule } {
  const box = node("div", "rule-form");
  const check = (label: string, on: boolean): HTMLInputElement => {
    const l = node("label", "check");
    const c = node("input");
    c.type = "checkbox";
    c.checked = on;
    l.append(c, ` ${label}`);
    box.append(l);
    return c;
  };
  const field = <T extends HTMLElement>(label: string, input: T): T => {
    const l = node("label", "field");
    l.append(node("span", undefined, label), input);
    box.append(l);
    return input;
  };
  const unplayed = check("Unplayed only", rule.unplayed);
  unplayed.id = "rule-unplayed";
  const downloaded = check("Downloaded only", rule.downloaded);
  const podcast = field("Podcast", node("select"));
  podcast.append(new Option("Any podcast", ""));
  for (const p of state.podcasts) podcast.append(new Option(p.title || p.feed_url, String(p.id), false, rule.podcast === p.id));
  const tag = field("Tag", node("input"));
  tag.placeholder = "Any tag";
  tag.value = rule.tag ?? "";
  const campaign = field("Campaign", node("select"));
  campaign.append(new Option("Any campaign", ""));
  for (const c of state.collections) campaign.append(new Option(c.name, c.name, false, rule.campaign === c.name));
  const shorter = field("Shorter than (minutes)", node("input"));
  shorter.id = "rule-shorter";
  shorter.type = "number";
  shorter.min = "1";
  shorter.value = rule.shorter_than_mins === null ? "" : String(rule.shorter_than_mins);
  const order = field("Order", node("select"));
  order.append(new Option("Newest first", "newest", false, rule.order === "newest"), new Option("Oldest first", "oldest", false, rule.order === "oldest"));
  const limit = field("At most (episodes)", node("input"));
  limit.type = "number";
  limit.min = "1";
  limit.value = rule.limit === null ? "" : String(rule.limit);
  const count = (input: HTMLInputElement): number | null => {
    const n = Math.floor(Number(input.value));
    return input.value.trim() === "" || !Number.isFinite(n) ? null : n;
  };
  return {
    box,
    read: () => ({
      unplayed: unplayed.checked,
      downloaded: downloaded.checked,
      podcast: podcast.value === "" ? null : Number(podcast.value),
      tag: tag.value.trim() || null,
      campaign: campaign.value || null,
      shorter_than_mins: count(shorter),
      order: order.value === "oldest" ? "oldest" : "newest",
      limit: count(limit),
    }),
  };
}


/** The form for a new playlist, by hand or smart. */
export function showNewPlaylist(): void {
  const { box, form } = formPage("new-playlist", "New playlist");
  const name = control("input", { id: "playlist-name", placeholder: "Name, e.g. Commute", required: true });
  const kind = control("select", { id: "playlist-kind" });
  kind.append(new Option("Ordered by hand", "hand"), new Option("Smart: a saved filter", "smart"));
  const rule = ruleForm({ ...NO_FILTER, unplayed: true });
  rule.box.hidden = true;
  kind.onchange = () => (rule.box.hidden = kind.value !== "smart");
  const make = control("button", { id: "playlist-create", type: "submit" }, "primary", "Make playlist");
  form.append(name, kind, rule.box, make);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    make.disabled = true;
    void api
      .createPlaylist(name.value, kind.value === "smart" ? rule.read() : null)
      .then(async (p) => {
        await loadPlaylists();
        toast(`Made ${p.name}`);
        await openPlaylist({ kind: "playlist", id: p.id, name: p.name });
      })
      .catch((err: unknown) => showError(err, "Could not make the playlist"))
      .finally(() => (make.disabled = false));
  };
  box.append(
    form,
    node("p", "muted", "A playlist by hand holds the episodes you add (from an episode's page). A smart one lists whatever matches its filter each time you open it."),
  );
  takeDetail(box);
  name.focus();
}

/** A playlist's page: what it holds, play it, change its filter, rename or delete it. */
function showPlaylistPage(p: Playlist): void {
  detailPane.begin();
  const box = node("section", "playlist-page");
  box.append(node("h1", undefined, p.name), node("p", "muted", describeRule(p.rule, podcastTitle)));
  const actions = node("div", "actions");
  const play = node("button", "primary", "▶ Play");
  play.id = "playlist-play";
  play.title = "Play from the first unplayed episode; the playlist moves on as each one ends";
  play.onclick = () =>
    void api
      .playlistEpisodes(p.id)
      .then((eps) => {
        const first = eps.find((e) => !e.played) ?? eps[0];
        if (!first) return toast("Nothing to play in this playlist yet.");
        return api.playEpisode(first.id, null, false, p.id);
      })
      .catch((err: unknown) => showError(err, "Cannot play this playlist"));
  const rename = node("button", undefined, "Rename…");
  rename.onclick = () => {
    const to = prompt("New name", p.name);
    if (to && to !== p.name) void edit(p, { kind: "rename", name: to });
  };
  const remove = node("button", "danger", "Delete playlist");
  remove.id = "playlist-delete";
  remove.onclick = () => {
    if (confirm(`Delete the playlist “${p.name}”? Its episodes stay in your library.`)) void edit(p, { kind: "delete" });
  };
  actions.append(play, rename, remove);
  box.append(actions);
  if (p.rule) {
    const rule = ruleForm(p.rule);
    const save = node("button", undefined, "Save filter");
    save.id = "playlist-save-filter";
    save.onclick = () => void edit(p, { kind: "filter", rule: rule.read() });
    box.append(node("h2", undefined, "Filter"), rule.box, save);
  } else {
    box.append(node("p", "muted", "Add episodes from their pages (“Add to playlist”); move or remove them here with the buttons on each episode's page."));
  }
  takeDetail(box);
}

async function edit(p: Playlist, change: Parameters<typeof api.editPlaylist>[1]): Promise<void> {
  try {
    state.playlists = await api.editPlaylist(p.id, change);
    renderPodcasts();
    const now = state.playlists.find((x) => x.id === p.id);
    if (!now) {
      toast(`Deleted ${p.name}`);
      const { selectPodcast } = await import("./episodes.js");
      return selectPodcast(null);
    }
    if (state.view.kind === "playlist" && state.view.id === p.id) {
      setView({ view: { kind: "playlist", id: now.id, name: now.name } });
      showPlaylistPage(now);
      await loadPlaylist(true);
    }
  } catch (err) {
    showError(err, "Could not change the playlist");
  }
}

/**
 * The episode page's playlist controls: "Add to playlist" for the playlists ordered by hand, and
 * when the list shows one that holds this episode, move up, down and out of it.
 */
export function playlistControls(episodeId: number, redraw: () => void): HTMLElement[] {
  const out: HTMLElement[] = [];
  const byHand = state.playlists.filter((p) => p.rule === null);
  const view = state.view;
  if (view.kind === "playlist" && byHand.some((p) => p.id === view.id)) {
    const at = shownOrder.indexOf(episodeId);
    if (at >= 0) {
      const up = node("button", undefined, "↑");
      up.title = `Move up in ${view.name}`;
      up.disabled = at === 0;
      up.onclick = () => void moveIn(view, episodeId, at - 1).then(redraw);
      const down = node("button", undefined, "↓");
      down.title = `Move down in ${view.name}`;
      down.disabled = at === shownOrder.length - 1;
      down.onclick = () => void moveIn(view, episodeId, at + 1).then(redraw);
      const out_ = node("button", undefined, `Remove from ${view.name}`);
      out_.id = "playlist-remove";
      out_.onclick = () => void changeEntries(view.id, { kind: "remove", id: episodeId }, "Removed from the playlist").then(redraw);
      out.push(up, down, out_);
    }
  }
  if (byHand.length) {
    const pick = node("select");
    pick.id = "playlist-add";
    pick.title = "Add this episode to the end of a playlist";
    pick.append(new Option("Add to playlist…", ""));
    for (const p of byHand) pick.append(new Option(p.name, String(p.id)));
    pick.onchange = () => {
      const id = Number(pick.value);
      pick.value = "";
      if (id) void changeEntries(id, { kind: "add", ids: [episodeId] }, `Added to ${byHand.find((p) => p.id === id)?.name ?? "the playlist"}`).then(redraw);
    };
    out.push(pick);
  }
  return out;
}

async function moveIn(view: PlaylistView, episodeId: number, index: number): Promise<void> {
  await changeEntries(view.id, { kind: "move", id: episodeId, index }, null);
}

async function changeEntries(id: number, change: Parameters<typeof api.editPlaylist>[1], said: string | null): Promise<void> {
  try {
    state.playlists = await api.editPlaylist(id, change);
    renderPodcasts();
    if (said) toast(said);
    if (state.view.kind === "playlist" && state.view.id === id) await loadPlaylist(true);
  } catch (err) {
    showError(err, "Could not change the playlist");
  }
}
