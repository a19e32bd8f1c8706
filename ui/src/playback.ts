// Playback: the player bar, playing an episode or a segment of it, and earmark:// links.
import { api } from "./backend.js";
import { showError } from "./notify.js";
import { PlayerBar } from "./player-bar.js";
import { detailPane, state } from "./state.js";
import { highlightCue } from "./views/episode-marks.js";
import { setPlayButton, showEpisode } from "./views/episode-page.js";
import { loadEpisodes } from "./views/episodes.js";
import { followPlayer } from "./video.js";
import type { PlayerStatus } from "./bindings/PlayerStatus";

export const bar = new PlayerBar(
  (e) => showError(e, "Player"),
  (s) => {
    // When an episode finishes or another starts, lists show the new played/progress state.
    if ((s.state === "ended" || s.state === "paused") && !state.searching) void loadEpisodes(true);
    const play = document.getElementById("play-episode") as HTMLButtonElement | null;
    if (play && state.shownEpisode && detailPane.shown === s.episode_id) setPlayButton(play, state.shownEpisode);
  },
);

/** Plays an episode; opened from a playlist, playback then moves on within that playlist. */
export async function playEpisode(id: number): Promise<void> {
  try {
    await api.playEpisode(id, null, false, state.view.kind === "playlist" ? state.view.id : null);
  } catch (err) {
    showError(err, "Cannot play this episode");
  }
}

/**
 * Opens an `earmark://` link: the episode's page, the player ready at that moment. Playing waits
 * for the listener: a link can come from any web page, and none may start sound by itself.
 */
export function openAt(episode: number, secs: number): void {
  void showEpisode(episode).then(() => {
    state.segment = null;
    if (bar.status?.episode_id === episode && bar.status.state !== "idle" && bar.status.state !== "ended") {
      if (bar.playing) bar.toggle();
      void api.player({ kind: "seek", secs });
    } else {
      void api.playEpisode(episode, secs, true).catch((err: unknown) => showError(err, "Cannot open this episode"));
    }
  });
}

/** Plays `[start, end)` and stops there, or loops it. */
export function playSegment(episode: number, start: number, end: number | null, loop: boolean): void {
  state.segment = end === null ? null : { episode, start, end, loop, last: null };
  if (bar.status?.episode_id === episode && bar.status.state !== "idle" && bar.status.state !== "ended") {
    void api.player({ kind: "seek", secs: start });
    if (!bar.playing) bar.toggle();
  } else {
    void api.playEpisode(episode, start).catch((err: unknown) => showError(err, "Cannot play this episode"));
  }
}

/** Follows playback: the playhead, the transcript line, and a segment's end. */
export function onPlayerStatus(s: PlayerStatus): void {
  followPlayer(s);
  if (state.wave && s.episode_id === detailPane.shown) state.wave.setPlayhead(s.position_secs);
  if (s.episode_id === detailPane.shown && state.cues.length) highlightCue(s.position_secs);
  const seg = state.segment;
  if (seg) followSegment(seg, s);
}

/** The most a status tick can move on by itself: ticks come every 250 ms, at up to 3x speed. */
const SEGMENT_TICK_SECS = 2.5;

/**
 * Stops (or loops) a segment at its end, and lets it go when the user goes elsewhere: a seek
 * or skip out of it, another episode. Ticks from before its own seek landed are not counted.
 */
function followSegment(seg: NonNullable<typeof state.segment>, s: PlayerStatus): void {
  const pos = s.position_secs;
  const inside = s.episode_id === seg.episode && pos >= seg.start - 1 && pos < seg.end;
  if (inside) {
    seg.last = pos;
    return;
  }
  if (seg.last === null) return;
  const reachedEnd = s.episode_id === seg.episode && s.state === "playing" && pos >= seg.end && pos - seg.last <= SEGMENT_TICK_SECS;
  if (reachedEnd && seg.loop) {
    seg.last = null;
    void api.player({ kind: "seek", secs: seg.start });
  } else if (reachedEnd) {
    state.segment = null;
    if (bar.playing) bar.toggle();
  } else {
    // Another episode, or a jump out of the segment: the user has moved on.
    state.segment = null;
  }
}
