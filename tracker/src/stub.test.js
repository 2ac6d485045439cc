import assert from "node:assert/strict";
import { test } from "node:test";
import { installApi, replay } from "./stub.js";

// The README's stub, as a page would run it before the script loads.
function pageWithStub() {
  const window = {};
  window.shopstream = window.shopstream || {
    q: [],
    track: function () {
      window.shopstream.q.push(arguments);
    },
  };
  return window;
}

test("calls made before load are handed over, in order, and the stub object becomes the API", () => {
  const window = pageWithStub();
  const stub = window.shopstream;
  const heldByThePage = stub.track;
  stub.track("add_to_cart", { product_id: "p1" });
  stub.track("newsletter_signup", { plan: "pro" });
  const calls = [];
  const queued = installApi(window, (...args) => calls.push(args));
  assert.equal(window.shopstream, stub);
  assert.equal(window.shopstream.loaded, true);
  queued.forEach((call) => replay(window.shopstream.track, call));
  window.shopstream.track("purchase", { order_amount: 1 });
  heldByThePage("late", {}); // the stub's function, kept from before load
  assert.deepEqual(calls, [
    ["add_to_cart", { product_id: "p1" }],
    ["newsletter_signup", { plan: "pro" }],
    ["purchase", { order_amount: 1 }],
    ["late", {}],
  ]);
});

test("without a stub the API is made", () => {
  const window = {};
  assert.deepEqual(installApi(window, () => {}), []);
  assert.equal(typeof window.shopstream.track, "function");
  const overwritten = { shopstream: "something else" };
  assert.deepEqual(installApi(overwritten, () => {}), []);
  assert.equal(typeof overwritten.shopstream.track, "function");
});

test("a second copy of the script takes nothing over", () => {
  const window = {};
  const first = () => {};
  installApi(window, first);
  assert.equal(installApi(window, () => {}), null);
  assert.equal(window.shopstream.track, first);
});

test("queue entries that are not argument lists are skipped", () => {
  assert.doesNotThrow(() => replay(() => {}, 42));
  assert.doesNotThrow(() => replay(() => {}, null));
});
