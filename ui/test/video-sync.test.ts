// The picture follows the audio engine (src/video-sync.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { engineNow, Follower, MAX_LEAD, SEEK_DRIFT, SETTLE_MS, STEP_MS, stepTo } from "../src/video-sync.js";

describe("engineNow", () => {
  test("moves on from the last tick at the engine's speed while playing, holds while paused", () => {
    assert.equal(engineNow(10, 1000, 1250, 2, true), 10.5);
    assert.equal(engineNow(10, 1000, 1250, 2, false), 10);
    assert.equal(engineNow(10, 1000, 900, 1, true), 10, "a clock that went back adds nothing");
  });
});

describe("Follower", () => {
  test("jumps when the picture is more than a tenth of a second off, aimed ahead by its lead", () => {
    const f = new Follower();
    f.lead = 0.2;
    assert.deepEqual(f.correct(12.5, 12.3, 1, true, 0), { seekTo: 12.5, rate: 1 });
    const g = new Follower();
    g.lead = 0.2;
    assert.deepEqual(g.correct(3, 12, 2, true, 0), { seekTo: 12.4, rate: 2 });
  });

  test("keeps the engine's speed and leaves a small gap alone", () => {
    const f = new Follower();
    assert.deepEqual(f.correct(12.25, 12.3, 2, true, 0), { seekTo: null, rate: 2 });
    assert.deepEqual(f.correct(12.35, 12.3, 1, true, 100), { seekTo: null, rate: 1 });
    assert.ok(SEEK_DRIFT <= 0.1, "within the 100 ms the listener can tolerate");
  });

  test("a paused picture shows the engine's frame", () => {
    const f = new Follower();
    assert.deepEqual(f.correct(5, 7, 1, false, 0), { seekTo: 7, rate: 1 });
    assert.deepEqual(f.correct(7.01, 7, 1, false, 100), { seekTo: null, rate: 1 });
  });

  test("waits for a jump to play before judging it, and learns how long that took", () => {
    const f = new Follower();
    f.lead = 0.2;
    assert.equal(f.correct(3, 10, 1, true, 0).seekTo, 10.2);
    f.landed(10.2);
    // The picture stands at 10.2 while WebKit decodes; the engine goes on. No new jump.
    assert.equal(f.correct(10.2, 10.1, 1, true, 100).seekTo, null);
    assert.equal(f.correct(10.2, 10.3, 1, true, 300).seekTo, null, "still standing: waited for");
    // It plays from 10.2 at 400 ms (seen 100 ms later at 10.3): that jump took 0.4 s.
    const again = f.correct(10.3, 10.5, 1, true, 500).seekTo;
    assert.ok(again !== null && Math.abs(again - 10.8) < 1e-9, `late by 0.2: a new jump, with the lead averaged (${again})`);
    assert.ok(Math.abs(f.lead - 0.3) < 1e-9, `lead ${f.lead}`);
  });

  test("stops waiting when the engine jumps elsewhere, or after a while", () => {
    const f = new Follower();
    f.lead = 0;
    assert.equal(f.correct(3, 10, 1, true, 0).seekTo, 10);
    f.landed(10);
    assert.equal(f.correct(10, 30, 1, true, 100).seekTo, 30, "the engine was sent elsewhere");
    f.landed(30);
    assert.equal(f.correct(30, 30.5, 1, true, 500).seekTo, null);
    assert.equal(f.correct(30, 30.1 + SETTLE_MS / 1000, 1, true, 100 + SETTLE_MS).seekTo, 30.1 + SETTLE_MS / 1000);
  });

  test("keeps its lead within reason", () => {
    const f = new Follower();
    f.lead = 0.9;
    f.correct(0, 10, 1, true, 0);
    f.landed(10.9);
    // Playing again at 1.3 s: averaged with 0.9 that is 1.1, more than a lead may be.
    f.correct(11, 11.4, 1, true, 1400);
    assert.equal(f.lead, MAX_LEAD);
  });
});

describe("stepTo", () => {
  test("aims half a step ahead of the engine while playing, at its speed", () => {
    assert.equal(stepTo(10, 12, 2, true), 12 + (STEP_MS / 1000) * 2 / 2);
    assert.equal(stepTo(10, 12, 1.5, false), 12, "paused: the engine's own frame");
  });

  test("leaves a picture that is already there", () => {
    assert.equal(stepTo(12.1, 12, 2, true), null);
  });
});
