// Bookmarks, the waveform and the transcript on the episode page, and the b/n keys that mark moments.
import { api, asApiError } from "../backend.js";
import { node } from "../dom.js";
import { fmtClock, fmtSpan, parseTime } from "../format.js";
import { setBusy, showError, toast } from "../notify.js";
import type { DetailTicket } from "../pane.js";
import { bar, playSegment } from "../playback.js";
import { detailPane, state } from "../state.js";
import { Waveform } from "../waveform.js";
import type { BookmarkEdit } from "../bindings/BookmarkEdit";
import type { BookmarkRow } from "../bindings/BookmarkRow";
import type { Episode } from "../bindings/Episode";
import type { TranscriptCue } from "../bindings/TranscriptCue";

/** The episode page's bookmarks section (with the waveform when the file is here). */
export async function renderBookmarks(e: Episode, box: HTMLElement, ticket: DetailTicket): Promise<void> {
  let rows: BookmarkRow[];
  try {
    rows = await api.listBookmarks({ episode_id: e.id, tag: null, query: null, created_from: null, created_to: null, order: "episode" });
  } catch (err) {
    showError(err, "Could not read bookmarks");
    return;
  }
  if (!ticket.current || detailPane.shown !== e.id) return;
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

export async function refreshBookmarks(e: Episode): Promise<void> {
  const box = document.getElementById("bookmarks");
  if (box && detailPane.shown === e.id) await renderBookmarks(e, box, detailPane.ticket());
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

/** b: a bookmark starts here (made at once, so nothing is lost); n: it ends here. */
export function markKey(which: "start" | "end"): void {
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
        return detailPane.shown === episode ? api.getEpisode(episode).then((d) => refreshBookmarks(d.episode)) : undefined;
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
      return detailPane.shown === episode ? api.getEpisode(episode).then((d) => refreshBookmarks(d.episode)) : undefined;
    })
    .catch((err: unknown) => showError(err, "Could not mark the end"));
}

/** The waveform for an episode whose file is on this computer. */
export function mountWaveform(e: Episode, box: HTMLElement, chapters: number[]): void {
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

export function renderTranscript(box: HTMLElement, e: Episode, cues: TranscriptCue[]): void {
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

export function highlightCue(at: number): void {
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
