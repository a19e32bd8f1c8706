// The panes' request layer (src/pane.ts), driven the way the views drive it, against a fake
// backend whose answers the tests give in the order they choose.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DetailPane, ListPane } from "../src/pane.js";

/** Lets every answer given so far reach the code awaiting it. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A fake backend: each call waits until the test answers it (or fails it) by name. */
class FakeBackend<T> {
  private readonly waiting = new Map<string, { resolve: (v: T) => void; reject: (e: unknown) => void }[]>();

  call(name: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const calls = this.waiting.get(name) ?? [];
      calls.push({ resolve, reject });
      this.waiting.set(name, calls);
    });
  }

  /** The calls not answered yet, by name. */
  get pending(): string[] {
    return [...this.waiting.entries()].flatMap(([name, calls]) => calls.map(() => name));
  }

  async answer(name: string, value: T): Promise<void> {
    this.take(name).resolve(value);
    await settle();
  }

  async fail(name: string, error: string): Promise<void> {
    this.take(name).reject(new Error(error));
    await settle();
  }

  private take(name: string): { resolve: (v: T) => void; reject: (e: unknown) => void } {
    const calls = this.waiting.get(name);
    const first = calls?.shift();
    if (!first) throw new Error(`nothing is waiting for ${name}`);
    if (calls?.length === 0) this.waiting.delete(name);
    return first;
  }
}

// ---------------------------------------------------------------------------------------------
// The list pane. `loadList` has the shape of every list view (views/episodes.ts `loadEpisodes`,
// views/archive.ts `loadArchive`, views/queue.ts `showQueue`): begin, ask, draw only if claimed.

type Drawn = { list: string; rows: string[]; keepPlace: boolean } | { list: string; error: string };

class ListWindow {
  readonly pane = new ListPane();
  readonly backend = new FakeBackend<string[]>();
  readonly drawn: Drawn[] = [];
  searchBox = "";

  /** A list view: `keepPlace` for a reload after a state change, not for a list the user chose. */
  async load(list: string, keepPlace = false): Promise<void> {
    const req = this.pane.begin(keepPlace);
    keepPlace = req.keepPlace;
    let rows: string[];
    try {
      rows = await this.backend.call(list);
    } catch (err) {
      if (req.claim()) this.drawn.push({ list, error: (err as Error).message });
      return;
    }
    if (!req.claim()) return;
    this.drawn.push({ list, rows, keepPlace });
  }

  /** Shaped like views/search.ts `runSearch`: the box may have changed while the results came. */
  async search(q: string): Promise<void> {
    const req = this.pane.begin(false);
    const hits = await this.backend.call(`search ${q}`);
    if (!req.claim() || this.searchBox !== q) return;
    this.drawn.push({ list: `search ${q}`, rows: hits, keepPlace: false });
  }

  /** Shaped like views/queue.ts `showQueue`, whose queue read may fail before the answer is claimed. */
  async queue(keepPlace = false): Promise<void> {
    const req = this.pane.begin(keepPlace);
    const rows = await this.backend.call("queue");
    if (!req.claim()) return;
    this.drawn.push({ list: "queue", rows, keepPlace: req.keepPlace });
  }
}

