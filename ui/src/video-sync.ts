// Keeping the video picture in step with the audio engine, which is the one clock. Pure: no DOM,
// so the unit tests run it in Node.

/** Past this the picture jumps to the engine's place rather than catching up. */
export const SEEK_DRIFT = 0.1;

/** The engine's position now, estimated from its last tick (ticks come four times a second). */
export function engineNow(tickPos: number, tickAtMs: number, nowMs: number, speed: number, playing: boolean): number {
  return playing ? tickPos + (Math.max(0, nowMs - tickAtMs) / 1000) * speed : tickPos;
}

/** What to do to the video: jump to `seekTo` (or leave it), and play at `rate`. */
export interface Correction {
  seekTo: number | null;
  rate: number;
}

/** Longest a jump may take to play again before the picture is judged by its clock anyway. */
export const SETTLE_MS = 1500;

/** The longest lead a jump is given either way, in seconds at 1x. */
export const MAX_LEAD = 1;

/** How far past where it landed the picture's clock must be to count as playing again. */
const MOVED = 0.05;

/** A jump the picture made while playing, not yet seen playing again. */
interface Jump {
  /** Where the engine was when it was asked for, and when (ms). */
  engineAt: number;
  atMs: number;
  /** Where WebKit says it landed (its `seeked`), which is not always where it was sent. */
  landed: number | null;
}

/**
 * Keeps the picture at `videoTime` with the engine at `engineTime`: the picture plays at the
 * engine's speed and jumps when it is more than `SEEK_DRIFT` off (or, paused, visibly off). No
 * nudging of the rate: every rate change is an event WebKit's media stack sends through its
 * pipeline from the page's thread, and a stream of them (one each tick) deadlocked that thread
 * against the video sink without a GPU (WebKit waits on the page's thread to paint each frame
 * there). At the same rate the picture keeps its place; a jump puts back what the clocks' slow
 * drift takes.
 *
 * A jump does not land cleanly: WebKit decodes from the keyframe before the new place, and on a
 * 2-core machine without a GPU its clock stood still for a moment after each jump, then went on
 * about 0.2 s ahead of where it was sent. Judged in that moment the picture looked off again, and
 * it jumped every step, eight times a second, so it never played (the e2e video test's
 * screenshots caught it ahead, then stalled). So no new jump is made until the picture plays
 * again, the engine itself jumps, or `SETTLE_MS` passes; and each jump is aimed by how far off
 * the last one resumed (`lead`): ahead where WebKit is slow to start, behind where, as here, it
 * resumes ahead.
 */
export class Follower {
  /**
   * When, in seconds after a jump was asked for, the picture played on from where it landed, as
   * last measured: negative when it resumed ahead, as if it had started before it was asked.
   */
  lead = 0;
  private jump: Jump | null = null;

  /** What to do now (`nowMs` on the same clock as the jump's). */
  correct(videoTime: number, engineTime: number, speed: number, playing: boolean, nowMs: number): Correction {
    const drift = videoTime - engineTime;
    if (!playing) {
      this.jump = null;
      return { seekTo: Math.abs(drift) > 0.04 ? engineTime : null, rate: speed };
    }
    if (this.jump && this.waiting(this.jump, videoTime, engineTime, speed, nowMs)) return { seekTo: null, rate: speed };
    this.jump = null;
    if (Math.abs(drift) <= SEEK_DRIFT) return { seekTo: null, rate: speed };
    this.jump = { engineAt: engineTime, atMs: nowMs, landed: null };
    return { seekTo: engineTime + this.lead * speed, rate: speed };
  }

  /** Where WebKit says the picture landed after the last jump (its `seeked` event). */
  landed(videoTime: number): void {
    if (this.jump && this.jump.landed === null) this.jump.landed = videoTime;
  }

  /**
   * Whether `jump` is still to be waited for. Once the picture moves on from where it landed,
   * the time it took to start (worked back from how far it has moved) becomes the next lead.
   */
  private waiting(jump: Jump, videoTime: number, engineTime: number, speed: number, nowMs: number): boolean {
    const elapsed = (nowMs - jump.atMs) / 1000;
    // The engine moved elsewhere than playing on would take it: a seek or a skip of its own.
    if (Math.abs(engineTime - (jump.engineAt + elapsed * speed)) > 0.5) return false;
    if (jump.landed !== null && videoTime > jump.landed + MOVED) {
      const started = elapsed - (videoTime - jump.landed) / speed;
      this.lead = Math.min(MAX_LEAD, Math.max(-MAX_LEAD, (this.lead + started) / 2));
      return false;
    }
    return nowMs - jump.atMs < SETTLE_MS;
  }
}

/** How often a stepped picture (see `stepTo`) is moved, in milliseconds. */
export const STEP_MS = 100;

/**
 * Where a stepped picture should be shown now: when the `<video>` cannot play at the engine's
 * speed (no GPU, at any speed but 1x) it stays paused and is moved by
 * seeks, each aimed half a step ahead so the picture is as often early as late. `null`: leave it.
 */
export function stepTo(videoTime: number, engineTime: number, speed: number, playing: boolean): number | null {
  const aim = playing ? engineTime + (STEP_MS / 2000) * speed : engineTime;
  return Math.abs(videoTime - aim) > 0.02 ? aim : null;
}
