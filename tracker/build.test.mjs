// What ships: dist/t.js as build.mjs makes it, measured and run as a
// browser would run it, with nothing but the globals a page has.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import vm from "node:vm";
import { bundle, gzippedSize } from "./build.mjs";
import { fakeWindow } from "./src/testing/fake-window.js";

const BUDGET_GZIPPED_BYTES = 2048;
let code;

before(async () => {
  code = new TextDecoder().decode(await bundle());
});

test(`t.js stays under ${BUDGET_GZIPPED_BYTES} bytes gzipped`, () => {
  const size = gzippedSize(code);
  assert.ok(size <= BUDGET_GZIPPED_BYTES, `t.js is ${size} bytes gzipped`);
});

// A vm context has the language's built-ins only; the page's (URL, the
// DOM, storage) come from the fake window, so a dependency on anything
// else would fail here.
function runInPage(globals) {
  const context = vm.createContext({ URL, URLSearchParams, ...globals });
  context.window = context;
  vm.runInContext(code, context);
  return context;
}

function tag(attributes) {
  return {
    src: "https://gateway.example/t.js",
    getAttribute: (name) => attributes[name] ?? null,
  };
}

test("t.js is one script that starts from its own tag and sends a page view", () => {
  const fake = fakeWindow({ href: "https://shop.example/products/1", referrer: "https://search.example/" });
  const page = runInPage({
    ...fake.window,
    document: { ...fake.window.document, currentScript: tag({ "data-key": "ck_1" }) },
  });
  assert.equal(typeof page.shopstream.track, "function");
  page.shopstream.track("add_to_cart", { product_id: "prod-1" });
  fake.pagehide();
  assert.equal(fake.beacons[0].url, "https://gateway.example/v1/collect?key=ck_1");
  assert.deepEqual(fake.sentEvents().map((e) => e.event_type), ["page_view", "add_to_cart"]);
});

test("t.js does nothing, and throws nothing, without a key or outside a page", () => {
  const fake = fakeWindow();
  const withoutKey = runInPage({ ...fake.window, document: { ...fake.window.document, currentScript: tag({}) } });
  assert.equal(withoutKey.shopstream, undefined);
  assert.doesNotThrow(() => runInPage({}));
  assert.doesNotThrow(() => runInPage({ document: { currentScript: null, querySelector: () => null } }));
});
