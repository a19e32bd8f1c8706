// The settings dialog (Ctrl+,): skip lengths, even loudness, sync (sync-settings.ts), the shared archive
// (share-settings.ts), and the About section.
import { api, asApiError } from "./backend.js";
import { $ } from "./dom.js";
import { showError, toast } from "./notify.js";
import { bar } from "./playback.js";
import { loadShare } from "./share-settings.js";
import { loadSync } from "./sync-settings.js";

const settings = {
  dialog: $<HTMLDialogElement>("#settings"),
  form: $<HTMLFormElement>("#settings-form"),
  back: $<HTMLInputElement>("#skip-back-secs"),
  forward: $<HTMLInputElement>("#skip-forward-secs"),
  error: $<HTMLElement>("#settings-error"),
  even: $<HTMLInputElement>("#even-loudness"),
};

/** Opens the settings dialog filled with what is in force. */
export async function openSettings(): Promise<void> {
  try {
    const [now, info, even] = await Promise.all([api.skipLengths(), api.libraryInfo(), api.evenLoudness(), loadSync(), loadShare()]);
    settings.even.checked = even;
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
    await api.setEvenLoudness(settings.even.checked);
    bar.showSkipLengths(now);
    settings.dialog.close();
    toast(`Skips now go ${now.back_secs} s back and ${now.forward_secs} s forward`);
  } catch (err) {
    settings.error.textContent = asApiError(err).message;
    settings.error.hidden = false;
  }
}

/** The settings button, and the dialog's Cancel and Save. */
export function wireSettings(): void {
  $<HTMLButtonElement>("#settings-button").addEventListener("click", () => void openSettings());
  $<HTMLButtonElement>("#settings-cancel").addEventListener("click", () => settings.dialog.close());
  settings.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void saveSettings();
  });
}
