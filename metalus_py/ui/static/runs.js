// The runs page: the runs of the store, newest first, refreshed twice a second, with a status filter.
"use strict";
(function () {
  const body = document.querySelector("#runs tbody");
  const filter = document.getElementById("status-filter");
  const params = new URLSearchParams(location.search);
  filter.value = params.get("status") || "";
  let last = "";

  function row(run) {
    const took = run.durationSeconds !== null ? run.durationSeconds : (run.status === "RUNNING" ? M.seconds(run.startedAt, null) : null);
    return M.el("tr", {"data-run": run.runId},
      M.el("td", {}, M.el("a", {href: "/runs/" + encodeURIComponent(run.runId), class: "mono", text: run.runId})),
      M.el("td", {text: run.applicationId}),
      M.el("td", {}, M.status(run.status, run.outcome), run.status === "RUNNING" && !run.live ? M.el("span", {class: "muted", text: " (no live process)"}) : null),
      M.el("td", {text: M.time(run.startedAt)}),
      M.el("td", {class: "num", text: M.duration(took)}),
      M.el("td", {}, run.parentRunId ? M.el("a", {href: "/runs/" + encodeURIComponent(run.parentRunId), class: "mono", text: run.parentRunId}) : ""));
  }

  async function refresh() {
    const query = filter.value ? "?status=" + encodeURIComponent(filter.value) : "";
    try {
      const {status, text} = await M.getText("/api/runs" + query);
      if (status === 200 && (text !== last || /"RUNNING"/.test(text))) {
        last = text;
        const runs = JSON.parse(text);
        body.replaceChildren(...runs.map(row));
        document.getElementById("empty").hidden = runs.length > 0;
        document.getElementById("count").textContent = runs.length + " run" + (runs.length === 1 ? "" : "s");
      }
    } catch (e) { M.connected(false); }
  }

  filter.addEventListener("change", () => {
    const url = new URL(location.href);
    if (filter.value) url.searchParams.set("status", filter.value); else url.searchParams.delete("status");
    history.replaceState(null, "", url);
    last = "";
    refresh();
  });
  refresh();
  setInterval(refresh, 500);
})();
