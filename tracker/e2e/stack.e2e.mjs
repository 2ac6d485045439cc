// The tracker as the gateway serves it (/t.js), in Debian's Chromium, on a
// shop page of its own origin, sending to the real stack's /v1/collect.
// Run by tests/tracker_browser_test.cc, which starts the stack, makes the
// collect key for http://127.0.0.1:<--page-port> and afterwards checks what
// the database holds. This script serves two pages:
//   the shop, on --page-port (the key's origin): page view, add_to_cart,
//     purchase, a custom event, a pushState navigation; every send answered
//     202, and a CORS fetch from the page may read its answer (one more
//     event, named cors_probe);
//   the same shop page on another port (an origin the key was not made for):
//     every send answered 403, and a CORS fetch is blocked (no grant).
//   node e2e/stack.e2e.mjs --gateway URL --key KEY --page-port N
//     [--out DIR] [--chromium PATH] [--timeout-ms N]
// Exits 0 when every check passed; the collect requests seen (and a
// screenshot on failure) are left in --out.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { check, listen, runScenario, stop } from "./harness.mjs";

const { values: args } = parseArgs({
  options: {
    gateway: { type: "string" },
    key: { type: "string" },
    "page-port": { type: "string" },
    out: { type: "string", default: "tracker-stack-e2e" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "timeout-ms": { type: "string", default: "90000" },
  },
});
const ARRIVAL_DEADLINE_MS = 15_000;
// Between tablet (768) and desktop (1024), so the device class is no default.
const SCREEN = { width: 800, height: 1000 };

function step(text) {
  console.log(`[tracker stack e2e] ${text}`);
}

function shopPage(gateway, key) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script defer src="${gateway}/t.js" data-key="${key}"></script>
</head><body>
<h1>Product p1</h1>
<button id="add" onclick="shopstream.track('add_to_cart', {product_id: 'p1'})">Add</button>
<button id="buy" onclick="shopstream.track('purchase', {product_id: 'p1', order_amount: 19.99})">Buy</button>
<button id="wish" onclick="shopstream.track('wishlist_add', {product_id: 'p1', list: 'summer', count: 3})">Wish</button>
<button id="next" onclick="history.pushState({}, '', '/checkout?utm_source=news&secret=x')">Checkout</button>
</body></html>`;
}


// Every collect request the tracker made, with the gateway's status and the
// page it came from. Beacons show Playwright neither their Origin nor the
// answer's headers, so the page is the one open when the request left, and
// the CORS grant is checked by corsProbe() instead.
const sends = [];
let currentPage = "";
let allowed, refused, browser;

function eventsOf(send) {
  try {
    return JSON.parse(send.body).events ?? [];
  } catch {
    return [];
  }
}
const kinds = (list) => list.map((e) => e.event_type ?? e.name);

async function answered(what, predicate) {
  const deadline = Date.now() + ARRIVAL_DEADLINE_MS;
  while (!predicate()) {
    check(Date.now() < deadline, `${what}: not within ${ARRIVAL_DEADLINE_MS} ms; sends ${JSON.stringify(sends)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  step(what);
}

// A CORS fetch of /v1/collect from the page, as a script that wants the
// answer would make it: the browser lets the page read the answer only if
// it grants the page's origin. Sends one custom event, PROBE.
const PROBE = "cors_probe";
function corsProbe(tab) {
  return tab.evaluate(
    async ({ gateway, key, probe }) => {
      try {
        const response = await fetch(`${gateway}/v1/collect?key=${encodeURIComponent(key)}`, {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "content-type": "text/plain" },
          body: JSON.stringify({ events: [{ name: probe, properties: {} }] }),
        });
        return `read ${response.status}`;
      } catch (error) {
        return `blocked (${error.name})`;
      }
    },
    { gateway: args.gateway, key: args.key, probe: PROBE },
  );
}

