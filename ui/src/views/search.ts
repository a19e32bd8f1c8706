// Search: results from the whole library, shown over whatever list was open.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { showError } from "../notify.js";
import { listPane, setView } from "../state.js";
import { loadEpisodes } from "./episodes.js";
import { list } from "./list.js";

let searchTimer = 0;
export function onSearchInput(): void {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => void runSearch(el.search.value), 120);
}

export async function runSearch(q: string): Promise<void> {
  if (q.trim() === "") {
    setView({ searching: false });
    await loadEpisodes();
    return;
  }
  setView({ searching: true });
  const req = listPane.begin(false);
  try {
    const hits = await api.search(q);
    if (!req.claim() || el.search.value !== q) return;
    el.listTitle.textContent = `Search: ${q}`;
    // Results come from the whole archive: one podcast's auto-download setting does not belong here.
    el.autoDownload.hidden = true;
    el.podcastSound.hidden = true;
    el.offlineFilter.hidden = true;
    el.reviewEvidence.hidden = true;
    el.listCount.textContent = `${hits.length} result${hits.length === 1 ? "" : "s"}`;
    list.setItems(hits.map((hit) => ({ kind: "hit", hit })));
    el.empty.hidden = hits.length > 0;
    if (!hits.length) el.empty.replaceChildren(node("h2", undefined, "No matches"), node("p", undefined, "Try fewer or shorter words; every word must match."));
  } catch (err) {
    showError(err, "Search failed");
  }
}
