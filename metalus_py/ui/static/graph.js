// Drawing the execution graph (layout computed by the server) and colouring it by status.
"use strict";
const Graph = {
  precedence: ["ERROR", "KILLED", "RUNNING", "PAUSED", "STOPPED", "BLOCKED", "PENDING", "SKIPPED", "COMPLETE"],
  colours: {PENDING: "#eaeef2", RUNNING: "#bde0fe", COMPLETE: "#b7e4c7", ERROR: "#ffb3b3", FAILED: "#ffb3b3",
            KILLED: "#ffc9a9", PAUSED: "#d8ccff", STOPPED: "#ffe8a3", SKIPPED: "#e0e0e0", BLOCKED: "#f1d9b5"},
  nodeStatus(counts) {
    for (const s of Graph.precedence) if (counts[s]) return s;
    return "PENDING";
  },
  short(text, n) { return text.length <= n ? text : text.slice(0, n - 1) + "…"; },
  draw(container, plan) {
    const root = M.svg("svg", {width: plan.width, height: plan.height, viewBox: `0 0 ${plan.width} ${plan.height}`,
                               role: "img", "aria-label": "execution graph"});
    root.append(M.svg("defs", {}, M.svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse"}, M.svg("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#57606a"}))));
    const byId = Object.fromEntries(plan.executions.map(n => [n.id, n]));
    for (const edge of plan.edges) {
      const a = byId[edge.from], b = byId[edge.to];
      const x1 = a.x + a.width / 2, y1 = a.y + a.height, x2 = b.x + b.width / 2, y2 = b.y - 2, mid = (y1 + y2) / 2;
      root.append(M.svg("path", {d: `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}`, fill: "none",
                                 stroke: "#57606a", "stroke-width": 1.4, "marker-end": "url(#arrow)"}));
    }
    const nodes = {};
    for (const n of plan.executions) {
      const rect = M.svg("rect", {x: n.x, y: n.y, width: n.width, height: n.height, rx: 8, fill: Graph.colours.PENDING,
                                  stroke: "#57606a", "stroke-width": 1.2});
      if (n.kind === "fork" || n.kind === "join") rect.setAttribute("stroke-dasharray", "6 3");
      const title = M.svg("text", {x: n.x + n.width / 2, y: n.y + 21, "text-anchor": "middle", "font-size": 13,
                                   "font-weight": 600, fill: "#1f2328"}, Graph.short(n.id + (n.kind !== "pipeline" ? ` (${n.kind})` : ""), 26));
      const detail = M.svg("text", {x: n.x + n.width / 2, y: n.y + 41, "text-anchor": "middle", "font-size": 11,
                                    fill: "#424a53"}, "pending");
      const tip = M.svg("title", {}, n.id);
      const g = M.svg("g", {class: "execution", "data-id": n.id, "data-status": "PENDING"}, rect, title, detail, tip);
      root.append(g);
      nodes[n.id] = {g, rect, detail, tip, node: n};
    }
    container.replaceChildren(root);
    return nodes;
  },
  colour(nodes, counts) {
    for (const [id, item] of Object.entries(nodes)) {
      const own = counts[id] || {};
      const status = Graph.nodeStatus(own);
      item.rect.setAttribute("fill", Graph.colours[status] || Graph.colours.PENDING);
      item.g.setAttribute("data-status", status);
      const total = Object.values(own).reduce((a, b) => a + b, 0);
      let text;
      if (total > 1) text = Object.entries(own).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(" · ");
      else if (total === 1) text = status.toLowerCase();
      else text = (item.node.pipelines.map(p => p.id).join(", ") || "no pipelines");
      item.detail.textContent = Graph.short(text, 32);
      item.tip.textContent = `${id}: ${status}` + (total > 1 ? ` (${text})` : "");
    }
  },
};
