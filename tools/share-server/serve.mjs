// The automerge-repo sync server the share tests talk to: the same parts as
// @automerge/automerge-repo-sync-server (a Repo with the Node WebSocket adapter and file storage,
// announcing nothing: a client asks for a document by its id), but listening on 127.0.0.1 only,
// on the port given (0: any free one, printed as "listening on PORT" once ready).
// Closing its stdin shuts it down.
//
//   node serve.mjs PORT DATA_DIR
import http from "node:http";
import fs from "node:fs";
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";

const [port = "0", dir = ".amrg"] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
const sockets = new WebSocketServer({ noServer: true });
const repo = new Repo({
  network: [new NodeWSServerAdapter(sockets)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "earmark-test-sync-server",
  sharePolicy: async () => false,
});
const server = http.createServer((_req, res) => res.end("automerge-repo sync server\n"));
server.on("upgrade", (req, socket, head) => {
  sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit("connection", ws, req));
});
// The repo hooks its adapter to the socket server only once it has read its storage id; a client
// that came before would be accepted and never answered. So the port opens after that.
const hooked = () => sockets.listenerCount("connection") > 0;
while (!hooked()) await new Promise((r) => setTimeout(r, 10));
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
// The test that started it stops it by closing its stdin: what the repo has not written yet (it
// saves at most every 100 ms) is written first, as a server shut down by its admin would.
process.stdin.on("end", () => {
  repo.flush().finally(() => process.exit(0));
});
process.stdin.resume();
