// The archive: posts, pages, campaigns and the links between episodes and them.
import { api } from "../backend.js";
import type { Source } from "../bindings/Source";
import { blogMeta, blogName, blogProblem } from "../blog-text.js";
import { el, node } from "../dom.js";
import { setBusy, showError, toast } from "../notify.js";
import { type ArchiveView, detailPane, isArchive, listPane, setView, state } from "../state.js";
import type { DetailTicket } from "../pane.js";
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
  const ticket = detailPane.begin();
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
  const blogs = node("section", "archive-blogs");
  blogs.id = "archive-blogs";
  box.append(urls, campaign, names, actions, results, blogs);
  takeDetail(box);
  void fillBlogs(ticket);
}

/** The blogs kept in this archive, under the form that adds one (a teammate's show who added them). */
async function fillBlogs(ticket: DetailTicket): Promise<void> {
  let sources: Source[];
  try {
    sources = await api.listSources();
  } catch (err) {
    if (ticket.current) showError(err, "Could not list the blogs");
    return;
  }
  const box = document.getElementById("archive-blogs");
  if (!ticket.current || !box) return;
  const now = Date.now();
  const rows = sources.map((s) => {
    const row = node("div", "blog-row");
    row.dataset.url = s.home_url;
    const name = node("a", "blog-name", blogName(s));
    name.href = s.home_url;
    name.title = s.home_url;
    row.append(name, node("div", "muted blog-meta", blogMeta(s, now)));
    const problem = blogProblem(s);
    if (problem) row.append(node("div", "error", problem));
    return row;
  });
  box.replaceChildren(
    node("h2", undefined, `Blogs in this archive (${sources.length})`),
    ...(rows.length ? rows : [node("p", "muted", "None yet: paste a blog's home page above and choose \u201cAdd blog\u201d.")]),
  );
}

async function addSource(url: string, campaign: string | null): Promise<void> {
  setBusy(true, "Reading the blog's archive…");
  try {
    const r = await api.addSource(url, campaign);
    toast(`${r.source.title || url}: ${r.new} new, ${r.updated} updated`);
    // Added: the box is ready for the next address (the blog is in the list below it now).
    const urls = document.getElementById("archive-urls");
    if (urls instanceof HTMLTextAreaElement && urls.value.trim() === url) urls.value = "";
    await loadCollections();
    await loadArchive(true);
    await fillBlogs(detailPane.ticket());
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
