/* Sprawa chat widget (minimal demo client). Embed:
 *   <script src="https://SPRAWA/widget/v1/widget.js" data-channel="PUBLIC_KEY" defer></script>
 * Protocol: POST /widget/v1/{key}/sessions -> visitor token; WebSocket /widget/v1/ws resumes after the
 * last seq seen; every message carries a client_message_id, so re-sending after a drop is harmless. */
(function () {
  "use strict";
  var script = document.currentScript;
  var api = new URL(script.src, location.href).origin;
  var wsBase = api.replace(/^http/, "ws");
  var AUTHORS = { customer: "Ty", agent: "Konsultant", ai: "Asystent AI", system: "Sklep" };
  var channel = null, state = {}, pending = {}, shown = {}, ws = null, retry = 0, lastTyping = 0, typingTimer = null;
  var launcher, panel, log, typing, input;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // never innerHTML: messages are untrusted text
    return node;
  }
  function storeKey() { return "sprawa-chat:" + channel; }
  function save() { try { localStorage.setItem(storeKey(), JSON.stringify(state)); } catch (e) { /* private mode */ } }
  function load() {
    try { state = JSON.parse(localStorage.getItem(storeKey()) || "{}") || {}; } catch (e) { state = {}; }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function bubble(direction, author, text, cls) {
    var node = el("div", "sprawa-msg " + (direction === "in" ? "sprawa-in" : "sprawa-out") + (cls ? " " + cls : ""));
    node.appendChild(el("small", null, AUTHORS[author] || ""));
    node.appendChild(document.createTextNode(text));
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }
  function showMessage(m) {
    if (shown[m.seq]) return;
    var mine = m.client_message_id && pending[m.client_message_id];
    if (mine) { mine.node.classList.remove("sprawa-pending"); shown[m.seq] = mine.node; delete pending[m.client_message_id]; }
    else shown[m.seq] = bubble(m.direction, m.author, m.text);
    if (m.seq > (state.lastSeq || 0)) { state.lastSeq = m.seq; save(); }
  }
  function onFrame(frame) {
    if (frame.type === "case") {
      if (frame.case.id !== state.caseId) {
        // The conversation continues in a new case: show that case from its beginning.
        Array.prototype.forEach.call(log.querySelectorAll(".sprawa-msg:not(.sprawa-pending):not(.sprawa-greeting)"), function (n) { n.remove(); });
        shown = {};
        state.caseId = frame.case.id; state.lastSeq = 0; save();
      }
    } else if (frame.type === "message") {
      showMessage(frame.message);
    } else if (frame.type === "ack") {
      var mine = pending[frame.client_message_id];
      if (mine) { mine.node.classList.remove("sprawa-pending"); shown[frame.seq] = mine.node; delete pending[frame.client_message_id]; }
    } else if (frame.type === "ready") {
      retry = 0;
      Object.keys(pending).forEach(function (id) { sendFrame(id); }); // unacknowledged: send again
    } else if (frame.type === "typing") {
      typing.textContent = "Konsultant pisze…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
    } else if (frame.type === "error" && frame.client_message_id && pending[frame.client_message_id]) {
      pending[frame.client_message_id].node.classList.add("sprawa-failed");
      pending[frame.client_message_id].node.title = "Nie udało się wysłać: " + frame.message;
    }
  }

  function startSession() {
    if (state.token) return Promise.resolve();
    return fetch(api + "/widget/v1/" + encodeURIComponent(channel) + "/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: (navigator.language || "pl").slice(0, 2).toLowerCase() })
    }).then(function (r) {
      if (!r.ok) throw new Error("session " + r.status);
      return r.json();
    }).then(function (s) { state = { token: s.visitor_token, caseId: null, lastSeq: 0 }; save(); });
  }
  function connect() {
    if (!state.token || (ws && ws.readyState <= 1)) return;
    var url = wsBase + "/widget/v1/ws?token=" + encodeURIComponent(state.token) +
      (state.caseId ? "&case_id=" + encodeURIComponent(state.caseId) + "&after_seq=" + (state.lastSeq || 0) : "");
    ws = new WebSocket(url);
    ws.onmessage = function (e) { onFrame(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      ws = null;
      if (e.code === 4401) { state = {}; save(); if (Object.keys(pending).length) startSession().then(connect); return; }
      if (e.code === 4404) { launcher.disabled = true; launcher.textContent = "Czat niedostępny"; return; }
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry)); // back off: 1 s … 32 s
    };
  }
  function sendFrame(id) {
    var item = pending[id];
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "message", client_message_id: id, text: item.text }));
      return;
    }
    // No live connection: the HTTP API stores it the same way (and the same id keeps it single).
    fetch(api + "/widget/v1/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + state.token },
      body: JSON.stringify({ client_message_id: id, text: item.text })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (ack) {
      if (ack) onFrame({ type: "ack", client_message_id: ack.client_message_id, seq: ack.seq, case_id: ack.case_id });
    }).catch(function () { /* stays pending; re-sent when the socket is back */ });
  }
  function send(text) {
    var id = newId();
    pending[id] = { text: text, node: bubble("in", "customer", text, "sprawa-pending") };
    startSession().then(function () { connect(); sendFrame(id); }).catch(function () {
      pending[id].node.classList.add("sprawa-failed");
    });
  }

  function build(name) {
    launcher = el("button", "sprawa-launcher", "💬 Napisz do nas");
    launcher.type = "button";
    panel = el("section", "sprawa-panel");
    panel.hidden = true;
    var head = el("div", "sprawa-head");
    head.appendChild(el("strong", null, name || "Obsługa klienta"));
    head.appendChild(el("small", null, "Odpowiadamy zwykle w kilka minut. Możesz w każdej chwili poprosić o konsultanta."));
    log = el("div", "sprawa-log");
    typing = el("div", "sprawa-typing");
    var form = el("form", "sprawa-form");
    input = el("textarea");
    input.maxLength = 5000;
    input.placeholder = "Napisz wiadomość…";
    var button = el("button", null, "Wyślij");
    button.type = "submit";
    form.appendChild(input); form.appendChild(button);
    panel.appendChild(head); panel.appendChild(log); panel.appendChild(typing); panel.appendChild(form);
    document.body.appendChild(panel); document.body.appendChild(launcher);
    launcher.onclick = function () { panel.hidden = !panel.hidden; if (!panel.hidden) { connect(); input.focus(); } };
    form.onsubmit = function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (text) { input.value = ""; send(text); }
    };
    input.onkeydown = function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } };
    input.oninput = function () {
      if (ws && ws.readyState === 1 && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        ws.send(JSON.stringify({ type: "typing" }));
      }
    };
  }

  function init(config) {
    channel = config.channel;
    build(config.name);
    if (config.greeting) bubble("out", "system", config.greeting, "sprawa-greeting");
    if (!channel) { launcher.disabled = true; launcher.textContent = "Czat niedostępny"; return; }
    load();
    state.lastSeq = 0; // a fresh page shows the whole current conversation; reconnects resume by seq
    if (state.token) connect();
  }
  if (script.dataset.channel) {
    init({ channel: script.dataset.channel });
  } else {
    var query = new URLSearchParams(location.search).get("channel");
    fetch(script.dataset.config + (query ? "?channel=" + encodeURIComponent(query) : ""))
      .then(function (r) { return r.json(); })
      .then(init)
      .catch(function () { init({ channel: null }); });
  }
})();
