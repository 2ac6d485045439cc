import assert from "node:assert/strict";
import { test } from "node:test";
import { BATCH_DELAY_MS, MAX_BATCH, createBatcher } from "./batcher.js";

// A batcher whose timer the test fires by hand.
function batcher(send = () => {}) {
  const sent = [];
  let timer = null;
  const b = createBatcher(
    (batch) => {
      sent.push(batch);
      send(batch);
    },
    (fn, ms) => {
      assert.equal(ms, BATCH_DELAY_MS);
      timer = fn;
      return "timer";
    },
    (id) => {
      assert.equal(id, "timer");
      timer = null;
    },
  );
  return { ...b, sent, fireTimer: () => timer && timer(), timerPending: () => timer !== null };
}

test("events close together leave in one request, when the timer fires", () => {
  const b = batcher();
  b.add("view");
  b.add("cart");
  assert.deepEqual(b.sent, []);
  b.fireTimer();
  assert.deepEqual(b.sent, [["view", "cart"]]);
});

test("a full batch leaves at once", () => {
  const b = batcher();
  for (let i = 0; i < MAX_BATCH; i++) b.add(i);
  assert.equal(b.sent.length, 1);
  assert.equal(b.sent[0].length, MAX_BATCH);
  assert.equal(b.timerPending(), false);
});

test("flush sends everything queued, in batches, and the timer is cancelled", () => {
  const b = batcher();
  for (let i = 0; i < MAX_BATCH - 1; i++) b.add(i);
  b.flush();
  b.add("last");
  b.flush();
  assert.deepEqual(b.sent.map((batch) => batch.length), [MAX_BATCH - 1, 1]);
  assert.equal(b.timerPending(), false);
  b.fireTimer();
  assert.equal(b.sent.length, 2, "nothing left for a late timer");
});

test("an event added with now leaves with whatever waited", () => {
  const b = batcher();
  b.add("view");
  b.add("purchase", true);
  assert.deepEqual(b.sent, [["view", "purchase"]]);
});

test("a failing send loses its batch only", () => {
  let calls = 0;
  const b = batcher(() => {
    if (++calls === 1) throw new Error("network");
  });
  b.add("first");
  b.flush();
  b.add("second");
  b.flush();
  assert.deepEqual(b.sent, [["first"], ["second"]]);
});

test("nothing queued, nothing sent", () => {
  const b = batcher();
  b.flush();
  assert.deepEqual(b.sent, []);
});
