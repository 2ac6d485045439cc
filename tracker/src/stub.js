// The page may call shopstream.track before this deferred script has run,
// through the stub of the README:
//   window.shopstream = window.shopstream || {q: [], track: function () {
//     window.shopstream.q.push(arguments); }};
// installApi makes the same object the real API, so references the page
// already holds keep working, and returns the calls queued so far; null
// when a copy of the script already runs on this page (the tag twice),
// which must not count every page view twice.
export function installApi(window, track) {
  let api = window.shopstream;
  if (Object(api) !== api) api = {}; // absent, or a value no one can extend
  if (api.loaded === true) return null;
  const queued = api.q && typeof api.q.length === "number" ? Array.from(api.q) : [];
  api.track = track;
  // A stub's track function captured before load still pushes here.
  api.q = { push: (...calls) => calls.forEach((call) => replay(track, call)) };
  api.loaded = true;
  window.shopstream = api;
  return queued;
}

// call: the arguments of one track call, an array or an arguments object.
export function replay(track, call) {
  try {
    track.apply(null, call);
  } catch {
    // not a list of arguments: nothing to replay
  }
}
