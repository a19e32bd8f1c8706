// The episode page's related posts and pages.
import { api } from "../backend.js";
import { node, reasonsLine } from "../dom.js";
import { changedLine } from "../sync-text.js";
import { showError, toast } from "../notify.js";
import type { DetailTicket } from "../pane.js";
import { detailPane } from "../state.js";
import { showDocument } from "./document-page.js";
import { loadCollections } from "./sidebar.js";
import type { DocumentRow } from "../bindings/DocumentRow";
import type { EpisodeLink } from "../bindings/EpisodeLink";

/** The episode page's "Related posts and pages": links with reasons and the buttons to decide. */
export async function renderEpisodeLinks(episodeId: number, box: HTMLElement, ticket: DetailTicket): Promise<void> {
  let links: EpisodeLink[];
  try {
    links = await api.episodeLinks(episodeId);
  } catch {
    return;
  }
  if (!ticket.current) return;
  box.replaceChildren(node("h3", undefined, `Related posts and pages (${links.filter((l) => l.state !== "rejected").length})`));
  const visible = links.filter((l) => l.state !== "rejected");
  if (!visible.length) box.append(node("p", "muted", "Nothing linked yet. Add the blog under “Posts & pages”, or link a document by hand below."));
  const decide = (l: EpisodeLink, decision: Parameters<typeof api.decideLink>[2]) =>
    void api
      .decideLink(episodeId, l.doc_id, decision)
      .then(() => Promise.all([renderEpisodeLinks(episodeId, box, detailPane.ticket()), loadCollections()]))
      .catch((err: unknown) => showError(err, "Could not save the decision"));
  for (const l of visible) {
    const row = node("div", `link-row ${l.state}`);
    row.dataset.doc = String(l.doc_id);
    const b = node("button", "link-title", l.title || l.url);
    b.onclick = () => void showDocument(l.doc_id);
    row.append(b, node("span", `badge ${l.kind}`, l.kind));
      if (l.state !== l.kind) row.append(node("span", `badge state-${l.state}`, l.state));
    const who = changedLine(l.kind === "manual" ? "linked" : l.state, l, Date.now());
    if (who) row.append(node("span", "muted changed-by", who));
    if (l.state === "suggested") {
      const accept = node("button", "small accept", "Accept");
      accept.onclick = () => decide(l, { kind: "accept" });
      const reject = node("button", "small reject", "Reject");
      reject.onclick = () => decide(l, { kind: "reject" });
      row.append(accept, reject);
    } else {
      const unlink = node("button", "small unlink", "Unlink");
      unlink.onclick = () => decide(l, { kind: "unlink" });
      row.append(unlink);
    }
    if (l.reasons.length) row.append(reasonsLine(l.reasons));
    box.append(row);
  }
  // Linking by hand: pick a document by title.
  const form = node("form", "manual-link");
  const pick = node("input");
  pick.placeholder = "Link a post or page by title…";
  pick.setAttribute("list", "doc-titles");
  const note = node("input");
  note.placeholder = "Note (optional)";
  const titles = node("datalist");
  titles.id = "doc-titles";
  const go = node("button", undefined, "Link");
  go.type = "submit";
  form.append(pick, note, titles, go);
  let docs: DocumentRow[] = [];
  pick.onfocus = () =>
    void api.listDocuments(null).then((d) => {
      docs = d;
      titles.replaceChildren(
        ...d.slice(0, 2000).map((x) => {
          const o = node("option");
          o.value = x.title || x.url;
          return o;
        }),
      );
    });
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const doc = docs.find((x) => (x.title || x.url) === pick.value);
    if (!doc) return toast("Choose a post or page from the list.", "error");
    decide({ doc_id: doc.id } as EpisodeLink, { kind: "link", note: note.value.trim() || null });
  };
  box.append(form);
}
