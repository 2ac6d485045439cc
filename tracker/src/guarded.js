// The tracker runs inside someone else's shop: nothing it does may throw
// into the page, so every entry point the page or the browser calls goes
// through this.
export function guarded(fn) {
  return function (...args) {
    try {
      return fn.apply(this, args);
    } catch {
      return undefined;
    }
  };
}
