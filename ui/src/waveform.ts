// The episode's waveform on a canvas: drawn progressively while the peaks are computed, zoomable
// (wheel, + and −), with the playhead, chapter starts and bookmarks on it. A bookmark's start and
// end handles can be dragged; a click elsewhere seeks there. Times never snap unless Shift is held
// (then they snap to whole seconds).
import type { WaveSlice } from "./bindings/WaveSlice";

/** A bookmark as the waveform draws it. */
export interface WaveMark {
  id: number;
  start: number;
  end: number | null;
  title: string;
}

export interface WaveformOptions {
  /** The user clicked at this time. */
  onSeek: (secs: number) => void;
  /** A handle was dragged and let go. */
  onMarkChange: (id: number, start: number, end: number | null) => void;
  /** A zoomed view's columns, fetched when the view changes. */
  fetchRange: (start: number, end: number, n: number) => Promise<WaveSlice>;
}

const HANDLE_PX = 6;

export class Waveform {
  private min: number[] = [];
  private max: number[] = [];
  private bucketSecs = 0.1;
  private duration = 0;
  private viewStart = 0;
  private viewEnd = 0;
  private zoomed: { start: number; end: number; slice: WaveSlice } | null = null;
  private playhead: number | null = null;
  private chapters: number[] = [];
  private marks: WaveMark[] = [];
  private drag: { id: number; edge: "start" | "end"; mark: WaveMark } | null = null;
  private frame = 0;
  private fetchTimer = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly opts: WaveformOptions,
  ) {
    canvas.addEventListener("mousedown", (e) => this.onDown(e));
    window.addEventListener("mousemove", (e) => this.onMove(e));
    window.addEventListener("mouseup", (e) => this.onUp(e));
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom(e.deltaY < 0 ? 0.5 : 2, this.timeAt(e.offsetX));
    });
  }

  /** Adds computed columns (a progress event or the final overview). */
  addSlice(s: WaveSlice): void {
    this.bucketSecs = s.bucket_secs;
    for (let i = 0; i < s.min.length; i++) {
      this.min[s.first + i] = s.min[i] ?? 0;
      this.max[s.first + i] = s.max[i] ?? 0;
    }
    const known = (s.total ?? this.min.length) * s.bucket_secs;
    if (known > this.duration) this.setDuration(known);
    this.canvas.dataset.columns = String(this.min.length);
    this.schedule();
  }

  /** Marks the overview complete (for tests and for the zoom to fetch close-ups). */
  setComplete(): void {
    this.canvas.dataset.ready = "1";
    this.schedule();
  }

  setDuration(secs: number): void {
    const full = this.viewEnd === 0 || this.viewEnd >= this.duration;
    this.duration = Math.max(this.duration, secs);
    if (full) {
      this.viewStart = 0;
      this.viewEnd = this.duration;
    }
    this.schedule();
  }

  setPlayhead(secs: number | null): void {
    this.playhead = secs;
    this.schedule();
  }

  setChapters(starts: number[]): void {
    this.chapters = starts;
    this.schedule();
  }

  setMarks(marks: WaveMark[]): void {
    this.marks = marks;
    this.schedule();
  }

  /** The visible range, in seconds. */
  get view(): [number, number] {
    return [this.viewStart, this.viewEnd];
  }

  /** Zooms by `factor` (< 1 zooms in) around `center` seconds. */
  zoom(factor: number, center = (this.viewStart + this.viewEnd) / 2): void {
    if (!this.duration) return;
    const span = Math.min(this.duration, Math.max(0.5, (this.viewEnd - this.viewStart) * factor));
    let start = center - (center - this.viewStart) * (span / (this.viewEnd - this.viewStart || 1));
    start = Math.max(0, Math.min(this.duration - span, start));
    this.viewStart = start;
    this.viewEnd = start + span;
    this.zoomed = null;
    this.schedule();
    window.clearTimeout(this.fetchTimer);
    if (span < this.duration && this.canvas.dataset.ready === "1") {
      this.fetchTimer = window.setTimeout(() => void this.fetchZoom(), 120);
    }
  }

  /** Shows the whole episode again. */
  reset(): void {
    this.viewStart = 0;
    this.viewEnd = this.duration;
    this.zoomed = null;
    this.schedule();
  }

  private async fetchZoom(): Promise<void> {
    const [start, end] = [this.viewStart, this.viewEnd];
    try {
      const slice = await this.opts.fetchRange(start, end, this.canvas.width);
      if (start === this.viewStart && end === this.viewEnd) {
        this.zoomed = { start, end, slice };
        this.schedule();
      }
    } catch {
      // The overview stays; a close-up is a nicety.
    }
  }

  /** Seconds under pixel `x`. */
  timeAt(x: number): number {
    const w = this.canvas.clientWidth || this.canvas.width;
    return this.viewStart + (x / w) * (this.viewEnd - this.viewStart);
  }

  /** Pixel of time `t` (CSS pixels). */
  xOf(t: number): number {
    const w = this.canvas.clientWidth || this.canvas.width;
    return ((t - this.viewStart) / (this.viewEnd - this.viewStart || 1)) * w;
  }

  private handleAt(x: number): { mark: WaveMark; edge: "start" | "end" } | null {
    for (const m of this.marks) {
      if (Math.abs(this.xOf(m.start) - x) <= HANDLE_PX) return { mark: m, edge: "start" };
      if (m.end !== null && Math.abs(this.xOf(m.end) - x) <= HANDLE_PX) return { mark: m, edge: "end" };
    }
    return null;
  }

  private onDown(e: MouseEvent): void {
    const hit = this.handleAt(e.offsetX);
    if (hit) {
      this.drag = { id: hit.mark.id, edge: hit.edge, mark: { ...hit.mark } };
      e.preventDefault();
      return;
    }
    this.opts.onSeek(Math.max(0, Math.min(this.duration, this.timeAt(e.offsetX))));
  }

  private onMove(e: MouseEvent): void {
    if (!this.drag) {
      this.canvas.style.cursor = this.handleAt(e.offsetX) ? "ew-resize" : "pointer";
      return;
    }
    const rect = this.canvas.getBoundingClientRect();
    let t = Math.max(0, Math.min(this.duration, this.timeAt(e.clientX - rect.left)));
    if (e.shiftKey) t = Math.round(t);
    const m = this.drag.mark;
    if (this.drag.edge === "start") m.start = m.end !== null ? Math.min(t, m.end - 0.01) : t;
    else m.end = Math.max(t, m.start + 0.01);
    this.marks = this.marks.map((x) => (x.id === m.id ? m : x));
    this.schedule();
  }

  private onUp(_e: MouseEvent): void {
    if (!this.drag) return;
    const m = this.drag.mark;
    this.drag = null;
    this.opts.onMarkChange(m.id, m.start, m.end);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const c = this.canvas;
    const w = c.clientWidth || 600;
    const h = c.clientHeight || 96;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.fillStyle = "#f3f5f9";
    g.fillRect(0, 0, w, h);
    const mid = h / 2;
    const span = this.viewEnd - this.viewStart;
    c.dataset.view = `${this.viewStart.toFixed(3)}-${this.viewEnd.toFixed(3)}`;
    if (span <= 0) return;
    // Bookmarks under the wave.
    for (const m of this.marks) {
      const x0 = this.xOf(m.start);
      const x1 = m.end !== null ? this.xOf(m.end) : x0;
      g.fillStyle = "rgba(255, 196, 0, 0.28)";
      if (m.end !== null) g.fillRect(x0, 0, Math.max(1, x1 - x0), h);
    }
    // The wave.
    g.fillStyle = "#4a6fd8";
    const z = this.zoomed;
    for (let x = 0; x < w; x++) {
      let lo = 0;
      let hi = 0;
      if (z && z.start === this.viewStart && z.end === this.viewEnd) {
        const i = Math.floor((x / w) * z.slice.min.length);
        lo = z.slice.min[i] ?? 0;
        hi = z.slice.max[i] ?? 0;
      } else {
        const a = Math.floor((this.viewStart + (x / w) * span) / this.bucketSecs);
        const b = Math.max(a + 1, Math.floor((this.viewStart + ((x + 1) / w) * span) / this.bucketSecs));
        lo = 32767;
        hi = -32768;
        for (let i = a; i < b && i < this.min.length; i++) {
          const mn = this.min[i];
          const mx = this.max[i];
          if (mn === undefined || mx === undefined) continue;
          if (mn < lo) lo = mn;
          if (mx > hi) hi = mx;
        }
        if (hi < lo) continue;
      }
      const top = mid - (hi / 32768) * mid;
      const bottom = mid - (lo / 32768) * mid;
      g.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
    // Chapters.
    g.fillStyle = "#9aa3b5";
    for (const t of this.chapters) {
      const x = this.xOf(t);
      if (x >= 0 && x <= w) g.fillRect(x, 0, 1, h);
    }
    // Bookmark handles and titles.
    g.font = "11px sans-serif";
    for (const m of this.marks) {
      for (const t of m.end !== null ? [m.start, m.end] : [m.start]) {
        const x = this.xOf(t);
        if (x < -HANDLE_PX || x > w + HANDLE_PX) continue;
        g.fillStyle = "#d18b00";
        g.fillRect(x - 1, 0, 2, h);
        g.fillRect(x - 4, 0, 8, 8);
      }
      const x = this.xOf(m.start);
      if (x >= 0 && x < w && m.title) {
        g.fillStyle = "#6b4800";
        g.fillText(m.title.slice(0, 40), x + 5, h - 5);
      }
    }
    // Playhead.
    if (this.playhead !== null) {
      const x = this.xOf(this.playhead);
      if (x >= 0 && x <= w) {
        g.fillStyle = "#d93025";
        g.fillRect(x - 1, 0, 2, h);
      }
    }
  }
}
