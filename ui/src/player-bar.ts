// The player bar: shows what the engine reports (the `player` event, four times a second) and
// turns clicks and keys into player commands. The engine is the source of truth; the bar never
// guesses a position.
import { api } from "./backend.js";
import { fmtClock } from "./format.js";
import type { PlayerStatus } from "./bindings/PlayerStatus";
import type { SkipLengths } from "./bindings/SkipLengths";

const q = <T extends HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

/** How long after a choice (a seek, a sleep timer) a tick may still show the state before it. */
const STALE_TICK_MS = 1000;

export class PlayerBar {
  private readonly root = q<HTMLElement>("#player");
  private readonly title = q<HTMLElement>("#player-title");
  private readonly sub = q<HTMLElement>("#player-sub");
  private readonly toggleBtn = q<HTMLButtonElement>("#play-toggle");
  private readonly scrubber = q<HTMLInputElement>("#scrubber");
  private readonly elapsed = q<HTMLElement>("#elapsed");
  private readonly remaining = q<HTMLElement>("#remaining");
  private readonly speed = q<HTMLSelectElement>("#speed");
  private readonly mute = q<HTMLButtonElement>("#mute");
  private readonly sleep = q<HTMLSelectElement>("#sleep");
  private readonly volume = q<HTMLInputElement>("#volume");
  private readonly prevChapter = q<HTMLButtonElement>("#chapter-prev");
  private readonly backBtn = q<HTMLButtonElement>("#skip-back");
  private readonly forwardBtn = q<HTMLButtonElement>("#skip-forward");
  private readonly nextChapter = q<HTMLButtonElement>("#chapter-next");
  private dragging = false;
  // A scrubber seek on its way: ticks sent before it landed would pull the scrubber back.
  private seeking: { secs: number; until: number } | null = null;
  // When a sleep timer was last chosen: ticks from before it arrived still say "no timer".
  private sleepAskedAt = -Infinity;
  status: PlayerStatus | null = null;

  constructor(private readonly onError: (e: unknown) => void, private readonly onEpisodeChange: (s: PlayerStatus, before: PlayerStatus | null) => void) {
    this.toggleBtn.onclick = () => this.toggle();
    this.backBtn.onclick = () => this.skipBack();
    this.forwardBtn.onclick = () => this.skipForward();
    this.scrubber.addEventListener("input", () => {
      this.dragging = true;
      this.elapsed.textContent = fmtClock(Number(this.scrubber.value));
    });
    this.scrubber.addEventListener("change", () => {
      this.dragging = false;
      const secs = Number(this.scrubber.value);
      this.seeking = { secs, until: performance.now() + STALE_TICK_MS };
      this.send({ kind: "seek", secs });
    });
    this.prevChapter.onclick = () => this.chapterJump(-1);
    this.nextChapter.onclick = () => this.chapterJump(1);
    this.speed.onchange = () => this.send({ kind: "speed", value: Number(this.speed.value) });
    this.sleep.onchange = () => {
      const v = this.sleep.value;
      this.sleepAskedAt = performance.now();
      this.send({ kind: "sleep", minutes: v === "off" || v === "end" ? null : Number(v), end_of_episode: v === "end" });
    };
    this.mute.onclick = () => this.send({ kind: "mute", on: !(this.status?.muted ?? false) });
    this.volume.oninput = () => this.send({ kind: "volume", value: Number(this.volume.value) });
  }

  private send(cmd: Parameters<typeof api.player>[0]): void {
    api.player(cmd).catch(this.onError);
  }

  /** Next or previous chapter: the backend knows the chapters and where playback is. */
  chapterJump(direction: 1 | -1): void {
    if (!this.status?.has_chapters) return;
    this.send({ kind: direction > 0 ? "chapter_next" : "chapter_previous" });
  }

  get playing(): boolean {
    return this.status?.state === "playing";
  }

  toggle(): void {
    if (!this.status || this.status.state === "idle") return;
    this.send({ kind: "toggle" });
  }

