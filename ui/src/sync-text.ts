// The words Settings and the toasts use for sync, kept apart from the DOM so they are tested in node.
import type { Changed } from "./bindings/Changed";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { ShareStatus } from "./bindings/ShareStatus";
import type { ShareReport } from "./bindings/ShareReport";

/** "5 minutes ago", from an RFC 3339 time and the time now (ms). */
export function ago(rfc3339: string, nowMs: number): string {
  const secs = Math.max(0, Math.round((nowMs - Date.parse(rfc3339)) / 1000));
  if (!Number.isFinite(secs)) return rfc3339;
  if (secs < 60) return "just now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} minute${mins === 1 ? "" : "s"} ago`;
  const hours = Math.round(mins / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  return new Date(rfc3339).toLocaleString();
}

/** The status line: who and where, when last, what waits. */
export function describe(s: SyncStatus, nowMs: number): string {
  if (!s.account) return "Not set up. Log in to keep positions and subscriptions in step with AntennaPod, Kasts or gPodder.";
  const last = s.last_sync ? `last synced ${ago(s.last_sync, nowMs)}` : "not synced yet";
  const waiting = s.pending_subscriptions + s.pending_actions;
  const wait = waiting ? `; ${waiting} change${waiting === 1 ? "" : "s"} wait to be sent` : "";
  return `Syncing with ${s.account.server} as ${s.account.user} (${s.account.flavour === "nextcloud" ? "Nextcloud" : "gPodder"}): ${last}${wait}.`;
}

/** What a finished sync brought, in a few words (empty when nothing changed here). */
export function summarise(r: SyncReport): string {
  const parts: string[] = [];
  if (r.received.subscriptions_added) parts.push(`${r.received.subscriptions_added} new subscription${r.received.subscriptions_added === 1 ? "" : "s"}`);
  if (r.received.subscriptions_removed) parts.push(`${r.received.subscriptions_removed} unsubscribed`);
  if (r.positions_moved) parts.push(`${r.positions_moved} position${r.positions_moved === 1 ? "" : "s"} moved`);
  if (r.played_changed) parts.push(`${r.played_changed} marked played or unplayed`);
  return parts.join(", ");
}


/** The shared archive's status line. */
export function describeShare(s: ShareStatus, nowMs: number): string {
  if (!s.shared) return "Not shared. Start an archive in a folder your team syncs (Nextcloud, Dropbox, Syncthing), or join one there.";
  const last = s.last_sync ? `last synced ${ago(s.last_sync, nowMs)}` : "not synced yet";
  const i = s.items;
  return `Sharing "${s.name ?? ""}" as ${s.person ?? ""} through ${s.folder ?? ""}: ${i.bookmarks} bookmarks, ${i.decisions} link decisions, ${i.tags} tags, ${i.subscriptions} subscriptions, ${i.sources} blogs, ${i.pages} pages, ${i.collections} campaigns and topics; ${last}.`;
}

/** What a share sync brought here, in a few words (empty when nothing). */
export function summariseShare(r: ShareReport): string {
  const got = r.received;
  const parts: string[] = [];
  if (got.bookmarks) parts.push(`${got.bookmarks} bookmark${got.bookmarks === 1 ? "" : "s"}`);
  if (got.decisions) parts.push(`${got.decisions} link decision${got.decisions === 1 ? "" : "s"}`);
  if (got.tags) parts.push(`${got.tags} tag${got.tags === 1 ? "" : "s"}`);
  if (got.sources) parts.push(`${got.sources} blog${got.sources === 1 ? "" : "s"}`);
  if (got.pages) parts.push(`${got.pages} page${got.pages === 1 ? "" : "s"}`);
  if (got.collections) parts.push(`${got.collections} campaign${got.collections === 1 ? "" : "s"} or topic${got.collections === 1 ? "" : "s"}`);
  if (got.subscriptions) parts.push(`${got.subscriptions} subscription${got.subscriptions === 1 ? "" : "s"}`);
  return parts.length ? `from the team: ${parts.join(", ")}` : "";
}

/** "by Bea" on a shared bookmark. */
export function changedBy(by: string | null, at: string | null, nowMs: number): string {
  if (!by) return "";
  return at ? `by ${by}, ${ago(at, nowMs)}` : `by ${by}`;
}

/** "accepted by Bea, 2 h ago" on any other shared item: what was done to it, by whom and when;
 * empty outside a shared archive. */
export function changedLine(what: string, item: Partial<Changed>, nowMs: number): string {
  const by = changedBy(item.changed_by ?? null, item.changed_at ?? null, nowMs);
  return by ? `${what} ${by}` : "";
}
