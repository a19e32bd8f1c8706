// The archive: posts, pages, campaigns and the links between episodes and them.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { setBusy, showError, toast } from "../notify.js";
import { type ArchiveView, detailPane, isArchive, listPane, setView, state } from "../state.js";
import { loadBookmarksList, showBookmarksPanel } from "./bookmarks.js";
import { showCampaign } from "./campaign-page.js";
import { takeDetail } from "./detail.js";
import { list, type Row } from "./list.js";
import type { Page } from "../virtual-list.js";
import { loadReviewList } from "./review.js";
import { loadCollections, renderPodcasts } from "./sidebar.js";

export async function openArchive(view: ArchiveView): Promise<void> {
  setView({ view, searching: false });
  el.search.value = "";
  renderPodcasts();
  // The detail pane follows the choice at once; the list follows when it has been read. Choosing
  // "Posts & pages" again brings back the form for adding more.
  if (view.kind === "docs") showAddArchive();
  else if (view.kind === "bookmarks") showBookmarksPanel();
  else if (view.kind === "campaign") void showCampaign(view.id, () => void loadArchive(true));
  await loadArchive();
}

export async function loadArchive(keepPlace = false): Promise<void> {
  const view = state.view;
  if (!isArchive(view)) return;
  el.autoDownload.hidden = true;
  el.podcastSound.hidden = true;
  el.reviewEvidence.hidden = view.kind !== "review";
  // Documents and suggestions are never "downloaded": the episodes' filter does not apply here.
  el.offlineFilter.hidden = true;
  const req = listPane.begin(keepPlace);
  keepPlace = req.keepPlace;
  try {
    if (view.kind === "bookmarks") return await loadBookmarksList(req);
    if (view.kind === "review") return await loadReviewList(req);
    const campaign = view.kind === "campaign" ? view.name : null;
    // A blog's archive can run to thousands of posts: the list comes by windows as it scrolls.
    const load = (offset: number, limit: number): Promise<Page<Row>> =>
      api.documentWindow(campaign, offset, limit).then((w) => ({ ...w, items: w.items.map((doc): Row => ({ kind: "doc", doc })) }));
    const want = list.windowToLoad(keepPlace);
    const first = await load(want.offset, want.limit);
    if (!req.claim()) return;
    const total = first.total;
    el.listTitle.textContent = campaign ?? "Posts & pages";
    el.listCount.textContent = `${total.toLocaleString()} document${total === 1 ? "" : "s"}`;
    list.setWindowed(first, load, keepPlace, (err) => showError(err, "Could not read more of the archive"));
    el.empty.hidden = total > 0;
    if (total === 0) {
      const add = node("button", "primary", "Add a blog or pages");
      add.id = "add-archive-empty";
      add.onclick = () => showAddArchive();
      el.empty.replaceChildren(
        node("h2", undefined, "No posts or pages yet"),
        node("p", undefined, "Add a blog by its home page (Earmark reads its whole archive) or campaign pages by their addresses. They are linked to the episodes they discuss."),
        add,
      );
    }
  } catch (err) {
    if (req.claim()) showError(err, "Could not open the archive");
  }
}

/** The form for adding a blog (its whole archive) or pages by URL, optionally into a campaign. */
function showAddArchive(): void {
  detailPane.begin();
  const box = node("section", "add-archive");
  box.append(node("h1", undefined, "Add a blog or pages"));
  box.append(node("p", "muted", "A blog: paste its home page; Earmark reads every post (WordPress sites fully). Pages: paste one address per line."));
  const urls = node("textarea");
  urls.id = "archive-urls";
  urls.rows = 5;
  urls.placeholder = "https://www.researchingreform.net/\nhttps://example.org/campaign/press-release";
  urls.spellcheck = false;
  const campaign = node("input");
  campaign.id = "archive-campaign";
  campaign.placeholder = "Campaign (optional), e.g. In Dad's Shoes";
  campaign.setAttribute("list", "campaign-names");
  const names = node("datalist");
  names.id = "campaign-names";
  for (const c of state.collections) {
    const o = node("option");
    o.value = c.name;
    names.append(o);
  }
  const actions = node("div", "actions");
  const blog = node("button", "primary", "Add blog (whole archive)");
  blog.id = "add-blog";
  const pages = node("button", undefined, "Add pages");
  pages.id = "add-pages";
  const lines = () => urls.value.split(/\s+/).map((u) => u.trim()).filter(Boolean);
  const campaignName = () => campaign.value.trim() || null;
  blog.onclick = () => {
    const [first] = lines();
    if (!first) return toast("Paste the blog's home page address first.", "error");
    void addSource(first, campaignName());
  };
  pages.onclick = () => {
    const all = lines();
    if (!all.length) return toast("Paste one or more page addresses, one per line.", "error");
    void addPages(all, campaignName());
  };
  const results = node("div", "archive-results");
  results.id = "archive-results";
  actions.append(blog, pages);
  box.append(urls, campaign, names, actions, results);
  takeDetail(box);
}

async function addSource(url: string, campaign: string | null): Promise<void> {
  setBusy(true, "Reading the blog's archive…");
  try {
    const r = await api.addSource(url, campaign);
    toast(`${r.source.title || url}: ${r.new} new, ${r.updated} updated`);
    await loadCollections();
    await loadArchive(true);
  } catch (err) {
    showError(err, "Could not add the blog");
  } finally {
    setBusy(false);
  }
}

async function addPages(urls: string[], campaign: string | null): Promise<void> {
  setBusy(true, `Fetching ${urls.length} page${urls.length === 1 ? "" : "s"}…`);
  try {
    const outcomes = await api.addPages(urls, campaign);
    const failed = outcomes.filter((o) => o.error);
    const box = document.getElementById("archive-results");
    if (box) {
      box.replaceChildren(
        ...outcomes.map((o) => node("div", o.error ? "error" : "muted", o.error ? `✗ ${o.url}: ${o.error}` : `✓ ${o.document?.title ?? o.url}${o.existed ? " (updated)" : ""}`)),
      );
    }
    toast(`Added ${outcomes.length - failed.length} of ${outcomes.length} pages`, failed.length ? "error" : "info", failed.length ? "The pages listed with ✗ could not be read; the others were kept." : undefined);
    await loadCollections();
    await loadArchive(true);
  } catch (err) {
    showError(err, "Could not add the pages");
  } finally {
    setBusy(false);
  }
}
