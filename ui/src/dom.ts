// The page's elements, and the helpers that find and make them. Importing this module looks the
// elements up, so only the window imports it (never the unit tests).

export const $ = <T extends HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

export function node<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A form control with its settings given at once: most controls are an id and a few properties,
 * and a line each of them buried what the form holds. */
export function control<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]>,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  return Object.assign(node(tag, cls, text), props);
}

export const el = {
  addForm: $<HTMLFormElement>("#add-form"),
  addInput: $<HTMLInputElement>("#add-input"),
  addButton: $<HTMLButtonElement>("#add-button"),
  refreshButton: $<HTMLButtonElement>("#refresh-button"),
  progress: $<HTMLDivElement>("#progress"),
  progressBar: $<HTMLDivElement>("#progress .bar"),
  progressLabel: $<HTMLSpanElement>("#progress .label"),
  podcastList: $<HTMLElement>("#podcast-list"),
  search: $<HTMLInputElement>("#search"),
  listTitle: $<HTMLElement>("#list-title"),
  listCount: $<HTMLElement>("#list-count"),
  episodeList: $<HTMLElement>("#episode-list"),
  empty: $<HTMLElement>("#empty-state"),
  detail: $<HTMLElement>("#detail"),
  toast: $<HTMLElement>("#toast"),
  offlineOnly: $<HTMLInputElement>("#offline-only"),
  offlineFilter: $<HTMLElement>("#offline-filter"),
  autoDownload: $<HTMLSelectElement>("#auto-download"),
  reviewEvidence: $<HTMLSelectElement>("#review-evidence"),
  podcastSound: $<HTMLSelectElement>("#podcast-sound"),
};

/**
 * A link's reasons as one line: the first reason says why (for a suggestion, how sure and the
 * strongest signs); the rest are in the tooltip, so a list of links stays one line per link.
 */
export function reasonsLine(reasons: string[], cls = "reasons"): HTMLDivElement {
  const line = node("div", cls, reasons[0] ?? "");
  line.title = reasons.join("\n");
  return line;
}
