// Earmark's isolation application (Tauri's isolation pattern): every message the window sends to
// the backend passes through this hook, in a frame of its own that the window's scripts cannot
// reach, before Tauri encrypts it. It lets through only Earmark's own commands, each with only the
// arguments the window passes it (by name) and those plain data, and event listening; anything
// else is dropped here, so a script that got into the page still cannot call what the app never
// calls, or smuggle an argument a command was never given.
(function () {
  "use strict";
  const EVENT_COMMANDS = new Set(["plugin:event|listen", "plugin:event|unlisten"]);
  // Each command the window calls and the names of the arguments it passes, as in
  // ui/src/backend.ts; src-tauri/tests/ipc_surface.rs fails when the two differ.
  const COMMAND_ARGS = new Map([
    ["add_bookmark", ["bookmark"]],
    ["add_pages", ["campaign", "urls"]],
    ["add_source", ["campaign", "url"]],
    ["archive_images", ["source"]],
    ["bookmark_window", ["filter", "limit", "offset"]],
    ["collection_move", ["id", "member", "to"]],
    ["collection_remove", ["id", "member"]],
    ["collection_view", ["id"]],
    ["create_playlist", ["name", "rule"]],
    ["decide_link", ["decision", "doc", "episode"]],
    ["delete_bookmark", ["id"]],
    ["delete_download", ["id"]],
    ["document_links", ["id"]],
    ["document_window", ["campaign", "limit", "offset"]],
    ["download_episodes", ["ids"]],
    ["edit_bookmark", ["edit", "id"]],
    ["edit_playlist", ["edit", "id"]],
    ["edit_tags", ["add", "on", "remove"]],
    ["episode_chapters", ["id"]],
    ["episode_links", ["id"]],
    ["episode_transcript", ["id"]],
    ["episode_video", ["id"]],
    ["episode_waveform", ["id"]],
    ["even_loudness", []],
    ["export_bookmarks", ["format"]],
    ["export_clip", ["bookmark", "format"]],
    ["get_document", ["id"]],
    ["get_episode", ["id"]],
    ["import_local", ["name", "paths", "reference"]],
    ["item_tags", ["on"]],
    ["library_info", []],
    ["list_bookmarks", ["filter"]],
    ["list_collections", []],
    ["list_documents", ["campaign"]],
    ["list_downloads", []],
    ["list_episodes", ["limit", "offlineOnly", "offset", "podcastId"]],
    ["list_playlists", []],
    ["list_sources", []],
    ["list_podcasts", []],
    ["listening_stats", []],
    ["open_link", ["url"]],
    ["pause_download", ["id"]],
    ["play_episode", ["id", "paused", "playlist", "startSecs"]],
    ["player_command", ["command"]],
    ["playlist_episodes", ["id"]],
    ["podcast_sound", ["podcastId"]],
    ["queue_edit", ["edit"]],
    ["queue_list", []],
    ["refresh_all", []],
    ["relink_all", []],
    ["review_queue", ["limit"]],
    ["search", ["query"]],
    ["set_auto_download", ["podcastId", "policy"]],
    ["set_even_loudness", ["on"]],
    ["set_played", ["id", "played"]],
    ["set_podcast_sound", ["podcastId", "sound"]],
    ["set_remote_images", ["on", "owner"]],
    ["set_skip_lengths", ["backSecs", "forwardSecs"]],
    ["share_leave", []],
    ["share_now", []],
    ["share_create", ["folder", "name", "person"]],
    ["share_join", ["folder", "person"]],
    ["share_status", []],
    ["skip_lengths", []],
    ["startup_link", []],
    ["storage", []],
    ["subscribe", ["input"]],
    ["subscribe_default", []],
    ["sync_login", ["login"]],
    ["sync_logout", []],
    ["sync_now", []],
    ["sync_status", []],
    ["waveform_range", ["end", "id", "n", "start"]],
  ]);
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
    if (typeof cmd !== "string" || !(COMMAND_ARGS.has(cmd) || EVENT_COMMANDS.has(cmd))) {
      throw new Error("Earmark's window may not send " + String(cmd));
    }
    const args = payload.payload === undefined ? {} : payload.payload;
    if (COMMAND_ARGS.has(cmd)) {
      if (args === null || typeof args !== "object" || Array.isArray(args)) {
        throw new Error("arguments to " + cmd + " are not named");
      }
      const allowed = COMMAND_ARGS.get(cmd);
      for (const name of Object.keys(args)) {
        if (!allowed.includes(name)) throw new Error(cmd + " takes no argument " + name);
      }
    }
    // Event listeners carry a callback id (a number), which is plain data too.
    if (!plainData(args, 0)) throw new Error("arguments to " + cmd + " are not plain data");
    if (JSON.stringify(args).length > MAX_ARG_BYTES) throw new Error("arguments to " + cmd + " are too large");
    return payload;
  };
})();
