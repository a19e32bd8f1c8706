// Playlist rules in words and the statistics' months chart (src/listening.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { describeRule, fmtListened, monthBars, NO_FILTER } from "../src/listening.js";
import type { SmartRule } from "../src/bindings/SmartRule";

const none: SmartRule = NO_FILTER;

describe("describeRule", () => {
  test("says a playlist by hand keeps the chosen order", () => {
    assert.equal(describeRule(null), "In the order you chose");
  });

  test("names every condition, the order and the limit", () => {
    assert.equal(describeRule(none), "Every episode, newest first");
    const rule: SmartRule = { ...none, unplayed: true, podcast: 3, tag: "custody", shorter_than_mins: 30, order: "oldest", limit: 10 };
    assert.equal(
      describeRule(rule, (id) => (id === 3 ? "Voice of the Child" : "")),
      "Episodes unplayed, from Voice of the Child, tagged “custody”, under 30 min, oldest first, at most 10",
    );
  });
});

describe("fmtListened", () => {
  test("reads hours and minutes, minutes, or seconds", () => {
    assert.equal(fmtListened(11100), "3 h 05 min");
    assert.equal(fmtListened(725), "12 min");
    assert.equal(fmtListened(40.4), "40 s");
    assert.equal(fmtListened(-90), "−1 min");
  });
});

describe("monthBars", () => {
  const line = (secs: number) => ({ listened_secs: secs, episode_secs: secs, saved_by_speed_secs: 0, saved_by_trimming_secs: 0, episodes_finished: 0 });

  test("lays out the last months with the gaps empty and the tallest full", () => {
    const bars = monthBars([{ period: "2025-11", line: line(100) }, { period: "2026-01", line: line(400) }], "2026-02", 4);
    assert.deepEqual(bars.map((b) => b.period), ["2025-11", "2025-12", "2026-01", "2026-02"]);
    assert.deepEqual(bars.map((b) => b.share), [0.25, 0, 1, 0]);
    assert.deepEqual(bars.map((b) => b.label), ["Nov 25", "Dec", "Jan 26", "Feb"]);
  });

  test("draws nothing tall when nothing was heard, and nothing for a bad month", () => {
    assert.ok(monthBars([], "2026-12").every((b) => b.share === 0 && b.secs === 0));
    assert.equal(monthBars([], "December").length, 0);
  });
});
