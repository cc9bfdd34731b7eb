// Live charts: draw the figures the page built, then poll /nnlive/snap/<job> and patch traces in place.
const CONFIG = { displayModeBar: false, responsive: true };
const FINAL = ["finished", "stopped", "failed"];
const FIRST_WAIT_MS = 300;  // how long a starting run's charts wait for the first snapshot before drawing without it
const FRAME_BUDGET_MS = 40;  // chart drawing per animation frame before the rest waits for the next frame

// The run bar's tooltips (Train, Pause, Step, ...) open above their button, which is where the page title is: they
// covered it. Streamlit does not let a button choose where its tooltip goes, so once per window this moves every run
// bar tooltip into the free part of the title row, right of the title's text (bottom-aligned with it, growing
// upwards into the page's top margin), where it covers nothing. Where that part is too narrow it stays as it was.
// The position is set through CSS variables and a class (.nn-docked in live.css, !important), because the tooltip
// library keeps writing its own transform.
function dockRunBarTips() {
  if (window.__nnTipDock) return;
  window.__nnTipDock = true;
  const place = (box) => {
    const button = document.querySelector('[class*="-runbar"] button:hover');
    const title = document.querySelector("[data-testid=stMain] h3");
    const text = title && (title.querySelector("[data-heading-text]") || title);  // not its hidden link icon
    if (!button || !text) return;
    const words = document.createRange();
    words.selectNodeContents(text);
    const line = words.getBoundingClientRect();
    const tip = box.getBoundingClientRect();
    const left = Math.max(line.right + 24, button.getBoundingClientRect().left);
    if (left + tip.width > window.innerWidth - 8) return;  // no room beside the title: leave it where it was
    const header = document.querySelector('[data-testid=stHeader]');
    const top = Math.max(header ? header.getBoundingClientRect().bottom : 0, line.bottom - tip.height);
    box.style.setProperty("--nn-tip-x", `${Math.round(left)}px`);
    box.style.setProperty("--nn-tip-y", `${Math.round(top)}px`);
    box.classList.add("nn-docked");
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        const content = node.nodeType === Node.ELEMENT_NODE &&
          (node.matches("[data-testid=stTooltipContent]") ? node : node.querySelector("[data-testid=stTooltipContent]"));
        if (content && content.parentElement) requestAnimationFrame(() => place(content.parentElement));
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__nnPlotly) {
    window.__nnPlotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { window.__nnPlotly = null; reject(new Error("could not load plotly.js")); };
      document.head.appendChild(s);
    });
  }
  return window.__nnPlotly;
}

const TYPES = { f4: Float32Array, f8: Float64Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array, u4: Uint32Array, i4: Int32Array };

function toArray(v) {
  // plotly.js typed-array spec {dtype, bdata} -> plain array (extendable); arrays pass through
  if (v && typeof v === "object" && v.bdata !== undefined) {
    const bytes = Uint8Array.from(atob(v.bdata), (c) => c.charCodeAt(0));
    return Array.from(new TYPES[v.dtype](bytes.buffer));
  }
  return v || [];
}

function fmt(v, digits) {
  return v === null || v === undefined ? "–" : Number(v).toFixed(digits);
}

// "about 40 s" / "about 3 min" for a queued job's expected wait (counted down between answers)
function aboutTime(seconds) {
  const s = Math.max(1, Math.round(seconds));
  return s < 90 ? `about ${s} s` : `about ${Math.round(s / 60)} min`;
}

// a small net's first epochs take milliseconds: "0.0 s" read as if nothing had trained (ui.run_controls.training_time)
function trainingTime(seconds) {
  const s = Number(seconds) || 0;
  return s >= 0.1 ? `${s.toFixed(1)} s` : `${Math.round(1000 * s)} ms`;
}

