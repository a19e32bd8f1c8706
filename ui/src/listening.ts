// Pure helpers for playlists and listening statistics: no DOM, no backend, so the unit tests
// load them in Node.
import type { PeriodStats } from "./bindings/PeriodStats";
import type { SmartRule } from "./bindings/SmartRule";

/** A smart playlist's filter with no condition: every episode, newest first. */
export const NO_FILTER: SmartRule = {
  unplayed: false,
  downloaded: false,
  podcast: null,
  tag: null,
  campaign: null,
  shorter_than_mins: null,
  order: "newest",
  limit: null,
};

/** A smart playlist's filter in words, for the sidebar's tooltip and the playlist's page. */
export function describeRule(rule: SmartRule | null, podcastTitle: (id: number) => string = () => ""): string {
  if (rule === null) return "In the order you chose";
  const parts: string[] = [];
  if (rule.unplayed) parts.push("unplayed");
  if (rule.downloaded) parts.push("downloaded");
  if (rule.podcast !== null) parts.push(`from ${podcastTitle(rule.podcast) || `podcast ${rule.podcast}`}`);
  if (rule.tag) parts.push(`tagged “${rule.tag}”`);
  if (rule.campaign) parts.push(`in ${rule.campaign}`);
  if (rule.shorter_than_mins !== null) parts.push(`under ${rule.shorter_than_mins} min`);
  const what = parts.length ? `Episodes ${parts.join(", ")}` : "Every episode";
  const order = rule.order === "oldest" ? "oldest first" : "newest first";
  return `${what}, ${order}${rule.limit !== null ? `, at most ${rule.limit}` : ""}`;
}

/** `3 h 05 min`, `12 min`, `40 s`: listening at the scale people think of it. */
export function fmtListened(secs: number): string {
  const sign = secs < 0 ? "−" : "";
  const s = Math.round(Math.abs(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${sign}${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${sign}${m} min`;
  return `${sign}${s} s`;
}

/** One bar of the months chart. */
export interface MonthBar {
  /** `2026-12`. */
  period: string;
  /** Short label under the bar (`Dec`, or `Jan 27` where a year begins). */
  label: string;
  /** Seconds listened. */
  secs: number;
  /** Bar height as a share of the tallest (0–1). */
  share: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * The last `count` calendar months up to `until` (`YYYY-MM`), with months of no listening as
 * empty bars, so the chart's gaps are real gaps.
 */
export function monthBars(months: PeriodStats[], until: string, count = 12): MonthBar[] {
  const m = /^(\d{4})-(\d{2})$/.exec(until);
  if (!m) return [];
  let year = Number(m[1]);
  let month = Number(m[2]);
  const byPeriod = new Map(months.map((p) => [p.period, p.line.listened_secs]));
  const out: MonthBar[] = [];
  for (let i = 0; i < count; i++) {
    const period = `${year}-${String(month).padStart(2, "0")}`;
    out.unshift({ period, label: "", secs: byPeriod.get(period) ?? 0, share: 0 });
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  const most = Math.max(0, ...out.map((b) => b.secs));
  for (const [i, b] of out.entries()) {
    const mm = Number(b.period.slice(5));
    b.label = mm === 1 || i === 0 ? `${MONTHS[mm - 1]} ${b.period.slice(2, 4)}` : MONTHS[mm - 1];
    b.share = most > 0 ? b.secs / most : 0;
  }
  return out;
}
