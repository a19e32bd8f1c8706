// Settings → Sync: log in to a gPodder server or a Nextcloud with gPodder Sync, see the last sync
// and any problem in words, sync now, log out. The app also syncs by itself (after a refresh, when
// playback pauses, every 15 minutes); each sync's end arrives as a `sync-finished` event.
import { api } from "./backend.js";
import type { SyncStatus } from "./bindings/SyncStatus";
import { $ } from "./dom.js";
import { describe, summarise } from "./sync-text.js";
import { toast, whileBusy } from "./notify.js";

const el = {
  state: $<HTMLElement>("#sync-state"),
  problem: $<HTMLElement>("#sync-problem"),
  login: $<HTMLElement>("#sync-login"),
  account: $<HTMLElement>("#sync-account"),
  server: $<HTMLInputElement>("#sync-server"),
  user: $<HTMLInputElement>("#sync-user"),
  password: $<HTMLInputElement>("#sync-password"),
  loginButton: $<HTMLButtonElement>("#sync-login-button"),
  now: $<HTMLButtonElement>("#sync-now"),
  logout: $<HTMLButtonElement>("#sync-logout"),
};

/** Shows a status in the Settings section. */
export function showSync(s: SyncStatus): void {
  el.state.textContent = describe(s, Date.now());
  el.problem.hidden = !s.last_error;
  el.problem.textContent = s.last_error ?? "";
  el.login.hidden = s.account !== null;
  el.account.hidden = s.account === null;
}

/** Reads the status for the Settings dialog. */
export async function loadSync(): Promise<void> {
  showSync(await api.syncStatus());
}

function busy(button: HTMLButtonElement, work: () => Promise<void>): Promise<void> {
  return whileBusy(button, el.problem, work);
}

/** The buttons, and what the window does when a sync finishes (`onChanged` reloads the lists). */
export async function wireSync(onChanged: () => Promise<void>): Promise<void> {
  el.loginButton.addEventListener("click", () =>
    void busy(el.loginButton, async () => {
      el.state.textContent = "Checking the server…";
      const account = await api.syncLogin({
        server: el.server.value.trim(),
        user: el.user.value.trim(),
        password: el.password.value,
      });
      el.password.value = "";
      toast(`Logged in to ${account.server}; syncing…`);
      await loadSync();
    }),
  );
  el.now.addEventListener("click", () =>
    void busy(el.now, async () => {
      el.state.textContent = "Syncing…";
      await api.syncNow();
      await loadSync();
    }),
  );
  el.logout.addEventListener("click", () =>
    void busy(el.logout, async () => {
      await api.syncLogout();
      await loadSync();
      toast("Logged out of sync; the password is forgotten");
    }),
  );
  await api.onSyncFinished((f) => {
    showSync(f.status);
    const news = f.report ? summarise(f.report) : "";
    if (news) {
      toast(`Sync: ${news}`);
      void onChanged();
    }
  });
}
