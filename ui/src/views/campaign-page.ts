// A campaign's page: its pages and the episodes linked to them, with the order of its own members
// set by hand (a shared archive carries it to the team).
import { api } from "../backend.js";
import type { CollectionMember } from "../bindings/CollectionMember";
import type { CollectionView } from "../bindings/CollectionView";
import { node } from "../dom.js";
import { fmtDate } from "../format.js";
import { changedLine } from "../sync-text.js";
import { showError } from "../notify.js";
import { detailPane, podcastTitle } from "../state.js";
import { takeDetail } from "./detail.js";
import { showDocument } from "./document-page.js";
import { showEpisode } from "./episode-page.js";

/** Shows a campaign; `changed` runs after its members or their order changed here (the list beside
 * it follows). */
export async function showCampaign(id: number, changed: () => void = () => {}): Promise<void> {
  const ticket = detailPane.begin();
  try {
    const v = await api.collectionView(id);
    if (!ticket.current) return;
    drawCampaign(v, changed);
  } catch (err) {
    showError(err, "Could not open the campaign");
  }
}

/** Up, down and "take out" for one member at `index` of `count`; the answer redraws the page. */
function orderButtons(v: CollectionView, changed: () => void, member: CollectionMember, index: number, count: number, what: string): HTMLElement[] {
  const id = v.collection.id;
  const act = (label: string, title: string, run: () => Promise<CollectionView>, disabled = false): HTMLElement => {
    const b = node("button", "small", label);
    b.title = title;
    b.disabled = disabled;
    b.onclick = () => {
      const ticket = detailPane.begin();
      run()
        .then((next) => {
          changed();
          if (ticket.current) drawCampaign(next, changed);
        })
        .catch((err: unknown) => showError(err, `Could not change the campaign's ${what}s`));
    };
    return b;
  };
  return [
    act("↑", `Move this ${what} up`, () => api.collectionMove(id, member, index - 1), index === 0),
    act("↓", `Move this ${what} down`, () => api.collectionMove(id, member, index + 1), index === count - 1),
    act("Take out", `Take this ${what} out of the campaign (it stays in the library)`, () => api.collectionRemove(id, member)),
  ];
}

function drawCampaign(v: CollectionView, changed: () => void): void {
  const head = node("header");
  const title = node("h1", undefined, v.collection.name);
  title.id = "campaign-title";
  const who = changedLine("changed", v.collection, Date.now());
  const meta = node("div", "meta", [v.collection.kind, `${v.documents.length} documents`, `${v.linked_episodes.length} linked episodes`, who].filter(Boolean).join(" · "));
  meta.id = "campaign-meta";
  head.append(title, meta);
  if (v.collection.description) head.append(node("p", undefined, v.collection.description));
  const pages = node("section", "links");
  pages.id = "campaign-pages";
  pages.append(node("h3", undefined, "Pages"));
  v.documents.forEach((d, i) => {
    const b = node("button", "link-title", d.title || d.url);
    b.onclick = () => void showDocument(d.id);
    const row = node("div", "link-row");
    row.append(b, node("span", "muted", fmtDate(d.published)), ...orderButtons(v, changed, { kind: "document", id: d.id }, i, v.documents.length, "page"));
    pages.append(row);
  });
  const eps = node("section", "links");
  eps.id = "campaign-episodes";
  const linked = v.linked_episodes.filter((e) => !v.episodes.some((x) => x.id === e.id));
  eps.append(node("h3", undefined, `Episodes (${v.episodes.length + linked.length})`));
  if (!v.episodes.length && !linked.length) eps.append(node("p", "muted", "No episode is linked to this campaign's pages yet. Accept suggestions under “Review links”, or link them from an episode's page."));
  const episodeRow = (e: (typeof v.episodes)[number], controls: HTMLElement[]): HTMLElement => {
    const b = node("button", "link-title", e.title);
    b.onclick = () => void showEpisode(e.id);
    const row = node("div", "link-row");
    row.append(b, node("span", "muted", [podcastTitle(e.podcast_id), fmtDate(e.published)].filter(Boolean).join(" · ")), ...controls);
    return row;
  };
  // The campaign's own episodes, in its order, then those that only its pages link to (by date).
  v.episodes.forEach((e, i) => eps.append(episodeRow(e, orderButtons(v, changed, { kind: "episode", id: e.id }, i, v.episodes.length, "episode"))));
  for (const e of linked) eps.append(episodeRow(e, []));
  takeDetail(head, eps, pages);
}