function statusLine(info) {
  const parts = [];
  if (info.status === "queued") {
    const where = [];
    if (info.queue) where.push(`position ${info.queue} in the queue`);
    if (info.wait_s !== null && info.wait_s !== undefined) where.push(aboutTime(info.wait_s));
    parts.push(`Waiting for a free worker${where.length ? ` (${where.join(", ")})` : ""}…`);
  } else {
    // "until I pause" has no goal, only a limit (the server's or the class's): ui.run_controls.run_state says it so
    const limit = info.epochs && !FINAL.includes(info.status) ? ` (until you pause; limit ${Number(info.epochs).toLocaleString("en-US")})` : "";
    parts.push(info.until_paused ? `<b>Epoch ${info.epoch}</b>${limit}` : `<b>Epoch ${info.epoch} / ${info.epochs}</b>`);
    parts.push(info.stage ? escapeHtml(info.stage) : `${trainingTime(info.elapsed)} of training`);  // ui.status_line.stage
    if (info.train_loss !== null && info.train_loss !== undefined) parts.push(`train loss ${fmt(info.train_loss, 4)}`);
    if (info.val_loss !== null && info.val_loss !== undefined) parts.push(`validation loss ${fmt(info.val_loss, 4)}`);
    if (info.val_accuracy !== null && info.val_accuracy !== undefined)
      parts.push(`validation accuracy ${fmt(100 * info.val_accuracy, 1)}%`);
    if (info.val_rmse !== null && info.val_rmse !== undefined) parts.push(`validation RMSE ${fmt(info.val_rmse, 4)}`);
    if (info.zero_weights) parts.push(`${info.zero_weights.toLocaleString("en-US")} weight${info.zero_weights === 1 ? "" : "s"} at exactly 0 (L1)`);  // nnlib.words.count
    const said = FINAL.includes(info.status) && info.reason ? String(info.reason) : "";
    // a reason that already says the status ("stopped by your teacher") is the status: not "stopped · stopped by"
    const label = said.startsWith(info.status) ? escapeHtml(said) : info.status;
    parts.push(`<span class="nn-state nn-${info.status}">${label}</span>`);
    if (said && !said.startsWith(info.status)) parts.push(escapeHtml(said));
    else if (info.until_paused && info.status === "running") parts.push("runs until you pause or stop");
  }
  return parts.join(" · ");
}

// ui.curve_style.whole_epochs, as curves grow: an axis titled "epoch" ticks every epoch while its curves span at
// most 10 epochs (plotly's own ticks there are 1.5, 2.5), plotly's ticks beyond
function wholeEpochs(fig) {
  for (const [name, axis] of Object.entries(fig.layout)) {
    if (!name.startsWith("xaxis") || !axis || !axis.title || axis.title.text !== "epoch") continue;
    const ref = `x${name.slice(5)}`;
    let lo = Infinity, hi = -Infinity;
    for (const t of fig.data) {
      if ((t.xaxis || "x") !== ref) continue;
      if (!Array.isArray(t.x)) t.x = toArray(t.x);  // decoded once (as a patch's extend does)
      const first = t.x.find(Number.isFinite), last = t.x.findLast(Number.isFinite);  // epochs ascend
      if (first !== undefined) { lo = Math.min(lo, first); hi = Math.max(hi, last); }
    }
    const whole = hi >= lo && hi - lo <= 10;
    axis.tickmode = whole ? "linear" : "auto";
    if (whole) Object.assign(axis, { tick0: 0, dtick: 1 }); else { delete axis.tick0; delete axis.dtick; }
  }
}

function escapeHtml(text) {
  const d = document.createElement("div");
  d.textContent = String(text);
  return d.innerHTML;
}

