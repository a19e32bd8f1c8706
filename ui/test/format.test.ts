// The pure formatting and parsing helpers (src/format.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  coverUrl,
  downloadWords,
  fmtBytes,
  fmtClock,
  fmtDate,
  fmtDuration,
  fmtSpan,
  hostOf,
  parseTime,
  snippetParts,
} from "../src/format.js";
import type { DownloadEvent } from "../src/bindings/DownloadEvent";
import type { Podcast } from "../src/bindings/Podcast";

describe("parseTime", () => {
  test("reads minutes:seconds, hours:minutes:seconds and plain seconds", () => {
    assert.equal(parseTime("12:30"), 750);
    assert.equal(parseTime("1:02:03.5"), 3723.5);
    assert.equal(parseTime("754.2"), 754.2);
    assert.equal(parseTime("0"), 0);
    assert.equal(parseTime("90:00"), 5400);
  });

  test("ignores the spaces around it", () => {
    assert.equal(parseTime("  5:00 "), 300);
  });

  test("is null for what is not a time", () => {
    for (const text of ["", "   ", "abc", "1:2:3:4", "12:", ":30", "-5", "1:-2", "1.5.2", "1,5", "1e3", "1: 30"]) {
      assert.equal(parseTime(text), null, JSON.stringify(text));
    }
  });
});

describe("fmtClock", () => {
  test("shows m:ss, or h:mm:ss from an hour", () => {
    assert.equal(fmtClock(0), "0:00");
    assert.equal(fmtClock(61.9), "1:01");
    assert.equal(fmtClock(3599), "59:59");
    assert.equal(fmtClock(3661), "1:01:01");
  });

  test("never goes below zero, and shows --:-- when there is no time", () => {
    assert.equal(fmtClock(-5), "0:00");
    assert.equal(fmtClock(null), "--:--");
    assert.equal(fmtClock(undefined), "--:--");
    assert.equal(fmtClock(NaN), "--:--");
    assert.equal(fmtClock(Infinity), "--:--");
  });
});

describe("fmtDuration", () => {
  test("rounds to the second", () => {
    assert.equal(fmtDuration(0), "0:00");
    assert.equal(fmtDuration(59.6), "1:00");
    assert.equal(fmtDuration(125), "2:05");
    assert.equal(fmtDuration(3600), "1:00:00");
    assert.equal(fmtDuration(3725.4), "1:02:05");
  });

  test("is empty when the length is unknown", () => {
    assert.equal(fmtDuration(null), "");
    assert.equal(fmtDuration(NaN), "");
    assert.equal(fmtDuration(Infinity), "");
  });
});

describe("fmtBytes", () => {
  test("kB, MB and GB", () => {
    assert.equal(fmtBytes(1500), "2 kB");
    assert.equal(fmtBytes(999_999), "1000 kB");
    assert.equal(fmtBytes(1e6), "1.0 MB");
    assert.equal(fmtBytes(12_345_678), "12.3 MB");
    assert.equal(fmtBytes(2.5e9), "2.50 GB");
  });

  test("shows at least 1 kB", () => {
    assert.equal(fmtBytes(0), "1 kB");
    assert.equal(fmtBytes(10), "1 kB");
  });
});

describe("fmtSpan", () => {
  test("a moment, or a segment with an en dash", () => {
    assert.equal(fmtSpan(62, null), "1:02");
    assert.equal(fmtSpan(62, 95), "1:02–1:35");
    assert.equal(fmtSpan(3600, 3725), "1:00:00–1:02:05");
  });
});

describe("fmtDate", () => {
  test("a date in the user's locale", () => {
    const iso = "2024-03-05T12:00:00Z";
    assert.equal(fmtDate(iso), new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }));
    assert.ok(fmtDate(iso).includes("2024"));
  });

  test("says so when the date is missing or unreadable", () => {
    assert.equal(fmtDate(null), "Date unknown");
    assert.equal(fmtDate(""), "Date unknown");
    assert.equal(fmtDate("not a date"), "Date unknown");
  });
});

describe("hostOf", () => {
  test("the host of a URL, with its port", () => {
    assert.equal(hostOf("https://www.researchingreform.net/2024/01/post"), "www.researchingreform.net");
    assert.equal(hostOf("http://localhost:8080/feed"), "localhost:8080");
  });

  test("is empty for what is not a URL", () => {
    assert.equal(hostOf("not a url"), "");
    assert.equal(hostOf(""), "");
  });
});

describe("downloadWords", () => {
  const event = (over: Partial<DownloadEvent>): DownloadEvent => ({
    episode_id: 1,
    state: "downloading",
    bytes: 1_200_000,
    total: null,
    rate: null,
    eta_secs: null,
    error: null,
    ...over,
  });

  test("a queued download waits", () => {
    assert.equal(downloadWords(event({ state: "queued" })), "waiting to download");
  });

  test("bytes so far, of the total when known, the rate and the time left", () => {
    assert.equal(downloadWords(event({})), "1.2 MB");
    assert.equal(downloadWords(event({ total: 20_000_000 })), "1.2 MB of 20.0 MB");
    assert.equal(downloadWords(event({ total: 20_000_000, rate: 3_400_000, eta_secs: 5 })), "1.2 MB of 20.0 MB · 3.4 MB/s · 0:05 left");
    assert.equal(downloadWords(event({ rate: 0, eta_secs: 0 })), "1.2 MB · 0:00 left");
  });
});

describe("snippetParts", () => {
  test("hits are the parts between [ and ]", () => {
    assert.deepEqual(snippetParts("the [earmark] app"), [
      { text: "the ", hit: false },
      { text: "earmark", hit: true },
      { text: " app", hit: false },
    ]);
  });

  test("keeps empty parts, so hits stay at odd places", () => {
    assert.deepEqual(snippetParts("[a][b]"), [
      { text: "", hit: false },
      { text: "a", hit: true },
      { text: "", hit: false },
      { text: "b", hit: true },
      { text: "", hit: false },
    ]);
    assert.deepEqual(snippetParts(""), [{ text: "", hit: false }]);
  });

  test("text with no marks is one plain part; markup stays text", () => {
    assert.deepEqual(snippetParts("<b>no marks</b>"), [{ text: "<b>no marks</b>", hit: false }]);
  });
});

describe("coverUrl", () => {
  const podcast = (image_url: string | null): Podcast => ({
    id: 42,
    title: "Voice of the Child",
    feed_url: "https://example.org/feed",
    link: null,
    image_url,
    author: null,
    episode_count: 0,
    last_refresh: null,
    last_error: null,
    gone: false,
    subscribed: true,
    auto_download: { mode: "off" },
    changed_by: null,
    changed_at: null,
  });

  test("every cover comes through the app, never straight from the web", () => {
    assert.equal(coverUrl(podcast("file:///covers/42.jpg")), "cover://localhost/42");
    assert.equal(coverUrl(podcast("https://example.org/c.jpg")), "cover://localhost/42");
    assert.equal(coverUrl(podcast("HTTP://example.org/c.jpg")), "cover://localhost/42");
  });

  test("none for a missing cover or any other scheme", () => {
    assert.equal(coverUrl(podcast(null)), null);
    assert.equal(coverUrl(podcast("")), null);
    assert.equal(coverUrl(podcast("data:image/png;base64,AAAA")), null);
  });
});
