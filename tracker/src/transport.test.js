import assert from "node:assert/strict";
import { test } from "node:test";
import { createTransport } from "./transport.js";

const url = "https://collect.example/v1/collect?key=k";
const body = '{"events":[]}';

function recordingFetch(result = Promise.resolve({})) {
  const calls = [];
  const fetch = (...args) => {
    calls.push(args);
    return typeof result === "function" ? result() : result;
  };
  return { fetch, calls };
}

test("a beacon the browser accepts is all that is sent", () => {
  const beacons = [];
  const { fetch, calls } = recordingFetch();
  createTransport({ sendBeacon: (...args) => beacons.push(args) > 0 }, fetch)(url, body);
  assert.deepEqual(beacons, [[url, body]]);
  assert.deepEqual(calls, []);
});

test("fetch takes over when the beacon is refused, missing or throws", () => {
  const navigators = [
    { sendBeacon: () => false },
    {},
    {
      sendBeacon() {
        throw new TypeError("Illegal invocation");
      },
    },
  ];
  for (const navigator of navigators) {
    const { fetch, calls } = recordingFetch();
    createTransport(navigator, fetch)(url, body);
    assert.deepEqual(calls, [
      [url, { method: "POST", body, keepalive: true, mode: "no-cors", credentials: "omit" }],
    ]);
  }
});

test("with neither beacon nor fetch the batch is dropped quietly", () => {
  assert.doesNotThrow(() => createTransport({}, undefined)(url, body));
  assert.doesNotThrow(() =>
    createTransport({}, () => {
      throw new Error("blocked by an extension");
    })(url, body));
  assert.doesNotThrow(() => createTransport(undefined, () => "not a promise")(url, body));
});

test("a failed fetch leaves no unhandled rejection in the page", async () => {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const { fetch } = recordingFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    createTransport({}, fetch)(url, body);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});
