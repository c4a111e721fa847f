// Shared helpers of the monitor's pages: DOM building, JSON requests, formatting.
"use strict";
const M = {
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value; else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },
  svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  },
  // a status badge: coloured by the status word, reading the outcome word when given
  status(text, outcome) { return M.el("span", {class: "status " + text, text: outcome || text}); },
  connected(ok) {
    const dot = document.getElementById("conn");
    if (dot) { dot.className = "conn " + (ok ? "ok" : "bad"); dot.title = ok ? "connected" : "cannot reach the server"; }
  },
  async getText(url) {
    const response = await fetch(url, {cache: "no-cache", credentials: "same-origin"});
    M.connected(response.ok || response.status === 404);
    return {status: response.status, text: await response.text()};
  },
  async post(url, body) {
    const response = await fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json"}, body: JSON.stringify(body || {})});
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return {status: response.status, data: data};
  },
  seconds(start, end) {
    if (!start) return null;
    const stop = end ? Date.parse(end) : Date.now();
    return Math.max(0, (stop - Date.parse(start)) / 1000);
  },
  duration(value) {
    if (value === null || value === undefined) return "";
    if (value < 1) return (value * 1000).toFixed(0) + " ms";
    if (value < 60) return value.toFixed(2) + " s";
    const m = Math.floor(value / 60), s = Math.round(value % 60);
    return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
  },
  time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  },
  clock(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString() + "." + String(d.getMilliseconds()).padStart(3, "0");
  },
};
