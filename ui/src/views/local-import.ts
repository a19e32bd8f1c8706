// Importing audio and video files or folders from this computer as a podcast of their own.
import { api } from "../backend.js";
import { control, el, node } from "../dom.js";
import { setBusy, showError, toast } from "../notify.js";
import { formPage, takeDetail } from "./detail.js";
import { selectPodcast } from "./episodes.js";
import { loadPodcasts } from "./sidebar.js";

/** Whether what was typed into the Add box is a path on this computer rather than an address. */
export function looksLikePath(input: string): boolean {
  return /^(\/|~\/)/.test(input.trim());
}

/** The last part of a path: a folder's name is a good default for its podcast. */
function lastPart(path: string): string {
  const parts = path.trim().replace(/\/+$/, "").split("/").filter(Boolean);
  const last = parts[parts.length - 1] ?? "";
  return /\.[a-z0-9]{2,4}$/i.test(last) ? (parts[parts.length - 2] ?? "My files") : last || "My files";
}

/** The form: paths (one per line), a name, copy or reference, Import. */
export function showImportLocal(path = ""): void {
  const { box, form } = formPage("new-playlist import-local", "Import files from this computer");
  const paths = control("textarea", {
    id: "local-paths",
    rows: 3,
    placeholder: "/home/you/Recordings\n~/Music/Interviews/2024-03-04.mp3",
    spellcheck: false,
    value: path,
  });
  const name = control("input", { id: "local-name", placeholder: "Podcast name", value: path ? lastPart(path) : "" });
  paths.oninput = () => {
    if (!name.dataset.typed) name.value = lastPart(paths.value.split("\n")[0] ?? "");
  };
  name.oninput = () => (name.dataset.typed = "1");
  const keep = control("select", { id: "local-keep" });
  keep.append(
    new Option("Copy them into the library (safe to move or delete the originals)", "copy"),
    new Option("Play them from where they are (no space used; moving them breaks this)", "reference"),
  );
  const go = control("button", { id: "local-import", type: "submit" }, "primary", "Import");
  form.append(paths, name, keep, go);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    void importNow(paths.value.split("\n"), name.value, keep.value === "reference", go);
  };
  box.append(
    form,
    node("p", "muted", "Audio and video files (MP3, M4A/M4B, AAC, Ogg, FLAC, WAV, MP4, MOV), or folders of them. Titles, dates, artist and cover come from the files' own tags; each file becomes an episode you can play, bookmark, clip and link. Importing more under the same name adds to it."),
  );
  takeDetail(box);
  (path ? name : paths).focus();
}

async function importNow(paths: string[], name: string, reference: boolean, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setBusy(true, "Importing files…");
  try {
    const r = await api.importLocal(paths, name.trim() || "My files", reference);
    el.addInput.value = "";
    await loadPodcasts();
    await selectPodcast(r.podcast_id);
    const already = r.already ? `, ${r.already} already there` : "";
    toast(
      `${r.title}: ${r.added} episode${r.added === 1 ? "" : "s"} added${already}`,
      r.skipped.length ? "error" : "info",
      r.skipped.length ? `Skipped:\n${r.skipped.slice(0, 8).join("\n")}` : undefined,
    );
  } catch (err) {
    showError(err, "Could not import the files");
  } finally {
    button.disabled = false;
    setBusy(false);
  }
}
