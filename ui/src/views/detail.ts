// The detail pane's pages that are not an episode's, and its links.
import { api } from "../backend.js";
import { el, node } from "../dom.js";
import { showError } from "../notify.js";
import { detailPane } from "../state.js";

/** Shows a page that is not an episode's in the detail pane (the caller has claimed the pane). */
export function takeDetail(...nodes: Node[]): void {
  el.detail.replaceChildren(...nodes);
  detailPane.drewPage();
}

/** Claims the detail pane for a page that is a form under a heading (new playlist, file import);
 * the caller fills the form and takes the pane with [takeDetail] when it is built. */
export function formPage(cls: string, title: string): { box: HTMLElement; form: HTMLFormElement } {
  detailPane.begin();
  const box = node("section", cls);
  box.append(node("h1", undefined, title));
  return { box, form: node("form") };
}

/** A line of help in the detail pane; it takes the pane like any page does. */
export function showPlaceholder(text: string): void {
  detailPane.begin();
  takeDetail(node("p", "placeholder", text));
}

/** Links in show notes open in the system browser, never inside the app window. */
export function onDetailClick(ev: MouseEvent): void {
  const a = (ev.target as HTMLElement).closest("a");
  if (!a) return;
  ev.preventDefault();
  const href = a.getAttribute("href");
  if (href) api.openLink(href).catch((e: unknown) => showError(e, "Could not open the link"));
}
