// The review queue by evidence: which kinds of evidence the suggestions rest on, in words, and the
// suggestions that rest on one of them. Pure, so it is tested without a window.
import type { ReviewItem } from "./bindings/ReviewItem";

/** Each evidence code the linker stores (`Evidence::code`, `Signal::code`), as staff read it. */
const WORDS: Record<string, string> = {
  embeds_audio: "embeds the episode's audio",
  links_audio: "links to the episode's audio",
  embeds_player: "embeds the episode's player",
  player_title: "its player is titled with the episode",
  links_host_page: "links to the episode on its host",
  links_page: "links to the episode's page",
  notes_link_here: "the show notes link here",
  names_title: "names the episode's title",
  title_mention: "mentions the episode's title",
  podcast_category: "in a podcast category or tag",
  host_player: "has a podcast host's player",
  episode_number: "says the episode's number",
  guest_in_title: "a guest named in its title",
  rare_names: "names the same rare people",
  announces: "published just after the episode",
  wording: "similar wording",
};

/** An evidence code in words; a code this build does not know is shown as itself, readably. */
export function evidenceWords(code: string): string {
  return WORDS[code] ?? code.replaceAll("_", " ");
}

/** The kinds of evidence in the queue with how many suggestions rest on each, most common first. */
export function evidenceCounts(items: readonly ReviewItem[]): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const item of items) for (const code of new Set(item.evidence)) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || evidenceWords(a.code).localeCompare(evidenceWords(b.code)));
}

/** The suggestions resting on `code` (all of them for null), in the queue's own order. */
export function withEvidence(items: readonly ReviewItem[], code: string | null): ReviewItem[] {
  return code === null ? [...items] : items.filter((item) => item.evidence.includes(code));
}
