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

/**
 * How to bring the picture at `videoTime` to the engine at `engineTime`: play at the engine's
 * speed, and jump when it is more than `SEEK_DRIFT` off (or, paused, visibly off). No nudging of
 * the rate: every rate change is an event WebKit's media stack sends through its pipeline from
 * the page's thread, and a stream of them (one each tick) deadlocked that thread against the
 * video sink without a GPU (WebKit waits on the page's thread to paint each frame there). At the
 * same rate the picture keeps its place; a jump puts back what the clocks' slow drift takes.
 */
export function correct(videoTime: number, engineTime: number, speed: number, playing: boolean): Correction {
  const drift = videoTime - engineTime;
  if (!playing) return { seekTo: Math.abs(drift) > 0.04 ? engineTime : null, rate: speed };
  return { seekTo: Math.abs(drift) > SEEK_DRIFT ? engineTime : null, rate: speed };
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
