// The agent's live connection (/api/v1/ws): reconnects with back-off, tells the page when to re-read.
// Usage: Sprawa.live(function (frame) { ... }) — frames as sent by the server, plus {type: "reconnected"}.
(function () {
  "use strict";
  const listeners = [];
  let socket = null;
  let retry = 0;
  let everOpen = false;

  function state(text) {
    const box = document.getElementById("live-state");
    if (box) box.textContent = text;
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/ws";
    socket = new WebSocket(url);
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (_) { return; }
      if (frame.type === "ready") {
        retry = 0;
        state(document.documentElement.lang === "en" ? "live" : "na żywo");
        // Whatever happened while the socket was down is read again from the server.
        if (everOpen) listeners.forEach((fn) => fn({ type: "reconnected" }));
        everOpen = true;
        return;
      }
      if (frame.type === "ping") { socket.send(JSON.stringify({ type: "ping" })); return; }
      listeners.forEach((fn) => fn(frame));
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4401) { location.reload(); return; } // logged out: the page redirects to login
      state(document.documentElement.lang === "en" ? "reconnecting…" : "łączenie…");
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, 400 * Math.pow(2, retry));
    });
  }

  function live(fn) {
    listeners.push(fn);
    if (!socket) connect();
  }

  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }

  window.Sprawa = Object.assign(window.Sprawa || {}, { live, liveSend: send });
})();
