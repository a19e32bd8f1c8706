// A list that renders only the rows in view, so 100,000 episodes scroll as smoothly as 50. A long
// list can also be windowed: it holds only the pages that have come into view, and asks for the
// others as the user scrolls to them (the backend counts and slices in SQL).

/** A slice of a long list and the length of the whole, as the backend answers a window request. */
export interface Page<T> {
  total: number;
  offset: number;
  items: T[];
}

/** Fetches `limit` items from `offset` on. */
export type PageLoader<T> = (offset: number, limit: number) => Promise<Page<T>>;

/** Rows per request: about twenty screens, so a steady scroll asks the backend rarely. */
export const PAGE = 200;
/** Requests a windowed list keeps in flight at once; pages scrolled past before their turn are never asked for. */
const IN_FLIGHT = 2;
/** How long the list must rest before it asks for the pages in view: about three frames. */
const SETTLE_MS = 50;

export interface VirtualListOptions<T> {
  container: HTMLElement;
  rowHeight: number;
  render: (item: T, index: number, selected: boolean) => HTMLElement;
  onActivate: (item: T, index: number) => void;
  /** Names an item across reloads, so the selection follows it when rows above it come or go. */
  key: (item: T) => string;
}

/** The pages that `count` items from `offset` fill completely, in a list of `total` (a short last page counts as whole). */
export function pagesCovered(offset: number, count: number, total: number): number[] {
  const end = Math.min(total, offset + count);
  const pages: number[] = [];
  for (let p = Math.floor(offset / PAGE); p * PAGE < end; p++) {
    if (p * PAGE >= offset && Math.min(total, (p + 1) * PAGE) <= end) pages.push(p);
  }
  return pages;
}

/** The whole pages that hold rows `first` to `last` (exclusive): one request for what is on screen. */
export function pagesSpanning(first: number, last: number): { offset: number; limit: number } {
  const from = Math.floor(first / PAGE);
  const to = Math.max(from, Math.floor(Math.max(first, last - 1) / PAGE));
  return { offset: from * PAGE, limit: (to - from + 1) * PAGE };
}

export class VirtualList<T> {
  /** The rows; in a windowed list, the holes are pages not loaded yet. */
  private items: (T | undefined)[] = [];
  private selected = -1;
  /** Windowed lists only: where more pages come from, which are here or on the way, and a
   * generation that a new list bumps so answers for the old one are dropped. */
  private loader: PageLoader<T> | null = null;
  private loadError: ((err: unknown) => void) | null = null;
  private readonly loaded = new Set<number>();
  private readonly inFlight = new Set<number>();
  private generation = 0;
  /** A row chosen for activation before its page arrived. */
  private activateWhenLoaded = -1;
  private readonly spacer: HTMLDivElement;
  private readonly rows: HTMLDivElement;
  private frame = 0;
  /** When the list last scrolled, and the fetch held back until the scrolling pauses. */
  private lastScroll = 0;
  private fetchTimer = 0;

  constructor(private readonly opts: VirtualListOptions<T>) {
    const c = opts.container;
    c.classList.add("vlist");
    c.tabIndex = 0;
    c.setAttribute("role", "listbox");
    this.spacer = document.createElement("div");
    this.spacer.className = "vlist-spacer";
    this.rows = document.createElement("div");
    this.rows.className = "vlist-rows";
    this.spacer.appendChild(this.rows);
    c.replaceChildren(this.spacer);
    c.addEventListener("scroll", () => {
      this.lastScroll = performance.now();
      this.schedule();
    });
    new ResizeObserver(() => this.schedule()).observe(c);
    c.addEventListener("click", (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>("[data-index]");
      if (!row) return;
      this.select(Number(row.dataset.index), true);
    });
  }

  /** Shows a whole list (short lists: the queue, search hits, review). */
  setItems(items: T[], keepPlace = false): void {
    this.replace(items, items.length, null, keepPlace);
  }

  /**
   * Shows a long list by windows: `first` is the window already fetched (from `windowToLoad`),
   * `loader` brings the rest as it scrolls into view, and `onError` hears a page that failed
   * (its rows stay placeholders until the next scroll asks again).
   */
  setWindowed(first: Page<T>, loader: PageLoader<T>, keepPlace = false, onError?: (err: unknown) => void): void {
    const items = new Array<T | undefined>(first.total);
    first.items.forEach((item, i) => {
      if (first.offset + i < first.total) items[first.offset + i] = item;
    });
    this.replace(items, first.total, loader, keepPlace);
    this.loadError = onError ?? null;
    this.notePages(first.offset, first.items.length);
    this.draw();
  }

  /**
   * What a (re)load should fetch first: the pages under the view when keeping the place (a
   * reload after a change keeps what is on screen steady), else the first page.
   */
  windowToLoad(keepPlace: boolean): { offset: number; limit: number } {
    if (!keepPlace) return { offset: 0, limit: PAGE };
    const { first, last } = this.range();
    return pagesSpanning(first, last);
  }

  private replace(items: (T | undefined)[], total: number, loader: PageLoader<T> | null, keepPlace: boolean): void {
    const was = this.items[this.selected];
    const wasIndex = this.selected;
    this.generation++;
    this.loader = loader;
    this.loadError = null;
    this.loaded.clear();
    this.inFlight.clear();
    this.activateWhenLoaded = -1;
    this.items = items;
    items.length = total;
    if (!keepPlace || wasIndex < 0) this.selected = -1;
    else if (was === undefined) this.selected = wasIndex < total ? wasIndex : -1;
    else {
      const key = this.opts.key(was);
      this.selected = items.findIndex((item) => item !== undefined && this.opts.key(item) === key);
    }
    this.spacer.style.height = `${total * this.opts.rowHeight}px`;
    if (!keepPlace) this.opts.container.scrollTop = 0;
    if (!loader) this.draw();
  }

