// The review queue: suggested links between episodes and documents, accepted or rejected one by one.
import { api } from "../backend.js";
import { el, node, reasonsLine } from "../dom.js";
import { showError } from "../notify.js";
import type { ListRequest } from "../pane.js";
import { detailPane, state } from "../state.js";
import { loadArchive } from "./archive.js";
import { showPlaceholder, takeDetail } from "./detail.js";
import { showDocument } from "./document-page.js";
import { showEpisode } from "./episode-page.js";
import { list } from "./list.js";
import { renderPodcasts } from "./sidebar.js";
import { evidenceCounts, evidenceWords, withEvidence } from "../review-filter.js";
import type { ReviewItem } from "../bindings/ReviewItem";

export function showReviewItem(r: ReviewItem): void {
  detailPane.begin();
  const head = node("header");
  head.append(node("h1", undefined, "Is this post about this episode?"), node("div", "meta", `score ${Math.round(r.score * 100)} · keys: a accept, x reject, j/k move`));
  const pair = node("section", "links review-pair");
  const ep = node("button", "link-title", `♫ ${r.episode_title}`);
  ep.onclick = () => void showEpisode(r.episode_id);
  const doc = node("button", "link-title", `¶ ${r.doc_title}`);
  doc.onclick = () => void showDocument(r.doc_id);
  pair.append(ep, doc, reasonsLine(r.reasons));
  const actions = node("div", "actions");
  const accept = node("button", "primary", "Accept (a)");
  accept.id = "review-accept";
  accept.onclick = () => void decideReview(r, "accept");
  const reject = node("button", undefined, "Reject (x)");
  reject.id = "review-reject";
  reject.onclick = () => void decideReview(r, "reject");
  actions.append(accept, reject);
  takeDetail(head, pair, actions);
}

let deciding = false;
export async function decideReview(r: ReviewItem, kind: "accept" | "reject"): Promise<void> {
  // One decision at a time: a second key press before the list moved on would hit the same item.
  if (deciding) return;
  deciding = true;
  try {
    await api.decideLink(r.episode_id, r.doc_id, { kind });
    const index = list.selectedIndex;
    await loadArchive(true);
    // The user may have left the review meanwhile: then the list is no longer theirs to move in.
    if (state.view.kind !== "review") return;
    if (list.length) list.select(Math.min(index, list.length - 1), true);
    else showPlaceholder("All suggestions reviewed.");
  } catch (err) {
    showError(err, "Could not save the decision");
  } finally {
    deciding = false;
  }
}

/** The review queue's list (`loadArchive` began the request and reports its errors), narrowed to
 * one kind of evidence when staff chose one above the list. */
export async function loadReviewList(req: ListRequest): Promise<void> {
  const items = await api.reviewQueue();
  if (!req.claim()) return;
  state.review = items;
  renderPodcasts();
  const kinds = evidenceCounts(items);
  const chosen = kinds.some((k) => k.code === el.reviewEvidence.value) ? el.reviewEvidence.value : "";
  el.reviewEvidence.replaceChildren(
    new Option(`All evidence (${items.length})`, ""),
    ...kinds.map((k) => new Option(`${evidenceWords(k.code)} (${k.count})`, k.code)),
  );
  el.reviewEvidence.value = chosen;
  el.reviewEvidence.hidden = items.length === 0;
  const shown = withEvidence(items, chosen || null);
  el.listTitle.textContent = "Review links";
  el.listCount.textContent = chosen
    ? `${shown.length} of ${items.length} suggestions`
    : `${items.length} suggestion${items.length === 1 ? "" : "s"}`;
  list.setItems(shown.map((item) => ({ kind: "review", item })), req.keepPlace);
  el.empty.hidden = items.length > 0;
  if (!items.length) {
    el.empty.replaceChildren(
      node("h2", undefined, "Nothing to review"),
      node("p", undefined, "Suggested links between episodes and posts appear here, strongest first. Add a blog or pages under “Posts & pages” to get suggestions."),
    );
  }
}
