// The episode page: its head, buttons, download line, bookmarks, related documents, chapters and transcript.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { renderDownloadBox } from "../downloads.js";
import { fmtBytes, fmtClock, fmtDate, fmtDuration, parseTime } from "../format.js";
import { showError, toast } from "../notify.js";
import { bar, playEpisode } from "../playback.js";
import { detailPane, state } from "../state.js";
import { renderEpisodeLinks } from "./episode-links.js";
import { tagsBox } from "./tags.js";
import { mountWaveform, refreshBookmarks, renderBookmarks, renderTranscript } from "./episode-marks.js";
import { loadEpisodes } from "./episodes.js";
import { heldImagesNotice } from "./held-images.js";
import { playlistControls } from "./playlists.js";
import { showPicture } from "../video.js";
import { editQueue } from "./queue.js";
import type { Episode } from "../bindings/Episode";

/** Opens an episode's page. `keepScroll` redraws the page already shown (its file arrived) in place. */
export async function showEpisode(id: number, keepScroll = false): Promise<void> {
  const ticket = detailPane.begin();
  try {
    const d = await api.getEpisode(id);
    if (!ticket.current) return;
    const e = d.episode;
    const scroll = el.detail.scrollTop;
    const head = node("header");
    const title = node("h1", undefined, e.title || "Untitled episode");
    title.id = "detail-title";
    const meta = node("div", "meta");
    meta.textContent = [d.podcast_title, fmtDate(e.published), fmtDuration(e.duration_secs), d.episode_type && d.episode_type !== "full" ? d.episode_type : ""]
      .filter(Boolean)
      .join(" · ");
    head.append(title, meta, tagsBox({ kind: "episode", id: e.id }, ticket));
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
          .then((cues) => ticket.current && renderTranscript(transcript, e, cues))
          .catch((err: unknown) => showError(err, "Could not read the transcript"));
      transcript.append(node("h3", undefined, "Transcript"), load);
    }
    const held = heldImagesNotice(d.remote_images, d.remote_images_allowed, { kind: "podcast", id: e.podcast_id }, () => void showEpisode(e.id, true));
    el.detail.replaceChildren(head, actions, downloadBox, marks, media, related, transcript, ...(held ? [held] : []), notes, extra);
    ticket.drewEpisode(e.id);
    void renderBookmarks(e, marks, ticket);
    void renderEpisodeLinks(e.id, related, ticket);
    void api.episodeChapters(e.id).then((chapters) => {
      if (!ticket.current || chapters.length === 0) return;
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
    if (ticket.current) showError(err, "Could not open the episode");
  }
}

/** The episode page's buttons: play, queue and played state. */
function renderActions(actions: HTMLElement, e: Episode): void {
  // Play stays the same element when the buttons are redrawn (a download finished, the queue
  // changed): a click whose press and release straddle a redraw would land on a button no longer
  // in the page, and WebKit drops it.
  const play = actions.querySelector<HTMLButtonElement>("#play-episode") ?? node("button", "primary");
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
    besidePlay(actions, play, [add, next, mark, ...pictureButton(e), ...playlistControls(e.id, () => void refreshShownEpisode(e.id))]);
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
    besidePlay(actions, play, [mark, pos, up, down, remove, ...playlistControls(e.id, () => void refreshShownEpisode(e.id))]);
  }
}

/** Puts `rest` after `play` in `actions`, leaving `play` where it is when it is already there. */
function besidePlay(actions: HTMLElement, play: HTMLButtonElement, rest: HTMLElement[]): void {
  if (play.parentElement !== actions) return actions.replaceChildren(play, ...rest);
  for (const child of [...actions.children]) if (child !== play) child.remove();
  play.after(...rest);
}

/** For a video episode: bring its picture back when its podcast was set to sound only. */
function pictureButton(e: Episode): HTMLElement[] {
  if (!e.enclosure_type?.startsWith("video/")) return [];
  const b = node("button", undefined, "Show picture");
  b.id = "show-picture";
  b.title = "Show this podcast's video (the picture shows once the episode is on this computer)";
  // Only a podcast set to sound only needs it; the answer lands on this button alone, so a late
  // one after the page moved on changes nothing that is shown.
  b.hidden = true;
  void api
    .podcastSound(e.podcast_id)
    .then((s) => {
      b.hidden = !s.sound_only;
    })
    .catch(() => undefined);
  b.onclick = () =>
    void showPicture(e.podcast_id, e.id)
      .then(() => {
        b.hidden = true;
        toast("Its picture shows when it plays");
      })
      .catch((err: unknown) => showError(err, "Could not change this podcast"));
  return [b];
}

/**
 * After the shown episode's state changed (queue, played, its download), redraws its buttons and
 * download line and keeps the rest of the page: the scroll, a loaded transcript, half-typed
 * fields. Does nothing once the user has moved on, even if the next page has not drawn yet.
 */
export async function refreshShownEpisode(id: number): Promise<void> {
  const ticket = detailPane.shownEpisode(id);
  if (!ticket) return;
  let e: Episode;
  try {
    e = (await api.getEpisode(id)).episode;
  } catch (err) {
    showError(err, "Could not read the episode");
    return;
  }
  if (!ticket.current || detailPane.shown !== id) return;
  const before = state.shownEpisode;
  // A file that arrived or left changes the waveform and the bookmark tools: draw the whole page.
  if (before?.downloaded !== e.downloaded) return showEpisode(id, true);
  state.shownEpisode = e;
  const actions = document.getElementById("episode-actions");
  const box = document.getElementById("download-box");
  if (actions) renderActions(actions, e);
  if (box) renderDownloadBox(box, e);
}

/** The episode page's Play button follows the player without redrawing the page. */
export function setPlayButton(play: HTMLButtonElement, e: Episode): void {
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
