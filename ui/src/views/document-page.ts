// A post's or page's page: its text, and the episodes linked to it.
import { api } from "../backend.js";
import { el, node, reasonsLine } from "../dom.js";
import { fmtDate, hostOf } from "../format.js";
import { changedLine } from "../sync-text.js";
import { setBusy, showError, toast } from "../notify.js";
import { detailPane } from "../state.js";
import { takeDetail } from "./detail.js";
import { showEpisode } from "./episode-page.js";
import { heldImagesNotice } from "./held-images.js";
import { tagsBox } from "./tags.js";

export async function showDocument(id: number): Promise<void> {
  const ticket = detailPane.begin();
  try {
    const [d, links] = await Promise.all([api.getDocument(id), api.documentLinks(id)]);
    if (!ticket.current) return;
    const head = node("header");
    const title = node("h1", undefined, d.title || d.url);
    title.id = "doc-title";
    const added = changedLine("added", d, Date.now());
    const meta = node("div", "meta", [d.kind, fmtDate(d.published), d.author ?? "", hostOf(d.url), added].filter(Boolean).join(" · "));
    head.append(title, meta);
    // Campaigns and the site's categories are read here; staff's tags are edited below them.
    const site = [...d.collections.map((c) => `⚑ ${c}`), ...d.categories];
    if (site.length) head.append(node("div", "muted", site.join(" · ")));
    head.append(tagsBox({ kind: "document", id: d.id }, ticket));
    const actions = node("div", "actions");
    const open = node("button", undefined, "Open on the web");
    open.onclick = () => void api.openLink(d.url).catch((e: unknown) => showError(e, "Could not open the link"));
    const keep = node("button", undefined, d.source_id !== null ? "Keep this blog's images offline" : "Keep images offline");
    keep.id = "archive-images";
    keep.title = "Download the pictures of these pages so they read with no network";
    keep.onclick = () => {
      const shownAt = detailPane.ticket();
      setBusy(true, "Keeping images for offline reading…");
      void api
        .archiveImages(d.source_id)
        .then((r) => {
          toast(`${r.fetched} image${Number(r.fetched) === 1 ? "" : "s"} kept now, ${r.already} already kept${r.failed.length ? `, ${r.failed.length} could not be kept` : ""}`, r.failed.length ? "error" : "info", r.failed.slice(0, 3).join("; ") || undefined);
          // Redraw with the kept images only if the user is still reading this document.
          return shownAt.current ? showDocument(d.id) : undefined;
        })
        .catch((err: unknown) => showError(err, "Could not keep the images"))
        .finally(() => setBusy(false));
    };
    actions.append(open, keep);
    const related = node("section", "links");
    related.id = "doc-episodes";
    related.append(node("h3", undefined, links.length ? `Episodes (${links.length})` : "Episodes"));
    if (!links.length) related.append(node("p", "muted", "No episode is linked to this document yet. Open an episode to link it by hand."));
    for (const l of links) {
      const row = node("div", `link-row ${l.state}`);
      const b = node("button", "link-title", l.title);
      b.onclick = () => void showEpisode(l.episode_id);
      row.append(b, node("span", `badge ${l.kind}`, l.kind));
      if (l.state !== l.kind) row.append(node("span", `badge state-${l.state}`, l.state));
      const who = changedLine(l.kind === "manual" ? "linked" : l.state, l, Date.now());
      if (who) row.append(node("span", "muted changed-by", who));
      if (l.reasons.length) row.append(reasonsLine(l.reasons));
      if (l.note) row.append(node("div", "reasons", `Note: ${l.note}`));
      related.append(row);
    }
    const body = node("article", "notes document");
    body.id = "doc-body";
    // html was sanitised by the library (ammonia, trackers and scripts removed) before it left Rust.
    body.innerHTML = d.html || "<p class=\"muted\">This document has no text.</p>";
    const owner = d.source_id !== null ? { kind: "source" as const, id: d.source_id } : { kind: "page" as const, id: d.id };
    const held = heldImagesNotice(d.remote_images, d.remote_images_allowed, owner, () => void showDocument(d.id));
    takeDetail(head, actions, related, ...(held ? [held] : []), body);
    el.detail.scrollTop = 0;
  } catch (err) {
    showError(err, "Could not open the document");
  }
}
