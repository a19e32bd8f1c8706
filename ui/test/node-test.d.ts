// The few parts of Node's test runner and assert module the unit tests use (the project does not
// install @types/node). Node 20's own documentation is the reference for each.

declare module "node:test" {
  /** Runs `fn` as a test named `name`; an async `fn` passes when its promise resolves. */
  export function test(name: string, fn: () => void | Promise<void>): Promise<void>;
  /** Groups the tests `fn` declares under `name`. */
  export function describe(name: string, fn: () => void): Promise<void>;
}

declare module "node:assert/strict" {
  interface StrictAssert {
    /** `actual === expected` (Object.is). */
    equal(actual: unknown, expected: unknown, message?: string): void;
    /** Deep, strict structural equality. */
    deepEqual(actual: unknown, expected: unknown, message?: string): void;
    /** `value` is truthy. */
    ok(value: unknown, message?: string): asserts value;
  }
  const assert: StrictAssert;
  export default assert;
}