  /** Back by the listener's skip-back length (the backend knows it). */
  skipBack(): void {
    if (this.status?.state === "idle") return;
    this.send({ kind: "skip_back" });
  }

  /** Forward by the listener's skip-forward length. */
  skipForward(): void {
    if (this.status?.state === "idle") return;
    this.send({ kind: "skip_forward" });
  }

  /** Labels the skip buttons with the lengths in force. */
  showSkipLengths(s: SkipLengths): void {
    this.backBtn.textContent = `↺ ${s.back_secs}`;
    this.backBtn.title = `Back ${s.back_secs} s (←)`;
    this.backBtn.setAttribute("aria-label", `Back ${s.back_secs} seconds`);
    this.forwardBtn.textContent = `${s.forward_secs} ↻`;
    this.forwardBtn.title = `Forward ${s.forward_secs} s (→)`;
    this.forwardBtn.setAttribute("aria-label", `Forward ${s.forward_secs} seconds`);
  }

  changeSpeed(delta: number): void {
    const speeds = [...this.speed.options].map((o) => Number(o.value));
    const now = this.status?.speed ?? 1;
    const next = delta > 0 ? speeds.find((s) => s > now + 1e-6) : [...speeds].reverse().find((s) => s < now - 1e-6);
    if (next !== undefined) this.send({ kind: "speed", value: next });
  }

  toggleMute(): void {
    this.send({ kind: "mute", on: !(this.status?.muted ?? false) });
  }

  update(s: PlayerStatus): void {
    const before = this.status;
    this.status = s;
    const idle = s.state === "idle";
    this.root.classList.toggle("idle", idle);
    this.root.dataset.state = s.state;
    this.prevChapter.disabled = this.nextChapter.disabled = !s.has_chapters;
    this.root.classList.toggle("buffering", s.buffering);
    setText(this.title, idle ? "Nothing playing" : s.title);
    setText(this.sub, idle
      ? "Open an episode and press Play (p)"
      : s.state === "ended"
        ? "Finished"
        : [
            s.state === "paused" ? "Paused" : s.buffering ? "Buffering…" : "Playing",
            s.streaming ? "streaming" : "",
            `${s.speed}×`,
            s.chapter ?? "",
            s.sleep_at_end ? "stops at the end" : s.sleep_remaining_secs !== null ? `sleep in ${fmtClock(s.sleep_remaining_secs)}` : "",
          ]
            .filter(Boolean)
            .join(" · "));
    const sleepSettled = performance.now() - this.sleepAskedAt > STALE_TICK_MS;
    if (sleepSettled && document.activeElement !== this.sleep && !s.sleep_at_end && s.sleep_remaining_secs === null) this.sleep.value = "off";
    // Written only when they change: the status arrives several times a second, and replacing the
    // text under the pointer between mouse-down and mouse-up can cost a click.
    const playing = s.state === "playing";
    setText(this.toggleBtn, playing ? "❚❚" : "▶");
    const tip = playing ? "Pause (space)" : "Play (space)";
    if (this.toggleBtn.title !== tip) this.toggleBtn.title = tip;
    const dur = s.duration_secs ?? 0;
    this.scrubber.max = String(Math.max(dur, s.position_secs, 1));
    const seek = this.seeking;
    if (seek && (Math.abs(s.position_secs - seek.secs) < 1.5 || performance.now() > seek.until)) this.seeking = null;
    if (!this.dragging && !this.seeking) {
      this.scrubber.value = String(s.position_secs);
      setText(this.elapsed, fmtClock(s.position_secs));
    }
    setText(this.remaining, s.duration_secs === null ? "--:--" : `-${fmtClock(dur - s.position_secs)}`);
    if (document.activeElement !== this.speed) this.speed.value = String(s.speed);
    setText(this.mute, s.muted ? "Unmute" : "Mute");
    if (document.activeElement !== this.volume) this.volume.value = String(s.volume);
    if (before?.episode_id !== s.episode_id || before?.state !== s.state) this.onEpisodeChange(s, before);
  }
}

/** Sets an element's text only when it differs, so an unchanged status leaves the DOM alone. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
