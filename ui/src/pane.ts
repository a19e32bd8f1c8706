// The two panes' request layer. The backend answers asynchronously, so the answer to an older
// request can arrive after a newer one's: each pane owns the count of requests made to it, and a
// view asks its pane to begin a request, then asks the request, when the answer comes, whether it
// is still the one to show. No view reads or bumps a count itself.
//
// Nothing here touches the page, so the unit tests drive these classes in Node.

/** A list request, from `ListPane.begin`. */
export interface ListRequest {
  /**
   * Whether the answer keeps the list's scroll position and selection. A reload after a state
   * change asks for it, but loses it while a list the user chose is still on its way: that list
   * shows from its top, not at the old list's place.
   */
  readonly keepPlace: boolean;
  /** No newer list request has been made since this one. Only asks: a chosen list stays pending. */
  readonly latest: boolean;
  /**
   * Whether this answer is still the one to show (no newer request was made); if so it is being
   * shown, and the list the user chose is no longer pending. Call it once the answer (or the
   * error) is here, and draw only when it says yes.
   */
  claim(): boolean;
}

/** A note of the lists chosen so far, from `ListPane.noteChoice`. */
export interface ChoiceNote {
  /** The user has chosen another list since the note was taken (reloads do not count). */
  readonly changed: boolean;
}

/** The list pane (the middle column): which request's answer it shows. */
export class ListPane {
  // Bumped by every list request: a slow answer to an older request is dropped.
  private token = 0;
  // A list the user chose is still on its way: a reload after a state change started meanwhile
  // must show that list from its top, not keep the old list's place.
  private pending = false;
  // Bumped by each list the user chooses (not by reloads): a long job finishing does not take
  // the user away from a list they chose while it ran.
  private chosen = 0;

  /**
   * Starts a list request. `keepPlace` asks to keep the scroll position and selection (a reload
   * after a state change); without it the request is a list the user chose. See `ListRequest`.
   */
  begin(keepPlace: boolean): ListRequest {
    const token = ++this.token;
    keepPlace = keepPlace && !this.pending;
    if (!keepPlace) {
      this.pending = true;
      this.chosen++;
    }
    const pane = this;
    return {
      keepPlace,
      get latest(): boolean {
        return token === pane.token;
      },
      claim(): boolean {
        if (token !== pane.token) return false;
        pane.pending = false;
        return true;
      },
    };
  }

  /** Whether any list has been asked for yet. */
  get requested(): boolean {
    return this.token !== 0;
  }

  /** Notes the lists chosen so far, to ask later whether the user has chosen another since. */
  noteChoice(): ChoiceNote {
    const at = this.chosen;
    const pane = this;
    return {
      get changed(): boolean {
        return pane.chosen !== at;
      },
    };
  }
}

/** A detail request, from `DetailPane.begin` (or the page asked for last, from `DetailPane.ticket`). */
export interface DetailTicket {
  /** No newer page has been asked for since this ticket's: its answer may still be drawn. */
  readonly current: boolean;
  /** Notes that this ticket's answer has drawn episode `id`'s page (see `DetailPane.shown`). */
  drewEpisode(id: number): void;
}

/** The detail pane (the right-hand column): which page was asked for last, and which is shown. */
export class DetailPane {
  // Bumped by every detail request (and by each page drawn at once): a slow answer to an older
  // request is dropped.
  private token = 0;
  // The token of the request that drew the page shown now: a newer one means the user has
  // asked for another page, even if it has not drawn yet.
  private shownToken = 0;
  // The episode whose page is shown; null for any other page.
  private shownId: number | null = null;

  /** The user asks for a page: answers to the requests before it are no longer drawn. */
  begin(): DetailTicket {
    return this.ticketFor(++this.token);
  }

  /** A ticket for the page asked for last, without asking for another (work that follows it up). */
  ticket(): DetailTicket {
    return this.ticketFor(this.token);
  }

  /** Whether any page has been asked for yet. */
  get requested(): boolean {
    return this.token !== 0;
  }

  /** The episode whose page is shown, or null when another page (or none) is. */
  get shown(): number | null {
    return this.shownId;
  }

  /** A page that is not an episode's has been drawn. */
  drewPage(): void {
    this.shownId = null;
  }

  /**
   * A ticket for follow-up work on episode `id`'s page: null unless that page is shown and no
   * page has been asked for since it was drawn (the user has not moved on, even to a page that has
   * not drawn yet).
   */
  shownEpisode(id: number): DetailTicket | null {
    const token = this.token;
    if (this.shownId !== id || token !== this.shownToken) return null;
    return this.ticketFor(token);
  }

  private ticketFor(token: number): DetailTicket {
    const pane = this;
    return {
      get current(): boolean {
        return token === pane.token;
      },
      drewEpisode(id: number): void {
        pane.shownId = id;
        pane.shownToken = token;
      },
    };
  }
}
