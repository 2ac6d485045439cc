// Events wait a moment so that a page view and the clicks right after it
// leave in one request; a page about to be hidden sends everything at once,
// because timers do not run in a page that is gone.

export const BATCH_DELAY_MS = 1000;
export const MAX_BATCH = 10;

export function createBatcher(send, schedule, cancel) {
  let queue = [];
  let timer = null;
  function flush() {
    if (timer !== null) cancel(timer);
    timer = null;
    while (queue.length) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        send(batch);
      } catch {
        // a lost batch must not keep the next one from leaving
      }
    }
  }
  // now: send without waiting (the page is hidden already).
  function add(event, now) {
    queue.push(event);
    if (now || queue.length >= MAX_BATCH) flush();
    else if (timer === null) timer = schedule(flush, BATCH_DELAY_MS);
  }
  return { add, flush };
}
