// Settings → Share: start a shared team archive in a folder or join one, see its state and any
// problem in words, sync now, stop sharing. The app also syncs it by itself (after every bookmark
// or link decision, and on the timer); each sync's end arrives as a `share-finished` event.
import { api } from "./backend.js";
import type { ShareStatus } from "./bindings/ShareStatus";
import { $ } from "./dom.js";
import { toast, whileBusy } from "./notify.js";
import { describeShare, summariseShare } from "./sync-text.js";

const el = {
  state: $<HTMLElement>("#share-state"),
  problem: $<HTMLElement>("#share-problem"),
  start: $<HTMLElement>("#share-start"),
  shared: $<HTMLElement>("#share-shared"),
  folder: $<HTMLInputElement>("#share-folder"),
  name: $<HTMLInputElement>("#share-name"),
  person: $<HTMLInputElement>("#share-person"),
  create: $<HTMLButtonElement>("#share-create"),
  join: $<HTMLButtonElement>("#share-join"),
  address: $<HTMLInputElement>("#share-address"),
  addressLabel: $<HTMLElement>("#share-address-label"),
  now: $<HTMLButtonElement>("#share-now"),
  leave: $<HTMLButtonElement>("#share-leave"),
};

/** Shows a status in the Settings section. */
export function showShare(s: ShareStatus): void {
  el.state.textContent = describeShare(s, Date.now());
  el.problem.hidden = !s.last_error;
  el.problem.textContent = s.last_error ?? "";
  el.start.hidden = s.shared;
  el.shared.hidden = !s.shared;
  // What a teammate pastes into "Folder or server" to join: a server archive's address holds its
  // id; a folder is each teammate's own synced copy of it.
  el.addressLabel.textContent = s.on_server ? "Teammates join with" : "The shared folder";
  el.address.value = s.folder ?? "";
}

/** Reads the status for the Settings dialog. */
export async function loadShare(): Promise<void> {
  showShare(await api.shareStatus());
}

function busy(button: HTMLButtonElement, work: () => Promise<void>): Promise<void> {
  return whileBusy(button, el.problem, work);
}

function start(join: boolean): Promise<void> {
  return busy(join ? el.join : el.create, async () => {
    el.state.textContent = join ? "Joining…" : "Starting the archive…";
    const folder = el.folder.value;
    await (join ? api.shareJoin(folder, el.person.value) : api.shareCreate(folder, el.name.value, el.person.value));
    await loadShare();
  });
}

/** The buttons, and what the window does when a share sync finishes (`onChanged` reloads lists). */
export async function wireShare(onChanged: () => Promise<void>): Promise<void> {
  el.create.addEventListener("click", () => void start(false));
  el.join.addEventListener("click", () => void start(true));
  // One click selects the whole address, ready to copy.
  el.address.addEventListener("focus", () => el.address.select());
  el.now.addEventListener("click", () =>
    void busy(el.now, async () => {
      el.state.textContent = "Syncing…";
      await api.shareNow();
      await loadShare();
    }),
  );
  el.leave.addEventListener("click", () =>
    void busy(el.leave, async () => {
      await api.shareLeave();
      await loadShare();
      toast("Stopped sharing; this library keeps everything");
    }),
  );
  await api.onShareFinished((f) => {
    showShare(f.status);
    const news = f.report ? summariseShare(f.report) : "";
    if (news) {
      toast(`Shared archive: ${news}`);
      void onChanged();
    }
  });
}
