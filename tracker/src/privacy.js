// Do-Not-Track and Global Privacy Control, honoured when the shop asks for
// it (data-respect-dnt). "yes" is what older Firefox versions said.
export function visitorOptedOut(window) {
  const navigator = window.navigator || {};
  if (navigator.globalPrivacyControl === true) return true;
  return [navigator.doNotTrack, window.doNotTrack, navigator.msDoNotTrack]
    .some((value) => value === "1" || value === "yes");
}
