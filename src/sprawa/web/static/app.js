// Shared behaviour of every agent-workspace page: CSRF header on writes, toasts, keyboard shortcuts.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  document.addEventListener("htmx:configRequest", (event) => {
    if (csrf) event.detail.headers["X-CSRF-Token"] = csrf;
  });

  function toast(text, kind) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.className = "toast " + (kind || "info");
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  document.addEventListener("htmx:responseError", (event) => {
    let message = event.detail.xhr.statusText || "Error";
    try {
      const body = JSON.parse(event.detail.xhr.responseText);
      if (body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON: keep the status text */ }
    toast(message, "error");
  });

  // fetch() with the session's CSRF token and JSON errors turned into exceptions carrying the API message.
  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-CSRF-Token": csrf }, opts.headers || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const response = await fetch(url, opts);
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error.message || message; } catch (_) { /* keep */ }
      throw new Error(message);
    }
    return response.status === 204 ? null : response.json();
  }

  // Keyboard shortcuts: pages register keys; typing in a field never triggers them.
  const shortcuts = {};
  function shortcut(key, handler) { shortcuts[key] = handler; }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const handler = shortcuts[event.key];
    if (handler) { event.preventDefault(); handler(event); }
  });

  window.Sprawa = { csrf, api, toast, shortcut };
})();
