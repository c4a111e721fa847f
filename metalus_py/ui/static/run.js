// The run page: graph, timeline, steps (polled every 0.5 s) and events (server-sent, resumable).
"use strict";
(function () {
  const runId = decodeURIComponent(location.pathname.replace(/^\/runs\//, ""));
  const api = "/api/runs/" + encodeURIComponent(runId);
  const KINDS = ["application_started", "application_finished", "execution_started", "execution_finished",
    "execution_stopped", "execution_skipped", "pipeline_started", "pipeline_finished", "step_started",
    "step_finished", "step_exception", "step_retry", "step_killed", "step_stale", "message"];
  const ERROR_STATUSES = new Set(["ERROR", "FAILED", "KILLED"]);
  let nodes = null, lastText = "", documentNow = null, stream = null, events = 0;
  document.title = "metalus · " + runId;
  document.getElementById("run-id").textContent = runId;
  document.getElementById("crumb").textContent = runId;

  function say(text, bad) {
    const box = document.getElementById("message");
    box.textContent = text; box.hidden = !text; box.className = "message" + (bad ? " bad" : "");
  }

  function legend() {
    const box = document.getElementById("legend");
    for (const s of ["PENDING", "RUNNING", "COMPLETE", "ERROR", "KILLED", "PAUSED", "STOPPED", "SKIPPED", "BLOCKED"]) {
      const swatch = M.el("i"); swatch.style.background = Graph.colours[s];
      box.append(M.el("span", {}, swatch, s.toLowerCase()));
    }
  }

  async function loadPlan() {
    const {status, text} = await M.getText(api + "/plan");
    if (status !== 200) return;
    const plan = JSON.parse(text);
    nodes = Graph.draw(document.getElementById("graph"), plan);
    const points = document.getElementById("retrigger-points");
    for (const e of plan.executions) {
      points.append(M.el("option", {value: e.id}));
      for (const p of e.pipelines) if (!p.evaluation) for (const s of p.steps) points.append(M.el("option", {value: `${e.id}.${p.id}.${s.id}`}));
    }
    if (documentNow) render(documentNow);
  }

  function counts(doc) {
    const out = {};
    for (const e of Object.values(doc.executions)) {
      const id = e.executionId; out[id] = out[id] || {};
      out[id][e.status] = (out[id][e.status] || 0) + 1;
    }
    return out;
  }

  function header(doc) {
    const badge = document.getElementById("run-status");
    badge.textContent = doc.outcome || doc.status; badge.className = "status " + doc.status;
    const took = M.seconds(doc.startedAt, doc.endedAt);
    const meta = [`application ${doc.applicationId}`, `started ${M.time(doc.startedAt)}`, `duration ${M.duration(took)}`];
    if (doc.status === "RUNNING" && !doc.live) meta.push("no live process holds it (interrupted?)");
    const box = document.getElementById("run-meta");
    box.replaceChildren(meta.join(" · "));
    if (doc.parentRunId) box.append(" · retriggered from ", M.el("a", {href: "/runs/" + encodeURIComponent(doc.parentRunId), text: doc.parentRunId}));
    document.getElementById("kill").disabled = doc.status !== "RUNNING";
    document.getElementById("resume").disabled = doc.status === "COMPLETE" || (doc.status === "RUNNING" && doc.live);
  }

  function timeline(doc) {
    const box = document.getElementById("timeline");
    const start = Date.parse(doc.startedAt);
    const end = doc.endedAt ? Date.parse(doc.endedAt) : Date.now();
    const span = Math.max(end - start, 1);
    const rows = [];
    const bar = (label, level, status, s, e) => {
      const track = M.el("div", {class: "tl-track"});
      if (s) {
        const b = M.el("div", {class: "tl-bar", title: `${label}: ${status} ${M.duration(M.seconds(s, e))}`});
        const left = (Date.parse(s) - start) / span * 100;
        const right = ((e ? Date.parse(e) : Date.now()) - start) / span * 100;
        b.style.left = Math.max(0, left) + "%"; b.style.width = Math.max(0.2, right - left) + "%";
        b.style.background = Graph.colours[status] || Graph.colours.PENDING;
        track.append(b);
      }
      rows.push(M.el("div", {class: "tl-row"}, M.el("div", {class: "tl-label l" + level, title: label, text: label}), track));
    };
    const executions = Object.entries(doc.executions).sort((a, b) => String(a[1].startedAt || "~").localeCompare(String(b[1].startedAt || "~")));
    for (const [key, e] of executions) {
      if (rows.length > 400) break;
      bar(key, 0, e.status, e.startedAt, e.endedAt);
      for (const [pid, p] of Object.entries(e.pipelines || {})) {
        bar(pid, 1, p.status, p.startedAt, p.endedAt);
        for (const [path, s] of Object.entries(p.steps || {})) bar(path, 2, s.status, s.startedAt, s.endedAt);
      }
    }
    const axis = M.el("div", {class: "tl-axis"}, M.el("span", {text: "0 s"}), M.el("span", {text: M.duration(span / 2000)}), M.el("span", {text: M.duration(span / 1000)}));
    box.replaceChildren(...rows, axis);
    if (!rows.length) box.replaceChildren(M.el("p", {class: "muted", text: "Nothing has run yet."}));
  }

  function rowsOf(step) {
    const primary = step.primaryReturn;
    if (primary && Array.isArray(primary.shape)) return primary.shape[0];
    const metrics = step.metrics || {};
    return metrics.rows !== undefined ? metrics.rows : "";
  }

  function stepTable(doc) {
    const out = [];
    for (const [key, e] of Object.entries(doc.executions)) {
      for (const [pid, p] of Object.entries(e.pipelines || {})) {
        for (const [path, s] of Object.entries(p.steps || {})) {
          const metrics = Object.entries(s.metrics || {}).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
          let error = "";
          if (s.error) {
            error = M.el("div", {class: "error-text"}, M.el("div", {text: (s.error.type ? s.error.type + ": " : "") + (s.error.message || "")}));
            if (s.error.traceback) error.append(M.el("details", {}, M.el("summary", {text: "traceback"}), M.el("pre", {text: s.error.traceback})));
          }
          const took = s.durationSeconds !== null && s.durationSeconds !== undefined ? s.durationSeconds : (s.status === "RUNNING" ? M.seconds(s.startedAt, null) : null);
          out.push(M.el("tr", {"data-step": `${key}.${pid}.${path}`, "data-status": s.status},
            M.el("td", {class: "mono", text: key}), M.el("td", {class: "mono", text: pid}), M.el("td", {class: "mono", text: path}),
            M.el("td", {}, M.status(s.status)), M.el("td", {class: "num", text: s.attempts}),
            M.el("td", {class: "num", text: M.duration(took)}), M.el("td", {class: "num", text: rowsOf(s)}),
            M.el("td", {class: "mono", text: metrics}), M.el("td", {}, error)));
        }
      }
    }
    document.querySelector("#steps tbody").replaceChildren(...out);
  }

  function render(doc) {
    header(doc);
    if (nodes) Graph.colour(nodes, counts(doc));
    timeline(doc);
    stepTable(doc);
  }

  async function poll() {
    try {
      const {status, text} = await M.getText(api);
      if (status === 404) { document.getElementById("missing").hidden = false; return; }
      if (status === 200 && (text !== lastText || /"RUNNING"/.test(text))) {
        lastText = text; documentNow = JSON.parse(text); render(documentNow);
      }
    } catch (e) { M.connected(false); }
  }

  function isError(event) {
    return event.event === "step_exception" || event.event === "step_killed" || Boolean(event.error) || ERROR_STATUSES.has(event.status);
  }

  function addEvent(seq, event) {
    const key = event.executionId ? event.executionId + (event.forkIndex || []).map(i => `[${i}]`).join("") : "";
    const where = [key, event.pipelineId, event.path || event.stepId].filter(Boolean).join(".");
    const detail = event.error || (event.durationSeconds !== undefined ? M.duration(event.durationSeconds) : "");
    const row = M.el("tr", {class: isError(event) ? "err" : "", "data-seq": seq, "data-kind": event.event},
      M.el("td", {class: "num", text: seq}), M.el("td", {class: "mono", text: M.clock(event.timestamp)}),
      M.el("td", {class: "mono", text: event.event}), M.el("td", {class: "mono", text: where}),
      M.el("td", {}, event.status ? M.status(event.status) : ""), M.el("td", {class: "detail", text: detail}));
    document.querySelector("#events tbody").append(row);
    events += 1;
    document.getElementById("event-count").textContent = events + " event" + (events === 1 ? "" : "s");
  }

  function listen() {
    stream = new EventSource(api + "/events");
    for (const kind of KINDS) stream.addEventListener(kind, m => addEvent(Number(m.lastEventId), JSON.parse(m.data)));
    stream.addEventListener("end", () => { stream.close(); poll(); });
    stream.onopen = () => M.connected(true);
  }

  async function act(button, path, body, done) {
    button.disabled = true;
    const {status, data} = await M.post(api + path, body);
    button.disabled = false;
    if (status === 202) done(data); else say(data.error || `the server answered ${status}`, true);
  }

  document.getElementById("errors-only").addEventListener("change", e => {
    document.getElementById("events").classList.toggle("errors-only", e.target.checked);
  });
  document.getElementById("kill").addEventListener("click", e => {
    if (!confirm(`Kill run ${runId}?`)) return;
    act(e.target, "/kill", {}, () => say("Kill requested: the run stops before its next step (forced after 10 s)."));
  });
  document.getElementById("resume").addEventListener("click", e =>
    act(e.target, "/resume", {}, () => { say("Resuming in a separate process…"); if (stream) stream.close(); setTimeout(() => location.reload(), 800); }));
  document.getElementById("retrigger").addEventListener("click", e => {
    const from = document.getElementById("retrigger-from").value.trim();
    if (!from) { say("Choose the step to recompute from (EXEC.PIPELINE.STEP or EXEC).", true); return; }
    act(e.target, "/retrigger", {from}, data => { location.href = "/runs/" + encodeURIComponent(data.runId); });
  });

  legend();
  poll().then(loadPlan);
  listen();
  setInterval(poll, 500);
})();
