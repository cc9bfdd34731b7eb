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

export default function () {
  nameStepButtons();
}
