// Earmark's isolation application (Tauri's isolation pattern): every message the window sends to
// the backend passes through this hook, in a frame of its own that the window's scripts cannot
// reach, before Tauri encrypts it. It lets through only Earmark's own commands and event
// listening, each with arguments that are plain data; anything else is dropped here, so a script
// that got into the page still cannot call what the app never calls.
(function () {
  "use strict";
  const EVENT_COMMANDS = new Set(["plugin:event|listen", "plugin:event|unlisten"]);
  const COMMAND = /^[a-z][a-z0-9_]{0,63}$/;
  const MAX_ARG_BYTES = 1024 * 1024;

  function plainData(value, depth) {
    if (depth > 16) return false;
    if (value === null) return true;
    switch (typeof value) {
      case "string":
      case "boolean":
        return true;
      case "number":
        return Number.isFinite(value);
      case "object":
        if (Array.isArray(value)) return value.every((v) => plainData(v, depth + 1));
        if (Object.getPrototypeOf(value) !== Object.prototype) return false;
        return Object.values(value).every((v) => plainData(v, depth + 1));
      default:
        return false;
    }
  }

  window.__TAURI_ISOLATION_HOOK__ = (payload) => {
    const cmd = payload && payload.cmd;
    if (typeof cmd !== "string" || !(COMMAND.test(cmd) || EVENT_COMMANDS.has(cmd))) {
      throw new Error("Earmark's window may not send " + String(cmd));
    }
    const args = payload.payload === undefined ? {} : payload.payload;
    // Event listeners carry a callback id (a number), which is plain data too.
    if (!plainData(args, 0)) throw new Error("arguments to " + cmd + " are not plain data");
    if (JSON.stringify(args).length > MAX_ARG_BYTES) throw new Error("arguments to " + cmd + " are too large");
    return payload;
  };
})();
