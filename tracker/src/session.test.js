import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStorage } from "./testing/fake-window.js";
import { SESSION_IDLE_MS, STORAGE_KEY, createSessions, randomSessionId } from "./session.js";

const landing = new URL("https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=spring");
const later = new URL("https://shop.example/cart?utm_source=other");

function clock() {
  let time = 1_700_000_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function sessions({ storage = memoryStorage(), time = clock(), pageSessionId } = {}) {
  let made = 0;
  const current = createSessions(() => storage, time.now, () => `id-${++made}`, pageSessionId);
  return { current, storage, time };
}

test("one session while events keep coming, however long the visit", () => {
  const { current, time } = sessions();
  const first = current(landing).id;
  for (let i = 0; i < 10; i++) {
    time.advance(SESSION_IDLE_MS - 1);
    assert.equal(current(later).id, first);
  }
});

test("a new session after 30 minutes without an event", () => {
  const { current, time } = sessions();
  const first = current(landing).id;
  time.advance(SESSION_IDLE_MS);
  assert.equal(current(later).id, first, "exactly 30 minutes is still the same session");
  time.advance(SESSION_IDLE_MS + 1);
  assert.notEqual(current(later).id, first);
});

test("the session survives a reload of the page (same tab storage)", () => {
  const storage = memoryStorage();
  const time = clock();
  const before = sessions({ storage, time }).current(landing).id;
  time.advance(60_000);
  const afterReload = createSessions(() => storage, time.now, () => "fresh", undefined);
  assert.equal(afterReload(later).id, before);
});

test("the landing page's campaign stays for the session; a new session takes its own", () => {
  const { current, time } = sessions();
  const expected = { utm_source: "news", utm_medium: "email", utm_campaign: "spring" };
  assert.deepEqual(current(landing).campaign, expected);
  time.advance(1000);
  assert.deepEqual(current(later).campaign, expected);
  time.advance(SESSION_IDLE_MS + 1);
  assert.deepEqual(current(later).campaign, { utm_source: "other" });
});

test("the page's own session id replaces ours and never expires on our clock", () => {
  const { current, time } = sessions({ pageSessionId: "shop-session-7" });
  assert.equal(current(landing).id, "shop-session-7");
  time.advance(10 * SESSION_IDLE_MS);
  const session = current(later);
  assert.equal(session.id, "shop-session-7");
  assert.equal(session.campaign.utm_campaign, "spring");
});

test("a different page session id starts a session with the current campaign", () => {
  const storage = memoryStorage();
  sessions({ storage, pageSessionId: "one" }).current(landing);
  const next = sessions({ storage, pageSessionId: "two" }).current(later);
  assert.deepEqual(next, { id: "two", campaign: { utm_source: "other" }, seen: next.seen });
});

test("without usable storage the page keeps one session in memory", () => {
  const time = clock();
  const blocked = () => {
    throw new Error("SecurityError: storage is blocked");
  };
  const current = createSessions(blocked, time.now, () => randomSessionId(globalThis.crypto), undefined);
  const first = current(landing).id;
  time.advance(1000);
  assert.equal(current(later).id, first);
  time.advance(SESSION_IDLE_MS + 1);
  assert.notEqual(current(later).id, first);
});

test("a damaged stored session is replaced", () => {
  const storage = memoryStorage();
  storage.setItem(STORAGE_KEY, "{not json");
  assert.equal(sessions({ storage }).current(landing).id, "id-1");
  storage.setItem(STORAGE_KEY, JSON.stringify({ id: 42 }));
  assert.equal(sessions({ storage }).current(landing).id, "id-1");
});

test("only the session is stored, under one key", () => {
  const { current, storage } = sessions();
  current(landing);
  assert.deepEqual([...storage.items.keys()], [STORAGE_KEY]);
});

test("session ids are 128 random bits in hex", () => {
  const ids = new Set(Array.from({ length: 100 }, () => randomSessionId(globalThis.crypto)));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});
