// Telling the user: toasts, errors with a hint, and the busy bar under the sidebar's buttons.
import { asApiError } from "./backend.js";
import { el, node } from "./dom.js";
import { state } from "./state.js";
import type { ApiError } from "./bindings/ApiError";
import type { ErrorCode } from "./bindings/ErrorCode";

/** What to do next, for the errors a person can act on; the compiler checks each key is a real code. */
export const hints: Partial<Record<ErrorCode, string>> = {
  offline: "Check your internet connection, then try again. Downloaded episodes still play.",
  timeout: "The server is slow to answer. Try again in a moment.",
  bad_url: "Paste a feed URL (https://…), a podcast's web page, or an Apple Podcasts link or id.",
  bad_feed: "That address does not give a podcast feed. Look for an RSS link on the podcast's site.",
  not_found: "Nothing was found there. Check the address or id.",
  gone: "The publisher removed this feed.",
  tls: "The site's secure connection failed; its certificate may be wrong.",
  too_large: "The server sent far more than a feed should be.",
};

export function toast(message: string, kind: "info" | "error" = "info", hint?: string): void {
  el.toast.replaceChildren(node("strong", undefined, message));
  if (hint) el.toast.append(node("div", "hint", hint));
  el.toast.className = `toast show ${kind}`;
  window.clearTimeout((toast as unknown as { timer?: number }).timer);
  (toast as unknown as { timer?: number }).timer = window.setTimeout(() => (el.toast.className = "toast"), kind === "error" ? 9000 : 4000);
}

export function showError(e: unknown, what: string): void {
  const err: ApiError = asApiError(e);
  toast(`${what}: ${err.message}`, "error", hints[err.code]);
}

export function setBusy(on: boolean, label = ""): void {
  state.busy += on ? 1 : -1;
  el.progress.classList.toggle("active", state.busy > 0);
  el.progress.classList.toggle("indeterminate", state.busy > 0);
  el.progressLabel.textContent = state.busy > 0 ? label : "";
  if (state.busy <= 0) el.progressBar.style.width = "0";
}

/** Runs a Settings action with its button disabled; a failure is said in `problem`, in words. */
export async function whileBusy(button: HTMLButtonElement, problem: HTMLElement, work: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await work();
  } catch (err) {
    problem.textContent = asApiError(err).message;
    problem.hidden = false;
  } finally {
    button.disabled = false;
  }
}