describe("ListPane", () => {
  test("nothing has been asked for at first", () => {
    const pane = new ListPane();
    assert.equal(pane.requested, false);
    pane.begin(true);
    assert.equal(pane.requested, true);
  });

  test("a late answer is dropped after a newer request", async () => {
    const w = new ListWindow();
    const first = w.load("podcast 1");
    const second = w.load("podcast 2");
    await w.backend.answer("podcast 2", ["b"]);
    await w.backend.answer("podcast 1", ["a"]);
    await Promise.all([first, second]);
    assert.deepEqual(w.drawn, [{ list: "podcast 2", rows: ["b"], keepPlace: false }]);
  });

  test("an older answer that comes first is dropped too, and the newer one still draws", async () => {
    const w = new ListWindow();
    const first = w.load("podcast 1");
    const second = w.load("podcast 2");
    await w.backend.answer("podcast 1", ["a"]);
    assert.deepEqual(w.drawn, []);
    await w.backend.answer("podcast 2", ["b"]);
    await Promise.all([first, second]);
    assert.deepEqual(w.drawn, [{ list: "podcast 2", rows: ["b"], keepPlace: false }]);
  });

  test("a late error is not reported; a current one is", async () => {
    const w = new ListWindow();
    const first = w.load("podcast 1");
    const second = w.load("podcast 2");
    await w.backend.fail("podcast 1", "offline");
    await w.backend.fail("podcast 2", "timeout");
    await Promise.all([first, second]);
    assert.deepEqual(w.drawn, [{ list: "podcast 2", error: "timeout" }]);
  });

  test("a reload with nothing pending keeps the place", async () => {
    const w = new ListWindow();
    const chosen = w.load("all");
    await w.backend.answer("all", ["a"]);
    await chosen;
    const reload = w.load("all", true);
    await w.backend.answer("all", ["a", "b"]);
    await reload;
    assert.deepEqual(w.drawn.map((d) => "keepPlace" in d && d.keepPlace), [false, true]);
  });

  test("a reload started while a chosen list is pending loses keepPlace", async () => {
    const w = new ListWindow();
    const chosen = w.load("podcast 1");
    // An episode finished while podcast 1's episodes were on their way: the list reloads.
    const reload = w.load("podcast 1", true);
    await w.backend.answer("podcast 1", ["old"]);
    await w.backend.answer("podcast 1", ["new"]);
    await Promise.all([chosen, reload]);
    assert.deepEqual(w.drawn, [{ list: "podcast 1", rows: ["new"], keepPlace: false }]);
  });

  test("the chosen list stays pending until the latest answer is claimed", async () => {
    const w = new ListWindow();
    const chosen = w.load("podcast 1");
    const reload = w.load("podcast 1", true);
    // The chosen list's answer is stale now: it is dropped, and the pane still waits.
    await w.backend.answer("podcast 1", ["stale"]);
    const again = w.load("podcast 1", true);
    await w.backend.answer("podcast 1", ["stale too"]);
    await w.backend.answer("podcast 1", ["latest"]);
    await Promise.all([chosen, reload, again]);
    // Only now does a reload keep its place.
    const after = w.load("podcast 1", true);
    await w.backend.answer("podcast 1", ["latest", "more"]);
    await after;
    assert.deepEqual(w.drawn, [
      { list: "podcast 1", rows: ["latest"], keepPlace: false },
      { list: "podcast 1", rows: ["latest", "more"], keepPlace: true },
    ]);
  });

  test("a current error ends the wait as an answer does", async () => {
    const w = new ListWindow();
    const chosen = w.load("podcast 1");
    await w.backend.fail("podcast 1", "offline");
    await chosen;
    assert.equal(w.pane.begin(true).keepPlace, true);
  });

  test("a chosen list whose read fails before its answer is claimed stays pending", async () => {
    const w = new ListWindow();
    const queue = w.queue().catch(() => undefined);
    await w.backend.fail("queue", "the library is locked");
    await queue;
    assert.equal(w.pane.begin(true).keepPlace, false);
  });

  test("asking whether a request is the latest does not end the wait", () => {
    const pane = new ListPane();
    const req = pane.begin(false);
    assert.equal(req.latest, true);
    // views/episodes.ts checks `latest` for the storage line it adds after drawing.
    const reload = pane.begin(true);
    assert.equal(reload.keepPlace, false);
    assert.equal(req.latest, false);
    assert.equal(reload.latest, true);
    assert.equal(req.claim(), false);
    assert.equal(reload.claim(), true);
    assert.equal(reload.latest, true);
    assert.equal(pane.begin(true).keepPlace, true);
  });

  test("a search answer is claimed even when the box has changed since (and then not drawn)", async () => {
    const w = new ListWindow();
    w.searchBox = "ear";
    const search = w.search("ear");
    w.searchBox = "earm"; // typed on; its own search has not started yet (the box waits 120 ms)
    await w.backend.answer("search ear", ["hit"]);
    await search;
    assert.deepEqual(w.drawn, []);
    // The answer was the latest, so the pane no longer waits: a reload keeps its place.
    assert.equal(w.pane.begin(true).keepPlace, true);
  });

  test("choices: lists the user chooses count, reloads that keep their place do not", () => {
    const pane = new ListPane();
    const note = pane.noteChoice();
    assert.equal(note.changed, false);
    pane.begin(false).claim();
    assert.equal(note.changed, true);

    const later = pane.noteChoice();
    pane.begin(true).claim();
    pane.begin(true).claim();
    assert.equal(later.changed, false);
    // A reload that lost its place (a chosen list was pending) shows a list from its top: it counts.
    pane.begin(false);
    const during = pane.noteChoice();
    pane.begin(true);
    assert.equal(during.changed, true);
  });

  test("subscribe's rule: the new podcast shows unless the user chose another list meanwhile", async () => {
    const w = new ListWindow();
    const started = w.load("all");
    await w.backend.answer("all", []);
    await started;
    // Adding a podcast takes a while; a refresh's reload meanwhile is not the user's choice.
    const note = w.pane.noteChoice();
    const reload = w.load("all", true);
    await w.backend.answer("all", ["x"]);
    await reload;
    assert.equal(note.changed, false);
    const chosen = w.load("podcast 2");
    assert.equal(note.changed, true);
    await w.backend.answer("podcast 2", []);
    await chosen;
  });
});

