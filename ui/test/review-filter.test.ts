// The review queue's filter by evidence (src/review-filter.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evidenceCounts, evidenceWords, withEvidence } from "../src/review-filter.js";
import type { ReviewItem } from "../src/bindings/ReviewItem";

function item(doc: number, evidence: string[]): ReviewItem {
  return { episode_id: 1, episode_title: "Ep", doc_id: doc, doc_title: `Doc ${doc}`, url: "https://blog.example/", score: 0.5, reasons: [], evidence };
}

const queue = [
  item(1, ["guest_in_title", "announces"]),
  item(2, ["wording"]),
  item(3, ["announces", "announces"]),
  item(4, ["guest_in_title", "announces", "wording"]),
];

describe("evidenceCounts", () => {
  test("counts each suggestion once per kind, most common first", () => {
    assert.deepEqual(evidenceCounts(queue), [
      { code: "announces", count: 3 },
      { code: "guest_in_title", count: 2 },
      { code: "wording", count: 2 },
    ]);
  });

  test("an empty queue has no kinds", () => {
    assert.deepEqual(evidenceCounts([]), []);
  });
});

describe("withEvidence", () => {
  test("keeps the suggestions resting on the kind, in order", () => {
    assert.deepEqual(withEvidence(queue, "wording").map((i) => i.doc_id), [2, 4]);
    assert.deepEqual(withEvidence(queue, null).map((i) => i.doc_id), [1, 2, 3, 4]);
    assert.deepEqual(withEvidence(queue, "embeds_audio"), []);
  });
});

describe("evidenceWords", () => {
  test("says known codes in words and unknown ones readably", () => {
    assert.equal(evidenceWords("guest_in_title"), "a guest named in its title");
    assert.equal(evidenceWords("some_new_kind"), "some new kind");
  });
});
