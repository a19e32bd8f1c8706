// The picture follows the audio engine (src/video-sync.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { correct, engineNow, SEEK_DRIFT, STEP_MS, stepTo } from "../src/video-sync.js";

describe("engineNow", () => {
  test("moves on from the last tick at the engine's speed while playing, holds while paused", () => {
    assert.equal(engineNow(10, 1000, 1250, 2, true), 10.5);
    assert.equal(engineNow(10, 1000, 1250, 2, false), 10);
    assert.equal(engineNow(10, 1000, 900, 1, true), 10, "a clock that went back adds nothing");
  });
});

describe("correct", () => {
  test("jumps when the picture is more than a tenth of a second off", () => {
    assert.deepEqual(correct(12.5, 12.3, 1, true), { seekTo: 12.3, rate: 1 });
    assert.deepEqual(correct(3, 12, 2, true), { seekTo: 12, rate: 2 });
  });

  test("keeps the engine's speed and leaves a small gap alone", () => {
    assert.deepEqual(correct(12.25, 12.3, 2, true), { seekTo: null, rate: 2 });
    assert.deepEqual(correct(12.35, 12.3, 1, true), { seekTo: null, rate: 1 });
    assert.ok(SEEK_DRIFT <= 0.1, "within the 100 ms the listener can tolerate");
  });

  test("a paused picture shows the engine's frame", () => {
    assert.deepEqual(correct(5, 7, 1, false), { seekTo: 7, rate: 1 });
    assert.deepEqual(correct(7.01, 7, 1, false), { seekTo: null, rate: 1 });
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
