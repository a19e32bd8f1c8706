// Staff's own tags on an episode's or a document's page. In a shared archive each tag is an item
// of its own, so each says who put it there; × takes one off, the field adds one (completed from
// the tags the library already has), and the team gets the change with the next share sync.
import { api } from "../backend.js";
import type { Tagged } from "../bindings/Tagged";
import type { TagsView } from "../bindings/TagsView";
import { node } from "../dom.js";
import { showError } from "../notify.js";
import { changedLine } from "../sync-text.js";

/**
 * A box for an item's tags, filled once they are read unless the page has moved on by then. Its
 * field is there from the first frame, closed until the tags come: a box that appeared only with
 * the answer pushed the buttons below it down as a person went to click one (the e2e video test
 * caught a click meant for Play landing in the tag field).
 */
export function tagsBox(on: Tagged, ticket: { readonly current: boolean }): HTMLElement {
  const box = node("div", "item-tags");
  box.id = "item-tags";
  drawTags(box, on, { tags: [], vocabulary: [] });
  box.querySelector("input")?.setAttribute("disabled", "");
  api
    .itemTags(on)
    .then((v) => ticket.current && drawTags(box, on, v))
    .catch((err: unknown) => ticket.current && showError(err, "Could not read the tags"));
  return box;
}

/** The names to offer as a person types: the library's tags this item does not have yet. */
function suggestions(v: TagsView): string[] {
  const have = new Set(v.tags.map((t) => t.name.toLowerCase()));
  return v.vocabulary.filter((n) => !have.has(n.toLowerCase()));
}

function drawTags(box: HTMLElement, on: Tagged, v: TagsView): void {
  // The answer redraws this box only while it is on the page (the person may have moved on).
  const edit = (add: string[], remove: string[]): void =>
    void api
      .editTags(on, add, remove)
      .then((next) => box.isConnected && drawTags(box, on, next))
      .catch((err: unknown) => showError(err, "Could not change the tags"));
  const chips = v.tags.map((t) => {
    const chip = node("span", "tag-chip", t.name);
    chip.title = changedLine("added", t, Date.now()) || `Tagged “${t.name}”`;
    const off = node("button", "tag-remove", "×");
    off.type = "button";
    off.title = `Take the tag “${t.name}” off`;
    off.setAttribute("aria-label", off.title);
    off.onclick = () => edit([], [t.name]);
    chip.append(off);
    return chip;
  });
  const form = node("form", "tag-add");
  const input = node("input");
  input.id = "tag-input";
  input.placeholder = v.tags.length ? "Add a tag…" : "Tag this (press Enter)…";
  const list = node("datalist");
  list.id = "tag-vocabulary";
  input.setAttribute("list", list.id);
  list.append(
    ...suggestions(v).map((n) => {
      const o = node("option");
      o.value = n;
      return o;
    }),
  );
  form.append(input, list);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const name = input.value.trim();
    if (name) edit([name], []);
  };
  box.replaceChildren(...chips, form);
}
