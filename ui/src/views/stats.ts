// Listening statistics: time listened per month (an SVG bar chart drawn here, no remote code),
// per year and per podcast, episodes finished, and the time speed and trimmed silence saved.
import { api } from "../backend.js";
import { node } from "../dom.js";
import { fmtListened, monthBars } from "../listening.js";
import { showError } from "../notify.js";
import { detailPane } from "../state.js";
import { takeDetail } from "./detail.js";
import type { ListeningStats } from "../bindings/ListeningStats";
import type { StatsLine } from "../bindings/StatsLine";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** The last twelve months as bars, each with its figure on hover. */
function monthsChart(stats: ListeningStats, now: Date): SVGSVGElement {
  const until = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const bars = monthBars(stats.by_month, until);
  const width = 560;
  const height = 180;
  const base = height - 24;
  const slot = width / bars.length;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "stats-chart", role: "img" });
  chart.setAttribute("aria-label", "Time listened in each of the last twelve months");
  chart.append(svg("line", { x1: 0, y1: base, x2: width, y2: base, class: "axis" }));
  for (const [i, b] of bars.entries()) {
    const h = Math.round(b.share * (base - 16));
    const rect = svg("rect", { x: i * slot + slot * 0.15, y: base - h, width: slot * 0.7, height: Math.max(h, b.secs > 0 ? 1 : 0), rx: 2, class: "bar" });
    const tip = svg("title", {});
    tip.textContent = `${b.period}: ${fmtListened(b.secs)}`;
    rect.append(tip);
    const label = svg("text", { x: i * slot + slot / 2, y: height - 8, "text-anchor": "middle", class: "label" });
    label.textContent = b.label;
    chart.append(rect, label);
    if (b.secs > 0 && b.share >= 0.999) {
      const top = svg("text", { x: i * slot + slot / 2, y: base - h - 4, "text-anchor": "middle", class: "value" });
      top.textContent = fmtListened(b.secs);
      chart.append(top);
    }
  }
  return chart;
}

function figures(line: StatsLine): HTMLElement {
  const box = node("div", "stats-figures");
  const figure = (value: string, label: string, id: string): void => {
    const f = node("div", "figure");
    f.id = id;
    f.append(node("strong", undefined, value), node("span", "muted", label));
    box.append(f);
  };
  figure(fmtListened(line.listened_secs), "listened", "stats-listened");
  figure(String(line.episodes_finished), line.episodes_finished === 1 ? "episode finished" : "episodes finished", "stats-finished");
  figure(fmtListened(line.saved_by_speed_secs), "saved by speed", "stats-speed");
  figure(fmtListened(line.saved_by_trimming_secs), "saved by trimming silence", "stats-trimmed");
  return box;
}

function table(heading: string, rows: { name: string; line: StatsLine }[]): HTMLElement {
  const t = node("table", "stats-table");
  const head = node("tr");
  for (const h of [heading, "Listened", "Finished", "Saved"]) head.append(node("th", undefined, h));
  t.append(head);
  for (const r of rows) {
    const tr = node("tr");
    tr.append(
      node("td", undefined, r.name),
      node("td", "num", fmtListened(r.line.listened_secs)),
      node("td", "num", String(r.line.episodes_finished)),
      node("td", "num", fmtListened(r.line.saved_by_speed_secs + r.line.saved_by_trimming_secs)),
    );
    t.append(tr);
  }
  return t;
}

/** Shows the statistics page in the detail pane. */
export async function showStats(): Promise<void> {
  const ticket = detailPane.begin();
  let stats: ListeningStats;
  try {
    stats = await api.listeningStats();
  } catch (err) {
    if (ticket.current) showError(err, "Could not read the statistics");
    return;
  }
  if (!ticket.current) return;
  const box = node("section", "stats-page");
  box.id = "stats-page";
  box.append(node("h1", undefined, "Listening"));
  if (stats.by_podcast.length === 0) {
    box.append(node("p", "placeholder", "Nothing listened to yet. Play an episode and the time you spend with it counts here: per podcast, month and year, and the time speed saves you."));
    takeDetail(box);
    return;
  }
  box.append(figures(stats.total), node("h2", undefined, "The last twelve months"), monthsChart(stats, new Date()));
  box.append(node("h2", undefined, "By podcast"), table("Podcast", stats.by_podcast.map((p) => ({ name: p.title, line: p.line }))));
  box.append(node("h2", undefined, "By year"), table("Year", stats.by_year.map((y) => ({ name: y.period, line: y.line })).reverse()));
  takeDetail(box);
}