// How full the progress bar is: a finished run is full; a stopped or failed one shows where it ended; a run
// "until I pause" has no end to measure against, so its bar is full and striped while it runs.
function progress(info) {
  const epochs = info.epochs || 0;
  if (info.status === "finished" || (info.until_paused && info.status !== "queued")) return 1;
  return epochs ? Math.min(1, (info.epoch || 0) / epochs) : 0;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  dockRunBarTips();
  const root = parentElement.querySelector(".nnlive") || parentElement;
  const st = root.__nn || (root.__nn = { timer: null, gen: 0 });
  st.gen += 1;
  const gen = st.gen;
  clearTimeout(st.timer);

  const sig = JSON.stringify(data.rows);
  if (st.sig !== sig) {
    root.innerHTML = "";
    st.bar = document.createElement("div");
    st.bar.className = "nn-status";
    st.bar.innerHTML = '<div class="nn-progress"><div class="nn-fill"></div></div><div class="nn-text"></div>';
    root.appendChild(st.bar);
    st.divs = {};
    for (const row of data.rows) {
      const r = document.createElement("div");
      r.className = "nn-row";
      for (const id of row) {
        const d = document.createElement("div");
        d.className = "nn-fig";
        d.dataset.fig = id;
        r.appendChild(d);
        st.divs[id] = d;
      }
      root.appendChild(r);
    }
    st.sig = sig;
  }
  st.figs = JSON.parse(JSON.stringify(data.figures));
  st.seq = data.seq;
  st.status = data.status;
  st.queue = 0;  // the first poll always hears where a queued job stands
  st.fresh = true;  // and the first poll asks for the current state: a paused job has no news to end a held poll
  st.pending = new Set();  // charts merged but not drawn yet
  root.dataset.seq = String(st.seq);
  root.dataset.status = st.status;
  st.bar.style.display = data.active ? "" : "none";

  // a page that goes away (closed, reloaded, left) says so with a beacon, so the server stops its job within seconds
  // instead of waiting for its polls to stop; a background tab says "hidden" in every poll (the browser then wakes
  // its timers only about once a minute, and the server must not take the thinned-out polls for a closed page)
  const pageUrl = data.url ? data.url.replace("/snap/", "/page/") : null;
  if (st.onPageHide) window.removeEventListener("pagehide", st.onPageHide);
  st.onPageHide = null;
  if (data.active && pageUrl) {
    st.onPageHide = () => { if (!FINAL.includes(st.status)) navigator.sendBeacon(`${pageUrl}?page=closed`); };
    window.addEventListener("pagehide", st.onPageHide);
  }

  // each figure's own draw time and draws go to window.__nnLiveDrawByFig / __nnLiveChartDraws (per chart)
  const byFig = window.__nnLiveDrawByFig || (window.__nnLiveDrawByFig = {});
  const draws = window.__nnLiveChartDraws || (window.__nnLiveChartDraws = {});
  // draw `ids` in order until `budget` ms are spent (at least one); returns the ids left for the next frame
  const draw = (P, ids, budget = Infinity) => {
    const start = performance.now();
    for (let i = 0; i < ids.length; i++) {
      if (i > 0 && performance.now() - start >= budget) return ids.slice(i);
      const id = ids[i];
      const fig = st.figs[id];
      if (!fig || !st.divs[id]) continue;
      const t0 = performance.now();
      const height = `${fig.layout.height || 300}px`;
      if (st.divs[id].style.height !== height) st.divs[id].style.height = height;  // no layout pass if unchanged
      fig.layout.datarevision = st.seq;
      wholeEpochs(fig);
      P.react(st.divs[id], fig.data, fig.layout, CONFIG);
      byFig[id] = (byFig[id] || 0) + (performance.now() - t0);
      draws[id] = (draws[id] || 0) + 1;
    }
    return [];
  };

  // merge a message into the figures (cheap) and return the ids to redraw; the caller sends the next poll first,
  // so the request travels while the browser draws
  const merge = (msg) => {
    // heavy pictures go round: where the round continues, and how many of this snapshot's are still to come
    st.next = msg.sweep ? msg.sweep.next : 0;
    st.left = msg.sweep ? msg.sweep.left : 0;
    st.seq = msg.seq;
    st.status = msg.status;
    root.dataset.seq = String(msg.seq);
    root.dataset.status = msg.status;
    const info = msg.info || {};
    st.queue = msg.status === "queued" ? info.queue || 0 : 0;
    root.dataset.queue = String(st.queue);
    root.dataset.wait = info.wait_s === null || info.wait_s === undefined ? "" : String(info.wait_s);
    root.dataset.epoch = String(info.epoch || 0);
    info.status = msg.status;
    st.info = info;
    st.infoAt = performance.now();
    st.bar.querySelector(".nn-text").innerHTML = statusLine(info);
    const fill = st.bar.querySelector(".nn-fill");
    fill.style.width = `${(100 * progress(info)).toFixed(1)}%`;
    fill.className = `nn-fill nn-fill-${msg.status}${info.until_paused ? " nn-open" : ""}`;
    const changed = [];
    for (const [id, patch] of Object.entries(msg.patches || {})) {
      const fig = st.figs[id];
      if (!fig) continue;
      for (const [idx, values] of Object.entries(patch)) {
        const trace = fig.data[idx];
        if (!trace) continue;
        if (values.extend) {
          const { x, y, extend, ...shown } = values;  // shown: mode, showlegend, visible (ui.curve_style.as_drawn)
          trace.x = toArray(trace.x).concat(toArray(x));
          trace.y = toArray(trace.y).concat(toArray(y));
          Object.assign(trace, shown);
        } else {
          Object.assign(trace, values);
        }
      }
      changed.push(id);
    }
    return changed;
  };

  const show = (P, changed, budget = Infinity) => {
    const t0 = performance.now();
    const timing = window.__nnLiveTiming;
    const first = timing && timing.url === data.url && !timing.epoch && Number(root.dataset.epoch || 0) > 0;
    const left = st.drawn ? draw(P, changed, budget) : draw(P, Object.keys(st.figs));
    st.drawn = true;
    if (first) Object.assign(timing, { epoch: t0, drawn: performance.now() });
    window.__nnLiveUpdates = (window.__nnLiveUpdates || 0) + 1;  // view updates (frames that drew charts)
    window.__nnLiveDrawMs = (window.__nnLiveDrawMs || 0) + (performance.now() - t0);
    return left;
  };

  // draw at most once per animation frame, and at most ~FRAME_BUDGET_MS of charts in one: answers that land
  // between two frames are merged first; charts a busy frame could not draw go first in the next one (round
  // robin), so a slow machine keeps the page responsive (Pause is not stuck behind a long draw) and the status
  // line current; a hidden tab draws nothing until it is shown again
  const schedule = (P, changed) => {
    st.pending = st.pending || new Set();
    for (const id of changed) st.pending.add(id);
    if (st.frame || !st.pending.size) return;
    st.frame = requestAnimationFrame(() => {
      st.frame = null;
      if (gen !== st.gen) return;
      const left = show(P, [...st.pending], FRAME_BUDGET_MS);
      st.pending = new Set(left);
      if (left.length) schedule(P, []);
    });
  };

  const poll = (P) => {
    if (gen !== st.gen) return;
    const lx = st.figs.loss && st.figs.loss.data[0] ? toArray(st.figs.loss.data[0].x) : [];
    const have = lx.length ? lx[lx.length - 1] : 0;  // the last epoch this browser has
    const q = new URLSearchParams({ seq: String(st.fresh ? -1 : st.seq), status: st.status, kind: data.kind, have: String(have),
                                    turn: String(st.next || 0), left: String(st.left || 0), ...data.opts });
    if (st.queue) q.set("queue", String(st.queue));  // the position this page shows: a change of it is news
    q.set("page", document.visibilityState === "hidden" ? "hidden" : "visible");  // a background tab polls rarely
    const sent = performance.now();
    let wait = 0;  // a 429 says how long to wait (Retry-After)
    fetch(`${data.url}?${q}`, { cache: "no-store" })
      .then((r) => {
        if (r.status === 429) wait = 1000 * Number(r.headers.get("Retry-After") || 1);
        return r.status === 200 ? r.json() : r.status === 404 ? "gone" : null;
      })
      .then((msg) => {
        if (gen !== st.gen) return;
        if (msg === "gone") {
          st.bar.querySelector(".nn-text").textContent = "This job is no longer available; press Train to start again.";
          return;
        }
        st.fresh = false;
        const changed = msg ? merge(msg) : null;
        if (!msg && st.status === "queued" && st.info && st.info.wait_s != null) {  // count the wait down
          const left = st.info.wait_s - (performance.now() - st.infoAt) / 1000;
          st.bar.querySelector(".nn-text").innerHTML = statusLine({ ...st.info, wait_s: left });
        }
        if (FINAL.includes(st.status)) {
          cancelAnimationFrame(st.frame);
          st.frame = null;
          const todo = [...new Set([...(st.pending || []), ...(changed || [])])];  // everything, at once
          st.pending = new Set();
          if (todo.length) show(P, todo);
          setTriggerValue("done", st.seq);
          return;
        }
        // the server holds a poll until there is news, so ask again at once (at most every data.poll ms); a
        // queued job changes rarely (its position), so its page asks far less often
        const gap = Math.max(wait, st.status === "queued" ? data.queuedPoll || 1000 : data.poll);
        st.timer = setTimeout(() => poll(P), Math.max(0, gap - (performance.now() - sent)));
        if (changed) schedule(P, changed);
      })
      .catch(() => {
        if (gen === st.gen) st.timer = setTimeout(() => poll(P), 2 * data.poll);
      });
  };

  loadPlotly(data.plotly)
    .then((P) => {
      if (gen !== st.gen) return;
      st.drawn = false;
      if (data.active && data.url && (!window.__nnLiveTiming || window.__nnLiveTiming.url !== data.url)) {
        // where the wait from Train to the first point goes (read by bench/live.py): page rerun, job, drawing
        window.__nnLiveTiming = { url: data.url, mounted: performance.now() };
      }
      if (data.active && data.url) {
        // the first answer usually comes within moments: draw the charts once, with it, not twice
        poll(P);
        setTimeout(() => { if (gen === st.gen && !st.drawn) { draw(P, Object.keys(st.figs)); st.drawn = true; } },
                   FIRST_WAIT_MS);
      } else {
        draw(P, Object.keys(st.figs));
        st.drawn = true;
      }
    })
    .catch((e) => {
      root.textContent = `The live charts could not start: ${e.message}`;
    });

  return () => {
    clearTimeout(st.timer);
    if (st.onPageHide) window.removeEventListener("pagehide", st.onPageHide);
    cancelAnimationFrame(st.frame);
    st.frame = null;
  };
}
