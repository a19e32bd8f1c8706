// What the list of blogs says about each one, in words: pure, so it is tested without a window.
import type { Source } from "./bindings/Source";
import { ago, changedLine } from "./sync-text.js";

/** The blog's name as the list shows it: its title once read, else its address without the scheme. */
export function blogName(s: Source): string {
  return s.title.trim() || s.home_url.replace(/^https?:\/\//, "").replace(/\/$/, "");
}

/**
 * "612 posts · read 2 hours ago · In Dad's Shoes · added by Bea, 3 hours ago". A blog a teammate
 * shared that this library has not read yet says it waits for the next refresh.
 */
export function blogMeta(s: Source, nowMs: number): string {
  const parts: string[] = [];
  if (s.last_refresh) {
    parts.push(`${s.document_count.toLocaleString("en")} post${s.document_count === 1 ? "" : "s"}`);
    parts.push(`read ${ago(s.last_refresh, nowMs)}${s.method === "rss" ? " (from its feed)" : ""}`);
  } else {
    parts.push("not read yet: \u201cRefresh all\u201d reads its archive");
  }
  if (s.campaign) parts.push(s.campaign);
  const by = changedLine("added", s, nowMs);
  if (by) parts.push(by);
  return parts.join(" · ");
}

/** The problem line under a blog whose last refresh failed, with what to do; empty when none. */
export function blogProblem(s: Source): string {
  return s.last_error ? `Last refresh failed: ${s.last_error}. Refresh tries again; check the address if it keeps failing.` : "";
}