  /** Marks the pages a window covered as here. */
  private notePages(offset: number, count: number): void {
    for (const p of pagesCovered(offset, count, this.items.length)) this.loaded.add(p);
  }

  /** Asks for the pages in `wanted` that are neither here nor on the way, a few at a time. */
  private fetchPages(wanted: number[]): void {
    const loader = this.loader;
    if (!loader) return;
    for (const p of wanted) {
      if (this.inFlight.size >= IN_FLIGHT) return;
      if (this.loaded.has(p) || this.inFlight.has(p)) continue;
      this.inFlight.add(p);
      const generation = this.generation;
      loader(p * PAGE, PAGE).then(
        (page) => {
          if (generation !== this.generation) return;
          this.inFlight.delete(p);
          this.takePage(page);
        },
        (err: unknown) => {
          if (generation !== this.generation) return;
          this.inFlight.delete(p);
          this.loadError?.(err);
        },
      );
    }
  }

  private takePage(page: Page<T>): void {
    if (page.total !== this.items.length) {
      // The list changed length under us (a refresh added episodes): the pages already here may
      // have shifted, so keep only this one and fetch the rest again as they come into view.
      this.items = new Array<T | undefined>(page.total);
      this.loaded.clear();
      this.spacer.style.height = `${page.total * this.opts.rowHeight}px`;
      if (this.selected >= page.total) this.selected = -1;
    }
    page.items.forEach((item, i) => {
      if (page.offset + i < this.items.length) this.items[page.offset + i] = item;
    });
    this.notePages(page.offset, page.items.length);
    const pending = this.activateWhenLoaded;
    const item = this.items[pending];
    if (pending >= 0 && item !== undefined) {
      this.activateWhenLoaded = -1;
      this.opts.onActivate(item, pending);
    }
    this.draw();
  }

  get length(): number {
    return this.items.length;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  /** The selected item, as shown (a key acts on what the user sees). */
  get selectedItem(): T | undefined {
    return this.items[this.selected];
  }

  /** Selects a row, scrolls it into view, and activates it when asked. */
  select(index: number, activate: boolean): void {
    if (index < 0 || index >= this.items.length) return;
    this.selected = index;
    const c = this.opts.container;
    const top = index * this.opts.rowHeight;
    if (top < c.scrollTop) c.scrollTop = top;
    else if (top + this.opts.rowHeight > c.scrollTop + c.clientHeight) c.scrollTop = top + this.opts.rowHeight - c.clientHeight;
    this.draw();
    const item = this.items[index];
    this.activateWhenLoaded = -1;
    if (activate && item !== undefined) this.opts.onActivate(item, index);
    else if (activate) this.activateWhenLoaded = index;
  }

  /** Draws the visible rows again (their data changed in place), at most once a frame. */
  redraw(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** The rows to put on the page: those in view and a few either side. */
  private range(): { first: number; last: number } {
    const c = this.opts.container;
    const h = this.opts.rowHeight;
    const overscan = 8;
    const first = Math.max(0, Math.floor(c.scrollTop / h) - overscan);
    const last = Math.min(this.items.length, Math.ceil((c.scrollTop + c.clientHeight) / h) + overscan);
    return { first, last };
  }

  /**
   * Puts the rows in view on the page. A row whose markup has not changed keeps its element: a
   * click whose mouse-down and mouse-up straddle a redraw (a status tick, a resize) must reach
   * the same element, or the webview drops it.
   */
  private draw(): void {
    const h = this.opts.rowHeight;
    const { first, last } = this.range();
    const old = new Map<string, HTMLElement>();
    for (const child of Array.from(this.rows.children)) {
      if (child instanceof HTMLElement) old.set(child.dataset.index ?? "", child);
    }
    const rows: HTMLElement[] = [];
    const missing: number[] = [];
    for (let i = first; i < last; i++) {
      const item = this.items[i];
      let el: HTMLElement;
      if (item === undefined) {
        // A page still on its way: a placeholder of the row's height, replaced when it arrives.
        const page = Math.floor(i / PAGE);
        if (missing[missing.length - 1] !== page) missing.push(page);
        el = document.createElement("div");
        el.className = `row row-loading${i === this.selected ? " selected" : ""}`;
        el.setAttribute("aria-busy", "true");
      } else {
        el = this.opts.render(item, i, i === this.selected);
      }
      el.dataset.index = String(i);
      el.style.top = `${i * h}px`;
      el.style.height = `${h}px`;
      const prev = old.get(el.dataset.index);
      if (prev?.isEqualNode(el)) {
        old.delete(el.dataset.index);
        rows.push(prev);
      } else {
        rows.push(el);
      }
    }
    for (const gone of old.values()) gone.remove();
    // What is left are the kept rows, in order: new rows go in between, and no kept row moves.
    let at = this.rows.firstChild;
    for (const row of rows) {
      if (row === at) at = at.nextSibling;
      else this.rows.insertBefore(row, at);
    }
    if (missing.length > 0) this.fetchWhenSettled(missing);
  }

  /**
   * Asks for the pages now, or, while the list is flung through (a scroll in the last few frames),
   * once it pauses: pages passed in a fling are never fetched, and no answer for one competes with
   * the frames of the fling itself.
   */
  private fetchWhenSettled(pages: number[]): void {
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    this.fetchTimer = 0;
    const quiet = performance.now() - this.lastScroll;
    if (quiet >= SETTLE_MS) {
      this.fetchPages(pages);
      return;
    }
    this.fetchTimer = window.setTimeout(() => {
      this.fetchTimer = 0;
      this.draw();
    }, SETTLE_MS - quiet);
  }
}
