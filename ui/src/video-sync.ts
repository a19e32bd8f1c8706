// Keeping the video picture in step with the audio engine, which is the one clock. Pure: no DOM,
// so the unit tests run it in Node.

/** Past this the picture jumps to the engine's place rather than catching up. */
export const SEEK_DRIFT = 0.1;

/** The engine's position now, estimated from its last tick (ticks come four times a second). */
export function engineNow(tickPos: number, tickAtMs: number, nowMs: number, speed: number, playing: boolean): number {
  return playing ? tickPos + (Math.max(0, nowMs - tickAtMs) / 1000) * speed : tickPos;
}

/** What to do to the video: jump to `seekTo`, and play at `rate`. */
export interface Correction {
  seekTo: number | null;
  rate: number;
}

/**
 * How to bring the picture at `videoTime` to the engine at `engineTime`: a jump when it is more
 * than `SEEK_DRIFT` off (or when paused and visibly off), else a rate a little above or below
 * the engine's speed that closes the gap within about a second, so nobody sees a stutter.
 */
export function correct(videoTime: number, engineTime: number, speed: number, playing: boolean): Correction {
  const drift = videoTime - engineTime;
  if (!playing) return { seekTo: Math.abs(drift) > 0.04 ? engineTime : null, rate: speed };
  if (Math.abs(drift) > SEEK_DRIFT) return { seekTo: engineTime, rate: speed };
  const nudge = Math.max(-0.1, Math.min(0.1, -drift));
  return { seekTo: null, rate: speed * (1 + nudge) };
}