// ---------------------------------------------------------------------------------------------
// The detail pane. The functions below have the shape of views/episode-page.ts `showEpisode` and
// `refreshShownEpisode`, views/detail.ts `showPlaceholder` and views/episode-marks.ts
// `renderBookmarks`.

class DetailWindow {
  readonly pane = new DetailPane();
  readonly backend = new FakeBackend<string>();
  readonly drawn: string[] = [];

  async showEpisode(id: number): Promise<void> {
    const ticket = this.pane.begin();
    try {
      const title = await this.backend.call(`episode ${id}`);
      if (!ticket.current) return;
      this.drawn.push(title);
      ticket.drewEpisode(id);
      void this.renderBookmarks(id, ticket);
    } catch (err) {
      if (ticket.current) this.drawn.push(`error: ${(err as Error).message}`);
    }
  }

  async renderBookmarks(id: number, ticket: ReturnType<DetailPane["ticket"]>): Promise<void> {
    const marks = await this.backend.call(`bookmarks ${id}`);
    if (!ticket.current || this.pane.shown !== id) return;
    this.drawn.push(marks);
  }

  /** A page drawn at once (the placeholder, the add-archive form, a review item). */
  showPage(text: string): void {
    this.pane.begin();
    this.drawn.push(text);
    this.pane.drewPage();
  }

  async refreshShownEpisode(id: number): Promise<void> {
    const ticket = this.pane.shownEpisode(id);
    if (!ticket) return;
    const e = await this.backend.call(`refresh ${id}`);
    if (!ticket.current || this.pane.shown !== id) return;
    this.drawn.push(e);
  }
}

