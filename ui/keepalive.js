// Keep-alive for jobs a page started but does not draw (a Change-one-knob group started from the Playground): the
// job manager stops a session's jobs when nothing contacts it for a while, and the page's live charts poll only
// the page's own run (and stop once it ends). While this page is open it says so every `every` ms for each token
// ("visible", or "hidden" in a background tab, which the server then allows its slower timer wakes), and a page
// that goes away says "closed" with a beacon, as a single run's page does (ui/live.js).
export default function (component) {
  const { data, parentElement } = component;
  const st = parentElement.__nnKeep || (parentElement.__nnKeep = {});
  clearInterval(st.timer);
  if (st.onPageHide) window.removeEventListener("pagehide", st.onPageHide);
  const urls = (data.tokens || []).map((t) => `${data.prefix}/page/${encodeURIComponent(t)}`);
  const say = () => {
    const page = document.visibilityState === "hidden" ? "hidden" : "visible";
    for (const url of urls) fetch(`${url}?page=${page}`, { method: "POST", cache: "no-store" }).catch(() => {});
  };
  st.onPageHide = () => { for (const url of urls) navigator.sendBeacon(`${url}?page=closed`); };
  if (urls.length) {
    say();
    st.timer = setInterval(say, data.every);
    window.addEventListener("pagehide", st.onPageHide);
  }
  return () => {
    clearInterval(st.timer);
    window.removeEventListener("pagehide", st.onPageHide);
  };
}
