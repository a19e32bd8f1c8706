import { describe as group, test } from "node:test";
import assert from "node:assert/strict";
import { ago, changedBy, changedLine, describe, describeShare, summarise, summariseShare } from "../src/sync-text.js";
import type { SyncStatus } from "../src/bindings/SyncStatus";
import type { SyncReport } from "../src/bindings/SyncReport";

const now = Date.parse("2026-12-05T12:00:00Z");

const status = (over: Partial<SyncStatus>): SyncStatus => ({
  account: { server: "https://sync.example/", user: "ann", device: "earmark-box", flavour: "gpodder" },
  last_sync: "2026-12-05T11:55:00Z",
  last_error: null,
  pending_subscriptions: 0,
  pending_actions: 0,
  unmatched: 0,
  ...over,
});

const report = (over: Partial<SyncReport>): SyncReport => ({
  sent: { subscriptions_added: 0, subscriptions_removed: 0, actions: 0 },
  received: { subscriptions_added: 0, subscriptions_removed: 0, actions: 0 },
  positions_moved: 0,
  played_changed: 0,
  unmatched: 0,
  queued: 0,
  failed_subscriptions: [],
  requests: 3,
  ...over,
});

group("sync words", () => {
  test("times read as people say them", () => {
    assert.equal(ago("2026-12-05T11:59:50Z", now), "just now");
    assert.equal(ago("2026-12-05T11:59:00Z", now), "1 minute ago");
    assert.equal(ago("2026-12-05T09:00:00Z", now), "3 hours ago");
  });

  test("the status says who, where, when and what waits", () => {
    assert.ok(/^Not set up/.test(describe(status({ account: null }), now)));
    const s = describe(status({ pending_actions: 2, pending_subscriptions: 1 }), now);
    assert.ok(/https:\/\/sync\.example\/ as ann \(gPodder\)/.test(s));
    assert.ok(/last synced 5 minutes ago; 3 changes wait to be sent/.test(s));
    assert.ok(/\(Nextcloud\): not synced yet/.test(describe(status({ last_sync: null, account: { server: "s", user: "u", device: "d", flavour: "nextcloud" } }), now)));
  });

  test("a sync that changed nothing here says nothing", () => {
    assert.equal(summarise(report({ sent: { subscriptions_added: 4, subscriptions_removed: 0, actions: 9 } })), "");
    assert.equal(
      summarise(report({ positions_moved: 1, played_changed: 2, received: { subscriptions_added: 1, subscriptions_removed: 0, actions: 3 } })),
      "1 new subscription, 1 position moved, 2 marked played or unplayed",
    );
  });
});

group("share words", () => {
  const share = {
    shared: true,
    name: "Researching Reform",
    folder: "/home/ann/Nextcloud/Archive",
    on_server: false,
    person: "Ann",
    last_sync: "2026-12-05T11:58:00Z",
    last_error: null,
    items: { subscriptions: 1, bookmarks: 12, decisions: 3, tags: 7, sources: 2, pages: 8, collections: 2 },
    folder_files: 4,
    folder_bytes: 2048,
  };

  test("the status says what is shared, as whom, where and when", () => {
    const s = describeShare(share, now);
    assert.ok(s.includes('Sharing "Researching Reform" as Ann through /home/ann/Nextcloud/Archive'), s);
    assert.ok(s.includes("12 bookmarks, 3 link decisions, 7 tags, 1 subscriptions, 2 blogs, 8 pages, 2 campaigns and topics; last synced 2 minutes ago"), s);
    assert.ok(/^Not shared/.test(describeShare({ ...share, shared: false }, now)));
  });

  test("only what came from the team is news, and a shared bookmark says who changed it", () => {
    const none = { subscriptions: 0, bookmarks: 0, decisions: 0, tags: 0, sources: 0, pages: 0, collections: 0 };
    const report = { sent: { ...none, bookmarks: 5 }, received: none, files_merged: 0, file_written: "changes/x.amc", skipped: [], waiting: 0 };
    assert.equal(summariseShare(report), "");
    assert.equal(summariseShare({ ...report, received: { ...none, bookmarks: 1, decisions: 2 } }), "from the team: 1 bookmark, 2 link decisions");
    assert.equal(summariseShare({ ...report, received: { ...none, tags: 1 } }), "from the team: 1 tag");
    assert.equal(summariseShare({ ...report, received: { ...none, sources: 2 } }), "from the team: 2 blogs");
    assert.equal(summariseShare({ ...report, received: { ...none, pages: 1 } }), "from the team: 1 page");
    assert.equal(summariseShare({ ...report, received: { ...none, collections: 2 } }), "from the team: 2 campaigns or topics");
    assert.equal(changedBy("Bea", "2026-12-05T11:00:00Z", now), "by Bea, 1 hour ago");
    assert.equal(changedBy(null, null, now), "");
  });

  test("says what was done to any other shared item, and nothing outside a share", () => {
    const decided = { changed_by: "Ann", changed_at: "2026-12-05T11:58:00Z" };
    assert.equal(changedLine("accepted", decided, now), "accepted by Ann, 2 minutes ago");
    assert.equal(changedLine("subscribed", { changed_by: null, changed_at: null }, now), "");
    assert.equal(changedLine("added", {}, now), "");
  });
});
