// Starts Vite's dev server on the project it is copied into, with Vite's defaults (only the
// address is chosen: a free loopback port), and prints the address the way
// tests/support/server-process.mjs waits for.
import { createServer } from "vite";

const server = await createServer({ server: { host: "127.0.0.1", port: 0 } });
await server.listen();
console.log(`vite dev server listening on ${server.resolvedUrls.local[0]}`);
