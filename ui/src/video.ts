// The picture pane: a video episode's picture, muted, following the audio engine (the one clock)
// through play, pause, seek, skip and speed. It sits in a corner while browsing, grows to a large
// pane (v) and goes full screen (f); "Sound only" closes it for the podcast from now on.
import { api } from "./backend.js";
import { $ } from "./dom.js";
import { showError, toast } from "./notify.js";
import { engineNow, Follower, STEP_MS, stepTo } from "./video-sync.js";
import type { EpisodeVideo } from "./bindings/EpisodeVideo";
import type { PlayerStatus } from "./bindings/PlayerStatus";

const pane = $<HTMLDivElement>("#video-pane");
const video = $<HTMLVideoElement>("#video");

let shown: { episode: number; info: EpisodeVideo } | null = null;
// The episode the pane was last asked about (its answer may still be on its way).
let current: number | null = null;
// The engine's last tick: where it was, when it said so, at what speed, and whether it played.
let tick = { pos: 0, at: 0, speed: 1, playing: false };
let timer = 0;
// Keeps the playing picture with the engine, and remembers how long its jumps take.
const follower = new Follower();

/** Follows the player: opens the pane for a video episode with a local file, keeps it in step. */
export function followPlayer(s: PlayerStatus): void {
  tick = { pos: s.position_secs, at: performance.now(), speed: s.speed, playing: s.state === "playing" && !s.buffering };
  const id = s.episode_id;
  if (id === null || s.state === "idle") return close();
  if (current !== id) {
    current = id;
    shown = null;
    pane.hidden = true;
    void api
      .episodeVideo(id)
      .then((info) => {
        if (!info || info.sound_only || current !== id) return;
        shown = { episode: id, info };
        // The engine plays the sound: the picture is always silent (set on each new source, as
        // WebKit does not keep the attribute's state across loads).
        video.muted = true;
        video.src = info.url;
        pane.hidden = false;
        pane.dataset.episode = String(id);
        step();
      })
      .catch((err: unknown) => showError(err, "Cannot show this episode's picture"));
    return;
  }
  step();
}


/** One correction now, and the next soon while the picture is up. */
function step(): void {
  window.clearTimeout(timer);
  if (!shown || pane.hidden) return;
  const target = engineNow(tick.pos, tick.at, performance.now(), tick.speed, tick.playing);
  // Nothing is asked of the `<video>` until its current frame is drawn (HAVE_CURRENT_DATA) and no
  // seek is under way: while it prerolls, WebKit's software video sink waits on this thread to
  // paint, and a play, pause or rate change sent meanwhile can deadlock the page. It also keeps
  // to one jump at a time.
  if (video.readyState >= 2 && !video.seeking) {
    if (shown.info.native_rate || tick.speed === 1) follow(target);
    else stepped(target);
  }
  pane.dataset.drift = String(video.currentTime - target);
  timer = window.setTimeout(step, shown.info.native_rate || tick.speed === 1 ? 100 : STEP_MS);
}

/** The `<video>` plays at the engine's speed, jumping back in step when it drifts. */
function follow(target: number): void {
  const c = follower.correct(video.currentTime, target, tick.speed, tick.playing, performance.now());
  // A long jump (a seek, a skip) is made paused where that is safe, and play resumes once its
  // frame is drawn (the next step): a jump made while playing through WebKit's compositor
  // emulated on the CPU sometimes left the picture 0.3 s ahead of the element's own clock.
  if (c.seekTo !== null && shown?.info.composited && Math.abs(video.currentTime - target) > 1 && !video.paused) video.pause();
  if (c.seekTo !== null) video.currentTime = c.seekTo;
  // Set only when it changes: each change goes through WebKit's media pipeline.
  if (video.playbackRate !== c.rate) video.playbackRate = c.rate;
  if (tick.playing && video.paused) void video.play().catch(() => undefined);
  if (!tick.playing && !video.paused) video.pause();
}

/**
 * The `<video>` stays paused and is moved by seeks, where it may not play at the engine's speed
 * (no GPU: see `native_rate`). At 1x it plays natively again; its rate stays 1.
 */
function stepped(target: number): void {
  if (!video.paused) video.pause();
  const to = stepTo(video.currentTime, target, tick.speed, tick.playing);
  if (to !== null) video.currentTime = to;
}

function close(): void {
  window.clearTimeout(timer);
  shown = null;
  current = null;
  pane.hidden = true;
  // No pause first: without compositing, WebKit's video sink holds a lock while it waits for
  // this thread to paint a frame, and a pause takes that lock (a frozen page, seen in the e2e
  // test). Emptying the source tears the player down, and WebKit releases a paint wait first.
  video.removeAttribute("src");
  video.load();
}

/** Corner ↔ large. */
export function toggleLarge(): void {
  if (pane.hidden) return;
  const large = pane.classList.toggle("large");
  $<HTMLButtonElement>("#video-size").textContent = large ? "Smaller" : "Larger";
}

/** Full screen, or back. */
export function toggleFullScreen(): void {
  if (pane.hidden) return;
  if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
  else void pane.requestFullscreen().catch(() => pane.classList.add("large"));
}

async function soundOnly(): Promise<void> {
  if (!shown) return;
  const podcast = shown.info.podcast_id;
  try {
    const now = await api.podcastSound(podcast);
    await api.setPodcastSound(podcast, { ...now, sound_only: true });
    close();
    toast("This podcast now plays as sound only", "info", "Choose “Show picture” on a video episode's page to bring it back.");
  } catch (err) {
    showError(err, "Could not change this podcast");
  }
}

/** Shows the picture of a podcast set to sound only again (from a video episode's page). */
export async function showPicture(podcast: number, episode: number): Promise<void> {
  const now = await api.podcastSound(podcast);
  await api.setPodcastSound(podcast, { ...now, sound_only: false });
  if (current === episode) current = null;
  shown = null;
}

export function wireVideo(): void {
  $<HTMLButtonElement>("#video-size").addEventListener("click", toggleLarge);
  $<HTMLButtonElement>("#video-full").addEventListener("click", toggleFullScreen);
  $<HTMLButtonElement>("#video-sound-only").addEventListener("click", () => void soundOnly());
  video.addEventListener("loadeddata", step);
  video.addEventListener("seeked", () => {
    follower.landed(video.currentTime);
    step();
  });
}
