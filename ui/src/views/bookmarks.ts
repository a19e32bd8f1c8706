// The library-wide bookmarks view: its list and, in the detail pane, its filters and exports.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { showError, toast } from "../notify.js";
import type { ListRequest } from "../pane.js";
import { detailPane, state } from "../state.js";
import { loadArchive } from "./archive.js";
import { takeDetail } from "./detail.js";
import { list, type Row } from "./list.js";
import type { Page } from "../virtual-list.js";

export function showBookmarksPanel(): void {
  detailPane.begin();
  const box = node("section", "bookmarks-panel");
  box.append(node("h1", undefined, "Bookmarks"));
  box.append(node("p", "muted", "Every bookmark in the library. Open one to replay it on its episode's page."));
  const f = state.markFilter;
  const filters = node("form", "mark-filters");
  const query = node("input");
  query.id = "mark-query";
  query.type = "search";
  query.placeholder = "Search titles and notes";
  query.value = f.query;
  const tag = node("select");
  tag.id = "mark-tag";
  const order = node("select");
  order.id = "mark-order";
  for (const [v, label] of [["date", "Newest first"], ["episode", "By episode"]] as const) {
    const o = node("option", undefined, label);
    o.value = v;
    order.append(o);
  }
  order.value = f.order;
  const from = node("input");
  from.type = "date";
  from.title = "Made on or after";
  from.value = f.from;
  const to = node("input");
  to.type = "date";
  to.title = "Made on or before";
  to.value = f.to;
  const apply = () => {
    f.query = query.value;
    f.tag = tag.value;
    f.order = order.value === "episode" ? "episode" : "date";
    f.from = from.value;
    f.to = to.value;
    void loadArchive(true);
  };
  query.oninput = apply;
  for (const c of [tag, order, from, to]) c.onchange = apply;
  filters.onsubmit = (ev) => ev.preventDefault();
  filters.append(query, tag, order, from, to);
  box.append(filters);
  // Tags in use, from the bookmarks themselves.
  void api
    .listBookmarks({ episode_id: null, tag: null, query: null, created_from: null, created_to: null, order: "date" })
    .then((rows) => {
      const tags = [...new Set(rows.flatMap((r) => r.bookmark.tags))].sort((a, b) => a.localeCompare(b));
      const all = node("option", undefined, "Any tag");
      all.value = "";
      tag.replaceChildren(
        all,
        ...tags.map((t) => {
          const o = node("option", undefined, `#${t}`);
          o.value = t;
          return o;
        }),
      );
      tag.value = f.tag;
    })
    .catch(() => undefined);
  box.append(node("p", "muted", "Export every bookmark:"));
  const actions = node("div", "actions");
  for (const [format, label] of [["md", "Markdown"], ["csv", "CSV"], ["json", "JSON"]] as const) {
    const b = node("button", undefined, `Export ${label}`);
    b.id = `export-${format}`;
    b.onclick = () =>
      void api
        .exportBookmarks(format)
        .then((path) => toast(`Exported to ${path}`))
        .catch((err: unknown) => showError(err, "Could not export"));
    actions.append(b);
  }
  box.append(actions);
  takeDetail(box);
}

/** The bookmarks view's list, filtered as the detail pane says (`loadArchive` began the request and reports its errors). */
export async function loadBookmarksList(req: ListRequest): Promise<void> {
  const f = state.markFilter;
  const filter = {
    episode_id: null,
    tag: f.tag || null,
    query: f.query.trim() || null,
    created_from: f.from ? `${f.from}T00:00:00Z` : null,
    created_to: f.to ? `${f.to}T23:59:59Z` : null,
    order: f.order,
  };
  // Bookmarks come by windows as the list scrolls, like the episodes.
  const load = (offset: number, limit: number): Promise<Page<Row>> =>
    api.bookmarkWindow(filter, offset, limit).then((w) => ({ ...w, items: w.items.map((row): Row => ({ kind: "bookmark", row })) }));
  const want = list.windowToLoad(req.keepPlace);
  const first = await load(want.offset, want.limit);
  if (!req.claim()) return;
  const total = first.total;
  el.listTitle.textContent = "Bookmarks";
  el.listCount.textContent = `${total.toLocaleString()} bookmark${total === 1 ? "" : "s"}`;
  list.setWindowed(first, load, req.keepPlace, (err) => showError(err, "Could not read more bookmarks"));
  el.empty.hidden = total > 0;
  const filtered = f.query.trim() !== "" || f.tag !== "" || f.from !== "" || f.to !== "";
  if (total === 0 && filtered) {
    el.empty.replaceChildren(node("h2", undefined, "No bookmarks match"), node("p", undefined, "Change the search or the filters on the right."));
  } else if (total === 0) {
    el.empty.replaceChildren(
      node("h2", undefined, "No bookmarks yet"),
      node("p", undefined, "While an episode plays, press b to mark the start of a moment and n to mark its end. Bookmarks work offline and can be exported."),
    );
  }
}