describe("DetailPane", () => {
  test("nothing has been asked for, and nothing is shown, at first", () => {
    const pane = new DetailPane();
    assert.equal(pane.requested, false);
    assert.equal(pane.shown, null);
    pane.begin();
    assert.equal(pane.requested, true);
  });

  test("an answer superseded by a newer request is not drawn", async () => {
    const w = new DetailWindow();
    const first = w.showEpisode(1);
    const second = w.showEpisode(2);
    await w.backend.answer("episode 2", "Episode 2");
    await w.backend.answer("episode 1", "Episode 1");
    await Promise.all([first, second]);
    assert.deepEqual(w.drawn, ["Episode 2"]);
    assert.equal(w.pane.shown, 2);
  });

  test("a page drawn at once supersedes an episode still on its way", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(1);
    w.showPage("Add a blog or pages");
    await w.backend.answer("episode 1", "Episode 1");
    await episode;
    assert.deepEqual(w.drawn, ["Add a blog or pages"]);
    assert.equal(w.pane.shown, null);
  });

  test("a superseded error is not reported; a current one is", async () => {
    const w = new DetailWindow();
    const first = w.showEpisode(1);
    const second = w.showEpisode(2);
    await w.backend.fail("episode 1", "gone");
    await w.backend.fail("episode 2", "offline");
    await Promise.all([first, second]);
    assert.deepEqual(w.drawn, ["error: offline"]);
  });

  test("shown follows the pages drawn", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(7);
    await w.backend.answer("episode 7", "Episode 7");
    await episode;
    assert.equal(w.pane.shown, 7);
    w.showPage("placeholder");
    assert.equal(w.pane.shown, null);
  });

  test("a page's follow-up work is dropped once another page is asked for", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(1);
    await w.backend.answer("episode 1", "Episode 1");
    await episode;
    assert.deepEqual(w.backend.pending, ["bookmarks 1"]);
    const other = w.showEpisode(2);
    await w.backend.answer("bookmarks 1", "marks of 1");
    assert.deepEqual(w.drawn, ["Episode 1"]);
    await w.backend.answer("episode 2", "Episode 2");
    await other;
    await w.backend.answer("bookmarks 2", "marks of 2");
    assert.deepEqual(w.drawn, ["Episode 1", "Episode 2", "marks of 2"]);
  });

  test("a ticket for the page asked for last does not supersede it", () => {
    const pane = new DetailPane();
    const asked = pane.begin();
    const follow = pane.ticket();
    assert.equal(asked.current, true);
    assert.equal(follow.current, true);
    pane.begin();
    assert.equal(asked.current, false);
    assert.equal(follow.current, false);
  });

  test("refreshing the shown episode redraws it while the user stays", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(3);
    await w.backend.answer("episode 3", "Episode 3");
    await episode;
    await w.backend.answer("bookmarks 3", "marks");
    const refresh = w.refreshShownEpisode(3);
    await w.backend.answer("refresh 3", "Episode 3, downloaded");
    await refresh;
    assert.deepEqual(w.drawn, ["Episode 3", "marks", "Episode 3, downloaded"]);
  });

  test("refreshing does nothing for an episode not shown", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(3);
    await w.backend.answer("episode 3", "Episode 3");
    await episode;
    assert.equal(w.pane.shownEpisode(4), null);
    await w.refreshShownEpisode(4);
    assert.deepEqual(w.backend.pending, ["bookmarks 3"]);
  });

  test("refreshing does nothing once the user has asked for another page, even before it draws", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(3);
    await w.backend.answer("episode 3", "Episode 3");
    await episode;
    const next = w.showEpisode(4);
    assert.equal(w.pane.shown, 3);
    assert.equal(w.pane.shownEpisode(3), null);
    await w.refreshShownEpisode(3);
    assert.deepEqual(w.backend.pending.filter((p) => p.startsWith("refresh")), []);
    await w.backend.answer("episode 4", "Episode 4");
    await next;
  });

  test("a refresh whose answer comes after the user moved on is dropped", async () => {
    const w = new DetailWindow();
    const episode = w.showEpisode(3);
    await w.backend.answer("episode 3", "Episode 3");
    await episode;
    const refresh = w.refreshShownEpisode(3);
    w.showPage("All suggestions reviewed.");
    await w.backend.answer("refresh 3", "Episode 3, downloaded");
    await refresh;
    assert.deepEqual(w.drawn, ["Episode 3", "All suggestions reviewed."]);
  });

  test("start-up's rule: the start link opens unless the user opened a page meanwhile", () => {
    const pane = new DetailPane();
    // main.ts: the placeholder only when nothing was asked for, then the note.
    if (!pane.requested) pane.begin();
    const shownAt = pane.ticket();
    assert.equal(shownAt.current, true);
    pane.begin();
    assert.equal(shownAt.current, false);
  });
});
