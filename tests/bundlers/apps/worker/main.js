import { browserParams, report } from "./checks.js";

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
report(new Promise((resolve, reject) => {
  worker.onmessage = ({ data }) => (data.ok ? resolve(data.value) : reject(new Error(data.error)));
  worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
  worker.postMessage(browserParams());
}));
