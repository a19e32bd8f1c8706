// A list that renders only the rows in view, so 50,000 episodes scroll as smoothly as 50.

export interface VirtualListOptions<T> {
  container: HTMLElement;
  rowHeight: number;
  render: (item: T, index: number, selected: boolean) => HTMLElement;
  onActivate: (item: T, index: number) => void;
  /** Names an item across reloads, so the selection follows it when rows above it come or go. */
  key: (item: T) => string;
}

export class VirtualList<T> {
  private items: T[] = [];
  private selected = -1;
  private readonly spacer: HTMLDivElement;
  private readonly rows: HTMLDivElement;
  private frame = 0;

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
    c.addEventListener("scroll", () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(c);
    c.addEventListener("click", (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>("[data-index]");
      if (!row) return;
      this.select(Number(row.dataset.index), true);
    });
  }

  setItems(items: T[], keepPlace = false): void {
    const was = this.items[this.selected];
    this.items = items;
    if (!keepPlace || was === undefined) this.selected = -1;
    else {
      const key = this.opts.key(was);
      this.selected = items.findIndex((item) => this.opts.key(item) === key);
    }
    this.spacer.style.height = `${items.length * this.opts.rowHeight}px`;
    if (!keepPlace) this.opts.container.scrollTop = 0;
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
    if (activate && item !== undefined) this.opts.onActivate(item, index);
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

  /**
   * Puts the rows in view on the page. A row whose markup has not changed keeps its element: a
   * click whose mouse-down and mouse-up straddle a redraw (a status tick, a resize) must reach
   * the same element, or the webview drops it.
   */
  private draw(): void {
    const c = this.opts.container;
    const h = this.opts.rowHeight;
    const overscan = 8;
    const first = Math.max(0, Math.floor(c.scrollTop / h) - overscan);
    const last = Math.min(this.items.length, Math.ceil((c.scrollTop + c.clientHeight) / h) + overscan);
    const old = new Map<string, HTMLElement>();
    for (const child of Array.from(this.rows.children)) {
      if (child instanceof HTMLElement) old.set(child.dataset.index ?? "", child);
    }
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const item = this.items[i];
      if (item === undefined) continue;
      const el = this.opts.render(item, i, i === this.selected);
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
  }
}
