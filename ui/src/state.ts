// The window's shared state, what the list pane shows (`View`), and the two panes' request layers.
import type { BookmarkRow } from "./bindings/BookmarkRow";
import type { Collection } from "./bindings/Collection";
import type { DownloadEvent } from "./bindings/DownloadEvent";
import type { Episode } from "./bindings/Episode";
import type { Playlist } from "./bindings/Playlist";
import type { Podcast } from "./bindings/Podcast";
import type { ReviewItem } from "./bindings/ReviewItem";
import type { TranscriptCue } from "./bindings/TranscriptCue";

import { DetailPane, ListPane } from "./pane.js";
import type { Waveform } from "./waveform.js";

/** The archive views: every post and page, one campaign, or the review queue of suggested links. */
export type ArchiveView = { kind: "docs" } | { kind: "campaign"; id: number; name: string } | { kind: "review" } | { kind: "bookmarks" };

/** A playlist's episodes; playing one of them moves on within the playlist. */
export type PlaylistView = { kind: "playlist"; id: number; name: string };

/**
 * What the list pane shows: episodes (of `state.current`), Up next, a playlist, or an archive
 * view. A search shows its results over any of them (`state.searching`), and clearing it goes
 * back to the view.
 */
export type View = { kind: "episodes" } | { kind: "queue" } | PlaylistView | ArchiveView;

export function isArchive(view: View): view is ArchiveView {
  return view.kind !== "episodes" && view.kind !== "queue" && view.kind !== "playlist";
}

// What the list pane shows; `state` reads it, and only `setView` changes it.
const shows = {
  view: { kind: "episodes" } as View,
  current: null as number | null,
  searching: false,
};

export const state = {
  podcasts: [] as Podcast[],
  /** What the list pane shows. */
  get view(): View {
    return shows.view;
  },
  /**
   * The podcast chosen last (null: all of them), which the episodes view shows. It is kept while
   * Up next or the archive is shown: the episodes view comes back to it, and Up next's rows name
   * their podcast only when it is null.
   */
  get current(): number | null {
    return shows.current;
  },
  /** A search's results show over the view; clearing the search goes back to it. */
  get searching(): boolean {
    return shows.searching;
  },
  busy: 0,
  // The podcasts have been read once: until then a reload would show the empty-library page.
  started: false,
  queue: [] as Episode[],
  playlists: [] as Playlist[],
  // The latest download event per episode, for progress bars and row markers.
  downloads: new Map<number, DownloadEvent>(),
  collections: [] as Collection[],
  review: [] as ReviewItem[],
  // The shown episode's bookmarks, waveform and transcript.
  marks: [] as BookmarkRow[],
  wave: null as Waveform | null,
  cues: [] as TranscriptCue[],
  // The bookmark the "end" key (n) finishes: made by the "start" key (b).
  // Its id is a promise: n may come before the library has answered b.
  openMark: null as { id: Promise<number>; episode: number } | null,
  // A segment playing alone: stops (or loops) at its end.
  // `last` is the last position seen inside it (null until playback has got there).
  segment: null as { episode: number; start: number; end: number; loop: boolean; last: number | null } | null,
  shownEpisode: null as Episode | null,
  // The library-wide bookmarks view's filters.
  markFilter: { query: "", tag: "", order: "date" as "date" | "episode", from: "", to: "" },
};

export function podcastTitle(id: number): string {
  return state.podcasts.find((p) => p.id === id)?.title ?? "";
}

/** The list pane's requests (see pane.ts): every list view begins its request here. */
export const listPane = new ListPane();

/** The detail pane's requests (see pane.ts): every page begins its request here. */
export const detailPane = new DetailPane();

/**
 * Changes what the list pane shows: the view, the podcast the episodes view shows (null: all),
 * and whether a search shows over the view. What is left out stays as it is.
 */
export function setView(change: { view?: View; podcast?: number | null; searching?: boolean }): void {
  if (change.view !== undefined) shows.view = change.view;
  if (change.podcast !== undefined) shows.current = change.podcast;
  if (change.searching !== undefined) shows.searching = change.searching;
}
