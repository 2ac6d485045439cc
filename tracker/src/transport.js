// One POST per batch, as text/plain: a content type that needs no CORS
// preflight, so every batch is exactly one request, and one the browser
// still sends while the page unloads.

export function createTransport(navigator, fetch) {
  return function send(url, body) {
    try {
      // false when the browser's beacon quota is used up
      if (navigator.sendBeacon(url, body)) return;
    } catch {
      // no sendBeacon, or a page that replaced it
    }
    try {
      // no-cors: the answer is never read, so the browser needs no CORS
      // headers from the server and logs no CORS error when they are
      // missing; a string body makes it text/plain, which no-cors allows.
      // keepalive lets the request outlive the page, like a beacon.
      fetch(url, { method: "POST", body, keepalive: true, mode: "no-cors", credentials: "omit" })
        .catch(() => {});
    } catch {
      // no fetch either: the batch is lost, the page goes on
    }
  };
}
