// What the tracker's browser scenarios share: checks, loopback servers, and
// one bounded run that leaves a screenshot on failure and always cleans up.
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

export function check(condition, text) {
  if (!condition) throw new Error(text);
}

// An HTTP server on 127.0.0.1; port 0 takes a free one.
export function listen(handler, port = 0) {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

export function stop(server) {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// Runs `main` within `timeoutMs`, then `cleanup` (artifacts, browser,
// servers) whatever happened, and exits 0 only when `main` passed. On a
// failure the first page of `browser()` is kept as <out>/failure.png.
export async function runScenario({ out, timeoutMs, main, browser, cleanup }) {
  mkdirSync(out, { recursive: true });
  rmSync(join(out, "failure.png"), { force: true });
  let failed = false;
  const overall = setTimeout(() => {
    console.error(`FAIL: timed out after ${timeoutMs} ms`);
    process.exit(1); // the browser goes with its pipe to us
  }, timeoutMs);
  try {
    await main();
  } catch (error) {
    failed = true;
    console.error(`FAIL: ${error.stack ?? error}`);
    try {
      const pages = browser()?.contexts().flatMap((c) => c.pages()) ?? [];
      if (pages[0]) await pages[0].screenshot({ path: join(out, "failure.png") });
    } catch {
      // best effort
    }
  } finally {
    await cleanup();
    await browser()?.close().catch(() => {});
    clearTimeout(overall);
  }
  process.exit(failed ? 1 : 0);
}
