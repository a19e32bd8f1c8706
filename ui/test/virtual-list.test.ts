// The page arithmetic of windowed lists (src/virtual-list.ts): which pages a window fills, and which
// window a reload asks for so the rows on screen come back in one request.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PAGE, pagesCovered, pagesSpanning } from "../src/virtual-list.js";

describe("pagesCovered", () => {
  test("a window of whole pages fills each of them", () => {
    assert.deepEqual(pagesCovered(0, PAGE, 100_000), [0]);
    assert.deepEqual(pagesCovered(PAGE * 3, PAGE * 2, 100_000), [3, 4]);
  });
  test("a short last page counts as whole", () => {
    assert.deepEqual(pagesCovered(PAGE * 2, 17, PAGE * 2 + 17), [2]);
    assert.deepEqual(pagesCovered(0, 3, 3), [0]);
  });
  test("a window that starts or ends inside a page fills only the pages wholly inside it", () => {
    assert.deepEqual(pagesCovered(10, PAGE, 100_000), []);
    assert.deepEqual(pagesCovered(10, PAGE * 2, 100_000), [1]);
    assert.deepEqual(pagesCovered(PAGE, PAGE - 1, 100_000), []);
  });
  test("an empty window, or one past the end, fills nothing", () => {
    assert.deepEqual(pagesCovered(0, 0, 0), []);
    assert.deepEqual(pagesCovered(PAGE * 10, PAGE, PAGE * 2), []);
  });
});

describe("pagesSpanning", () => {
  test("rows inside one page ask for that page", () => {
    assert.deepEqual(pagesSpanning(0, 20), { offset: 0, limit: PAGE });
    assert.deepEqual(pagesSpanning(PAGE * 5 + 3, PAGE * 5 + 40), { offset: PAGE * 5, limit: PAGE });
  });
  test("rows across a page boundary ask for both pages at once", () => {
    assert.deepEqual(pagesSpanning(PAGE - 10, PAGE + 10), { offset: 0, limit: PAGE * 2 });
  });
  test("the last row's page is the end, not the one after it", () => {
    assert.deepEqual(pagesSpanning(PAGE - 20, PAGE), { offset: 0, limit: PAGE });
  });
  test("an empty list asks for its first page", () => {
    assert.deepEqual(pagesSpanning(0, 0), { offset: 0, limit: PAGE });
  });
});
