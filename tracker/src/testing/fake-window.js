// A browser window as far as the tracker touches it, for unit tests: beacons
// and fetches are recorded, and the clock and timers move only when the
// test says so.

export function memoryStorage() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  };
}

export function fakeWindow({
  href = "https://shop.example/",
  referrer = "",
  sessionStorage = memoryStorage(),
  navigator = {},
  screenWidth = 1280,
} = {}) {
  const beacons = [];
  const fetches = [];
  const listeners = { window: new Map(), document: new Map() };
  const timers = new Map();
  let nextTimer = 1;
  let clock = 1_700_000_000_000;

  const listen = (target) => (type, fn) => {
    if (!listeners[target].has(type)) listeners[target].set(type, []);
    listeners[target].get(type).push(fn);
  };
  const fire = (target, type) => {
    for (const fn of listeners[target].get(type) ?? []) fn({ type });
  };
  // The browser's side of a navigation; it must work even where a test
  // took the page's location away from the tracker.
  let address = href;
  const moveTo = (url) => {
    if (url === undefined || url === null) return;
    address = new URL(url, address).href;
    if (Object.getOwnPropertyDescriptor(window, "location").value) window.location.href = address;
  };

  const window = {
    location: { href },
    document: { referrer, visibilityState: "visible", addEventListener: listen("document") },
    navigator: {
      sendBeacon(url, body) {
        beacons.push({ url, body });
        return true;
      },
      ...navigator,
    },
    history: {
      pushState: (state, title, url) => moveTo(url),
      replaceState: (state, title, url) => moveTo(url),
    },
    sessionStorage,
    crypto: globalThis.crypto,
    screen: { width: screenWidth },
    fetch(url, init) {
      fetches.push({ url, init });
      return Promise.resolve({});
    },
    setTimeout(fn, ms) {
      const id = nextTimer++;
      timers.set(id, { fn, at: clock + ms });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id),
    addEventListener: listen("window"),
  };

  return {
    window,
    beacons,
    fetches,
    now: () => clock,
    // Moves the clock, running the timers that fall due on the way.
    advance(ms) {
      const until = clock + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        clock = due[1].at;
        due[1].fn();
      }
      clock = until;
    },
    pendingTimers: () => timers.size,
    hide() {
      window.document.visibilityState = "hidden";
      fire("document", "visibilitychange");
    },
    show() {
      window.document.visibilityState = "visible";
      fire("document", "visibilitychange");
    },
    pagehide: () => fire("window", "pagehide"),
    // The back button: the browser changes the address, then says so.
    back(url) {
      moveTo(url);
      fire("window", "popstate");
    },
    // Every event of every beacon, in the order they left.
    sentEvents: () => beacons.flatMap((beacon) => JSON.parse(beacon.body).events),
  };
}
