// Pure formatting and parsing helpers: no DOM, no backend, so the unit tests load them in Node.
import type { DownloadEvent } from "./bindings/DownloadEvent";
import type { Podcast } from "./bindings/Podcast";

export function fmtClock(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !isFinite(secs)) return "--:--";
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

export function fmtDuration(secs: number | null): string {
  if (secs === null || !isFinite(secs)) return "";
  const s = Math.round(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

export function fmtDate(iso: string | null): string {
  if (!iso) return "Date unknown";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? "Date unknown" : d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** Covers always come through the app's `cover:` scheme: the page loads nothing from other servers. */
export function coverUrl(p: Podcast): string | null {
  if (!p.image_url) return null;
  if (/^(file|https?):/i.test(p.image_url)) return `cover://localhost/${p.id}`;
  return null;
}

/** "1.2 MB of 20 MB · 3.4 MB/s · 0:05 left" for a running download. */
export function downloadWords(d: DownloadEvent): string {
  if (d.state === "queued") return "waiting to download";
  const parts = [d.total ? `${fmtBytes(d.bytes)} of ${fmtBytes(d.total)}` : fmtBytes(d.bytes)];
  if (d.rate) parts.push(`${fmtBytes(d.rate)}/s`);
  if (d.eta_secs !== null && d.eta_secs !== undefined) parts.push(`${fmtClock(d.eta_secs)} left`);
  return parts.join(" · ");
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** "1:02" or "1:02–1:35". */
export function fmtSpan(start: number, end: number | null): string {
  return end === null ? fmtClock(start) : `${fmtClock(start)}–${fmtClock(end)}`;
}

/** Reads "12:30", "1:02:03.5" or "754.2" as seconds; null when it is not a time. */
export function parseTime(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  const parts = t.split(":");
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return null;
  return parts.reduce((acc, p) => acc * 60 + Number(p), 0);
}

/**
 * A search snippet, which marks hits with [ and ], in parts: the odd-numbered ones (`hit`) are
 * the hits. Empty parts are kept, so the parts alternate.
 */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  return snippet.split(/[[\]]/).map((text, i) => ({ text, hit: i % 2 === 1 }));
}