async function main() {
  check(args.gateway && args.key && args["page-port"], "--gateway, --key and --page-port are required");
  check(existsSync(args.chromium), `${args.chromium} missing: Debian's chromium package (scripts/install-deps.sh)`);
  const page = (req, res) => {
    const path = new URL(req.url, "http://shop").pathname;
    if (path === "/favicon.ico") return res.writeHead(204).end();
    // A shop's strict policy: scripts from itself (the inline handlers of
    // its buttons) and the gateway, connections to the gateway alone.
    res
      .writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": `default-src 'none'; script-src 'unsafe-inline' ${args.gateway}; connect-src ${args.gateway}`,
      })
      .end(shopPage(args.gateway, args.key));
  };
  allowed = await listen(page, Number(args["page-port"]));
  refused = await listen(page);
  const allowedOrigin = `http://127.0.0.1:${allowed.address().port}`;
  const refusedOrigin = `http://127.0.0.1:${refused.address().port}`;

  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: SCREEN, screen: SCREEN });
  const pageOf = new Map();
  context.on("request", (request) => pageOf.set(request, currentPage));
  const record = (request, status) => {
    const body = request.postData() ?? "";
    if (!request.url().includes("/v1/collect") || body.includes(PROBE)) return;
    sends.push({ page: pageOf.get(request), type: request.resourceType(), body, status });
  };
  context.on("response", (response) => record(response.request(), response.status()));
  context.on("requestfailed", (request) => record(request, `failed: ${request.failure()?.errorText}`));
  // A policy violation is reported to the page, not thrown: say it aloud.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const tab = await context.newPage();
  const pageProblems = [];
  tab.on("pageerror", (error) => pageProblems.push(`page error: ${error.message}`));
  // On the key's origin the console stays clean; the other origin's 403s
  // are logged by the browser, as they should be.
  tab.on("console", (message) => {
    if (message.type() === "error" && currentPage === allowedOrigin) {
      pageProblems.push(`console error: ${message.text()}`);
    }
  });

  // The key's origin: everything is taken.
  currentPage = allowedOrigin;
  await tab.goto(`${allowedOrigin}/products/p1`);
  await tab.waitForFunction(() => window.shopstream && window.shopstream.loaded === true);
  step(`user agent: ${await tab.evaluate(() => navigator.userAgent)}`);
  for (const button of ["#add", "#buy", "#wish", "#next"]) await tab.click(button);
  const fromAllowed = () => sends.filter((s) => s.page === allowedOrigin);
  await answered("the shop's five events answered", () => fromAllowed().flatMap(eventsOf).length >= 5);
  for (const send of fromAllowed()) {
    check(send.status === 202, `allowed origin answered ${send.status}: ${JSON.stringify(send)}`);
  }
  // Sorted: answers to separate batches may come back in any order.
  const sent = kinds(fromAllowed().flatMap(eventsOf)).sort();
  check(
    JSON.stringify(sent) === JSON.stringify(["add_to_cart", "page_view", "page_view", "purchase", "wishlist_add"]),
    `events sent: ${sent}`,
  );
  const granted = await corsProbe(tab);
  check(granted === "read 202", `CORS fetch from ${allowedOrigin}: ${granted}`);
  step(`CORS fetch from the key's origin: ${granted}`);

  // Another origin with the same key: refused, whatever it sends.
  currentPage = refusedOrigin;
  await tab.goto(`${refusedOrigin}/blocked`);
  await tab.waitForFunction(() => window.shopstream && window.shopstream.loaded === true);
  await tab.click("#add");
  const fromRefused = () => sends.filter((s) => s.page === refusedOrigin);
  await answered("the other origin's page view and add_to_cart answered", () => {
    const sent = kinds(fromRefused().flatMap(eventsOf));
    return sent.includes("page_view") && sent.includes("add_to_cart");
  });
  for (const send of fromRefused()) {
    check(send.status === 403, `other origin answered ${send.status}: ${JSON.stringify(send)}`);
  }
  // A 403 without a grant: the page may not even read the refusal.
  const denied = await corsProbe(tab);
  check(denied === "blocked (TypeError)", `CORS fetch from ${refusedOrigin}: ${denied}`);
  step(`CORS fetch from another origin: ${denied}`);
  check(pageProblems.length === 0, pageProblems.join("; "));
  step(`${sends.length} sends: 202 from ${allowedOrigin}, 403 from ${refusedOrigin}: PASS`);
}

await runScenario({
  out: args.out,
  timeoutMs: Number(args["timeout-ms"]),
  main,
  browser: () => browser,
  cleanup: async () => {
    writeFileSync(join(args.out, "sends.json"), JSON.stringify(sends, null, 2));
    await Promise.all([stop(allowed), stop(refused)]);
  },
});
