// Page-wide aids every page mounts once (ui/page_aids.py), not only pages with live charts: the labs' number
// inputs had the same nameless buttons.
// Streamlit names every number input's -/+ buttons "Decrement" / "Increment", whatever the field: a screen reader
// lists a dozen identical buttons. Once per window this names each pair after its field ("Decrease Epochs",
// "Increase Epochs") as number inputs appear (tab switches, reruns) and again should Streamlit reset the name.
const STEP_VERBS = [["stNumberInputStepDown", "Decrease"], ["stNumberInputStepUp", "Increase"]];

function nameStepButtons() {
  if (window.__nnStepNames) return;
  window.__nnStepNames = true;
  let queued = false;
  const nameAll = () => {
    queued = false;
    for (const box of document.querySelectorAll("[data-testid=stNumberInputContainer]")) {
      const field = box.querySelector("input");
      const label = field && field.getAttribute("aria-label");
      if (!label) continue;
      for (const [id, verb] of STEP_VERBS) {
        const button = box.querySelector(`[data-testid=${id}]`), name = `${verb} ${label}`;
        if (button && button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
      }
    }
  };
  nameAll();
  new MutationObserver((changes) => {
    // the live charts redraw many times a second: their own changes never add a number input
    if (queued || changes.every((c) => c.target.closest && c.target.closest(".nnlive"))) return;
    queued = true;
    requestAnimationFrame(nameAll);
  }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
}

// A link may name the part of the page it is about (?focus=<widget key>, nnlib.course_map.Concept.focus): the
// course map's "Softmax" opened the Losses lab two screens above the softmax part. Once per page load this scrolls
// that widget into view, again while the charts above it still render and push it down, and stops for good as
// soon as the student scrolls, types or clicks, or after a few seconds.
function landOnFocus() {
  const want = new URLSearchParams(window.location.search).get("focus");
  const marker = `${window.location.pathname}?${want}`;
  if (!want || window.__nnFocused === marker) return;
  window.__nnFocused = marker;
  const selector = `.st-key-${want.replace(/[^a-zA-Z0-9_-]/g, "-")}`;  // Streamlit's class for a keyed element
  let stop = false;
  for (const ev of ["wheel", "touchstart", "keydown", "mousedown"])
    window.addEventListener(ev, () => { stop = true; }, { once: true, capture: true });
  const until = Date.now() + 8000;
  const tick = () => {
    if (stop || Date.now() > until) return;
    const el = document.querySelector(selector);
    const box = el && el.getBoundingClientRect();
    if (box && Math.abs(box.top + box.height / 2 - window.innerHeight / 2) > 8) el.scrollIntoView({ block: "center" });
    setTimeout(tick, 250);
  };
  tick();
}

export default function () {
  nameStepButtons();
  landOnFocus();
}
