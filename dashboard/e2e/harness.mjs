// What both dashboard browser scripts need around their checks: a bound on
// the whole run that closes the browser it started, progress lines, and
// checks that fail the run.

// Ends the process with a failure after `timeoutMs`, closing whatever
// browser `currentBrowser()` returns then. Returns the timer, to clear.
export function boundRun(timeoutMs, currentBrowser) {
  return setTimeout(async () => {
    console.error(`FAIL: timed out after ${timeoutMs} ms`);
    await currentBrowser()?.close().catch(() => {});
    process.exit(1);
  }, Number(timeoutMs));
}

export function stepLogger(name) {
  return (text) => console.log(`[${name}] ${text}`);
}

export function check(condition, text) {
  if (!condition) throw new Error(text);
}
