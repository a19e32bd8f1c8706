import { test } from "node:test";
import assert from "node:assert/strict";
import { blogMeta, blogName, blogProblem } from "../src/blog-text.js";
import type { Source } from "../src/bindings/Source";

const now = Date.parse("2026-12-05T12:00:00Z");

const source = (over: Partial<Source>): Source => ({
  id: 1,
  home_url: "https://www.researchingreform.net/",
  title: "Researching Reform",
  method: "rest",
  campaign: null,
  document_count: 612,
  last_refresh: "2026-12-05T10:00:00Z",
  high_water: null,
  last_error: null,
  changed_by: null,
  changed_at: null,
  ...over,
});

test("a read blog says how many posts, when it was read, its campaign and who added it", () => {
  const s = source({ campaign: "In Dad's Shoes", changed_by: "Bea", changed_at: "2026-12-05T09:00:00Z" });
  assert.equal(blogMeta(s, now), "612 posts · read 2 hours ago · In Dad's Shoes · added by Bea, 3 hours ago");
  assert.equal(blogMeta(source({ document_count: 1, method: "rss" }), now), "1 post · read 2 hours ago (from its feed)");
});

test("a blog a teammate shared and not read here yet says the next refresh reads it", () => {
  const s = source({ title: "", document_count: 0, last_refresh: null, changed_by: "Cal" });
  assert.equal(blogMeta(s, now), "not read yet: \u201cRefresh all\u201d reads its archive · added by Cal");
  assert.equal(blogName(s), "www.researchingreform.net");
  assert.equal(blogName(source({})), "Researching Reform");
});

test("a failed refresh is said with what to do, and nothing is said otherwise", () => {
  assert.equal(blogProblem(source({})), "");
  assert.equal(
    blogProblem(source({ last_error: "offline" })),
    "Last refresh failed: offline. Refresh tries again; check the address if it keeps failing.",
  );
});
