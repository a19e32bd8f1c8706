// A campaign's page: its pages and the episodes linked to them.
import { api } from "../backend.js";
import { node } from "../dom.js";
import { fmtDate } from "../format.js";
import { showError } from "../notify.js";
import { detailPane, podcastTitle } from "../state.js";
import { takeDetail } from "./detail.js";
import { showDocument } from "./document-page.js";
import { showEpisode } from "./episode-page.js";

export async function showCampaign(id: number): Promise<void> {
  const ticket = detailPane.begin();
  try {
    const v = await api.collectionView(id);
    if (!ticket.current) return;
    const head = node("header");
    const title = node("h1", undefined, v.collection.name);
    title.id = "campaign-title";
    head.append(title, node("div", "meta", `${v.collection.kind} · ${v.documents.length} documents · ${v.linked_episodes.length} linked episodes`));
    if (v.collection.description) head.append(node("p", undefined, v.collection.description));
    const pages = node("section", "links");
    pages.append(node("h3", undefined, "Pages"));
    for (const d of v.documents) {
      const b = node("button", "link-title", d.title || d.url);
      b.onclick = () => void showDocument(d.id);
      const row = node("div", "link-row");
      row.append(b, node("span", "muted", fmtDate(d.published)));
      pages.append(row);
    }
    const eps = node("section", "links");
    eps.id = "campaign-episodes";
    const all = [...v.episodes, ...v.linked_episodes.filter((e) => !v.episodes.some((x) => x.id === e.id))];
    eps.append(node("h3", undefined, `Episodes (${all.length})`));
    if (!all.length) eps.append(node("p", "muted", "No episode is linked to this campaign's pages yet. Accept suggestions under “Review links”, or link them from an episode's page."));
    for (const e of all) {
      const b = node("button", "link-title", e.title);
      b.onclick = () => void showEpisode(e.id);
      const row = node("div", "link-row");
      row.append(b, node("span", "muted", [podcastTitle(e.podcast_id), fmtDate(e.published)].filter(Boolean).join(" · ")));
      eps.append(row);
    }
    takeDetail(head, eps, pages);
  } catch (err) {
    showError(err, "Could not open the campaign");
  }
}
