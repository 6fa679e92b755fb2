/*
 * hezi chat widget: adds a chat bubble to the page that opens a published app in a panel.
 *
 *   <script src="http://HOST/app/TOKEN/widget.js" defer></script>
 *
 * Optional attributes on the script tag: data-position="left" (default right), data-color="#1677ff",
 * data-lang="zh-CN" | "en" (default: the visitor's browser), data-open="true" (open at once).
 * The bubble appears only where the app allows it: the page's origin must be among the app's allowed origins
 * and its widget channel open. The chat itself runs in an iframe served by hezi (/app/TOKEN?embed=1).
 */
(function () {
  "use strict";
  var script =
    document.currentScript ||
    (function () {
      var all = document.querySelectorAll('script[src*="/widget.js"]');
      return all[all.length - 1];
    })();
  if (!script || !script.src) return;
  var src = new URL(script.src, window.location.href);
  var match = /^\/app\/([^/]+)\/widget\.js$/.exec(src.pathname);
  if (!match) return;
  var origin = src.origin;
  var token = match[1];
  var appUrl = origin + "/app/" + token;
  if (window["__heziWidget_" + token]) return; // the snippet pasted twice
  window["__heziWidget_" + token] = true;

  var left = script.getAttribute("data-position") === "left";
  var color = script.getAttribute("data-color") || "#1677ff";
  if (!/^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/.test(color)) color = "#1677ff";
  var lang = script.getAttribute("data-lang") || "";
  var openAtOnce = script.getAttribute("data-open") === "true";

  var CHAT =
    '<svg viewBox="0 0 24 24" width="26" height="26" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-' +
    '5A8 8 0 1 1 21 12z"/></svg>';
  var CLOSE =
    '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';

  function start(app) {
    var host = document.createElement("div");
    host.setAttribute("data-hezi-widget", token);
    // A shadow root keeps the page's styles off the bubble and the bubble's off the page.
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var side = left ? "left" : "right";
    var style = document.createElement("style");
    style.textContent =
      ":host{all:initial}" +
      ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:56px;height:56px;border-radius:50%;border:0;" +
      "background:" + color + ";color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center;" +
      "box-shadow:0 6px 16px rgba(0,0,0,.2);z-index:2147483000;padding:0;transition:transform .15s}" +
      ".bubble:hover{transform:scale(1.06)}.bubble:focus-visible{outline:3px solid rgba(22,119,255,.4)}" +
      ".panel{position:fixed;bottom:88px;" + side + ":20px;width:380px;height:min(640px,calc(100vh - 112px));" +
      "border-radius:12px;overflow:hidden;background:#fff;box-shadow:0 12px 40px rgba(0,0,0,.22);" +
      "z-index:2147483000;display:none}" +
      ".panel.open{display:block}" +
      "iframe{border:0;width:100%;height:100%;display:block}" +
      "@media (max-width:480px){.panel{inset:0;width:auto;height:auto;border-radius:0}" +
      ".panel.open + .bubble{display:none}}";
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.setAttribute("data-testid", "hezi-widget-panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", app.name);
    var bubble = document.createElement("button");
    bubble.type = "button";
    bubble.className = "bubble";
    bubble.setAttribute("data-testid", "hezi-widget-bubble");
    bubble.setAttribute("aria-label", app.name);
    bubble.setAttribute("aria-expanded", "false");
    bubble.title = app.name;
    bubble.innerHTML = CHAT;
    var frame = null;

    function setOpen(open) {
      if (open && !frame) {
        frame = document.createElement("iframe");
        frame.name = "hezi-widget";
        frame.title = app.name;
        frame.allow = "clipboard-write";
        var visitor = stored();
        frame.src =
          appUrl + "?embed=1" + (lang ? "&lang=" + encodeURIComponent(lang) : "") +
          (visitor ? "#hezi-visitor=" + encodeURIComponent(visitor) : "");
        panel.appendChild(frame);
      }
      panel.classList.toggle("open", open);
      bubble.innerHTML = open ? CLOSE : CHAT;
      bubble.setAttribute("aria-expanded", open ? "true" : "false");
    }

    bubble.addEventListener("click", function () {
      setOpen(!panel.classList.contains("open"));
    });
    // The panel's own close button (inside the iframe) asks through postMessage; only hezi's origin is heard.
    // The iframe keeps its visitor token here when the browser gives it neither a cookie nor storage of its own
    // (another site over plain http): handed back in the iframe's URL fragment next time.
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || !event.data) return;
      if (event.data.type === "hezi:close") setOpen(false);
      if (event.data.type === "hezi:visitor" && typeof event.data.token === "string") keep(event.data.token);
    });
    root.appendChild(style);
    root.appendChild(panel);
    root.appendChild(bubble);
    document.body.appendChild(host);
    window.HeziWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
    if (openAtOnce) setOpen(true);
  }

  var KEY = "hezi.widget.visitor." + token;
  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }
  function keep(value) {
    try {
      window.localStorage.setItem(KEY, value);
    } catch (e) {
      /* this visit only */
    }
  }

  function ready(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Asked first, so that a page the app does not allow (or a closed widget channel) shows no bubble at all.
  fetch(appUrl + "/api/widget", { credentials: "omit", mode: "cors" })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (app) {
      ready(function () {
        start(app);
      });
    })
    .catch(function (err) {
      if (window.console) console.warn("hezi widget: this page may not embed the app (" + err.message + ")");
    });
})();
