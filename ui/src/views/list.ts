// The list pane's one virtual list, and how each kind of row draws.
import { el, node, reasonsLine } from "../dom.js";
import { downloadWords, fmtClock, fmtDate, fmtDuration, fmtSpan, hostOf, snippetParts } from "../format.js";
import { changedBy } from "../sync-text.js";
import { podcastTitle, state } from "../state.js";
import { VirtualList } from "../virtual-list.js";
import { showDocument } from "./document-page.js";
import { showEpisode } from "./episode-page.js";
import { selectPodcast } from "./episodes.js";
import { showReviewItem } from "./review.js";
import type { BookmarkRow } from "../bindings/BookmarkRow";
import type { DocumentRow } from "../bindings/DocumentRow";
import type { Episode } from "../bindings/Episode";
import type { ReviewItem } from "../bindings/ReviewItem";
import type { SearchHit } from "../bindings/SearchHit";

export type Row =
  | { kind: "episode"; episode: Episode }
  | { kind: "hit"; hit: SearchHit }
  | { kind: "doc"; doc: DocumentRow }
  | { kind: "review"; item: ReviewItem }
  | { kind: "bookmark"; row: BookmarkRow };

export const list = new VirtualList<Row>({
  container: el.episodeList,
  rowHeight: 58,
  render: renderRow,
  key: rowKey,
  onActivate: (row) => {
    if (row.kind === "episode") void showEpisode(row.episode.id);
    else if (row.kind === "doc") void showDocument(row.doc.id);
    else if (row.kind === "review") showReviewItem(row.item);
    else if (row.kind === "bookmark") void showEpisode(row.row.bookmark.episode_id);
    else if (row.hit.kind === "bookmark" || row.hit.kind === "transcript") {
      if (row.hit.episode_id !== null) void showEpisode(row.hit.episode_id);
    }
    else if (row.hit.kind === "episode") void showEpisode(row.hit.id);
    else if (row.hit.kind === "post" || row.hit.kind === "page") void showDocument(row.hit.id);
    else void selectPodcast(row.hit.id);
  },
});

function rowKey(row: Row): string {
  switch (row.kind) {
    case "episode":
      return `e${row.episode.id}`;
    case "hit":
      return `${row.hit.kind}${row.hit.id}`;
    case "doc":
      return `d${row.doc.id}`;
    case "review":
      return `r${row.item.episode_id}:${row.item.doc_id}`;
    case "bookmark":
      return `b${row.row.bookmark.id}`;
  }
}

function renderRow(row: Row, _i: number, selected: boolean): HTMLElement {
  const li = node("div", `row${selected ? " selected" : ""}`);
  li.setAttribute("role", "option");
  if (row.kind === "episode") {
    const e = row.episode;
    li.classList.add("episode-row");
    if (!e.in_feed) li.classList.add("archived");
    if (e.played) li.classList.add("played");
    li.append(node("div", "row-title", (e.played ? "✓ " : "") + (e.title || "Untitled episode")));
    const meta = node("div", "row-meta");
    if (!e.played && e.position_secs > 0 && e.duration_secs) {
      const pill = node("span", "progress-pill");
      const fill = node("i");
      fill.style.width = `${Math.min(100, (100 * e.position_secs) / e.duration_secs)}%`;
      pill.append(fill);
      meta.append(pill);
    }
    const dl = state.downloads.get(e.id);
    if (e.downloaded) meta.append(node("span", "badge offline", "offline"));
    const parts = [fmtDate(e.published), fmtDuration(e.duration_secs)];
    if (!e.downloaded && dl && (dl.state === "downloading" || dl.state === "queued")) {
      parts.push(dl.total && dl.state === "downloading" ? `downloading ${Math.floor((100 * dl.bytes) / dl.total)}%` : downloadWords(dl));
    }
    if (!e.played && e.position_secs > 0 && e.duration_secs) parts.push(`${fmtClock(e.duration_secs - e.position_secs)} left`);
    if (state.current === null) parts.unshift(podcastTitle(e.podcast_id));
    if (!e.in_feed) parts.push("no longer in the feed");
    if (e.enclosure_type?.startsWith("video/")) parts.push("video");
    meta.append(document.createTextNode(parts.filter(Boolean).join(" · ")));
    li.append(meta);
  } else if (row.kind === "doc") {
    const d = row.doc;
    li.classList.add("doc-row");
    const title = node("div", "row-title");
    title.append(node("span", `badge ${d.kind}`, d.kind), document.createTextNode(" " + (d.title || d.url)));
    li.append(title, node("div", "row-meta", [fmtDate(d.published), d.campaign ?? "", hostOf(d.url)].filter(Boolean).join(" · ")));
  } else if (row.kind === "bookmark") {
    const b = row.row.bookmark;
    li.classList.add("bookmark-row");
    const title = node("div", "row-title");
    title.append(node("span", "badge bookmark", fmtSpan(b.start_secs, b.end_secs)), document.createTextNode(" " + (b.title || "Untitled bookmark")));
    // In a shared archive, who changed it comes first: the row is narrow.
    const meta = [
      changedBy(row.row.changed_by, row.row.changed_at, Date.now()),
      row.row.episode_title,
      row.row.podcast_title,
      b.tags.map((t) => `#${t}`).join(" "),
      b.note.slice(0, 80),
    ];
    li.append(title, node("div", "row-meta", meta.filter(Boolean).join(" · ")));
  } else if (row.kind === "review") {
    const r = row.item;
    li.classList.add("review-row");
    const title = node("div", "row-title");
    title.append(node("span", "badge score", `${Math.round(r.score * 100)}`), document.createTextNode(` ${r.episode_title} ↔ ${r.doc_title}`));
    li.append(title, reasonsLine(r.reasons, "row-meta"));
  } else {
    const h = row.hit;
    li.classList.add("hit-row");
    const title = node("div", "row-title");
    title.append(node("span", `badge ${h.kind}`, h.kind), document.createTextNode(" " + h.title));
    li.append(title, snippetNode(h.snippet));
  }
  return li;
}

/** The snippet marks hits with [ and ]; show them highlighted without trusting any HTML. */
function snippetNode(snippet: string): HTMLElement {
  const meta = node("div", "row-meta snippet");
  for (const part of snippetParts(snippet)) {
    meta.append(part.hit ? node("mark", undefined, part.text) : document.createTextNode(part.text));
  }
  return meta;
}
