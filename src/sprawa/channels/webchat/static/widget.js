/* Sprawa chat widget. Embed with one tag:
 *   <script src="https://SPRAWA/widget/v1/widget.js" data-channel="PUBLIC_KEY" defer></script>
 * Optional: data-lang="en" (else the page's <html lang>, else the chat's own language).
 * Protocol: POST /widget/v1/{key}/sessions -> visitor token; WebSocket /widget/v1/ws resumes after the last
 * seq seen; every message carries a client_message_id, so re-sending after a drop or a reload is harmless.
 * No inline styles or scripts (works under a strict CSP); messages are always inserted as text. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__sprawaChat) return;
  window.__sprawaChat = true;
  var api = new URL(script.src, location.href).origin;
  var wsBase = api.replace(/^http/, "ws");
  var channel = script.dataset.channel;

  var TEXT = {
    pl: {
      open: "Napisz do nas", close: "Zamknij czat", title: "Obsługa klienta", human: "Porozmawiaj z człowiekiem",
      humanDone: "Konsultant został powiadomiony", onNow: "Konsultanci są teraz dostępni.",
      offNow: "Jesteśmy poza godzinami pracy — odpowiemy najszybciej, jak to możliwe.",
      placeholder: "Napisz wiadomość…", send: "Wyślij", attach: "Dołącz zdjęcie lub PDF", you: "Ty",
      agent: "Konsultant", ai: "Asystent AI", system: "Sklep", typing: "Konsultant pisze…",
      disclosure: "Odpowiada automatyczny asystent AI. W każdej chwili możesz poprosić o człowieka przyciskiem powyżej.",
      failed: "Nie udało się wysłać — spróbujemy ponownie.", connecting: "Łączenie…",
      tooBig: "Plik „{name}” jest za duży (limit {mb} MB).", badType: "Możemy przyjąć tylko zdjęcia (JPG, PNG, GIF, WebP) i pliki PDF.",
      emailAsk: "Chcesz dostać odpowiedź także mailem?", emailLabel: "Twój e-mail", emailSave: "Zapisz",
      emailThanks: "Dziękujemy — odpowiemy też na {email}.", emailBad: "To nie wygląda na adres e-mail.",
      unavailable: "Czat jest chwilowo niedostępny.", log: "Rozmowa", dismiss: "Nie, dziękuję",
      fileFailed: "Nie udało się pobrać pliku — spróbuj ponownie.", download: "Pobierz"
    },
    en: {
      open: "Chat with us", close: "Close chat", title: "Customer service", human: "Talk to a person",
      humanDone: "A person has been notified", onNow: "Our team is available now.",
      offNow: "We are outside opening hours — we will answer as soon as we can.",
      placeholder: "Write a message…", send: "Send", attach: "Attach a photo or PDF", you: "You",
      agent: "Agent", ai: "AI assistant", system: "Shop", typing: "An agent is typing…",
      disclosure: "You are talking to an automated AI assistant. Ask for a person at any time with the button above.",
      failed: "Not sent — we will try again.", connecting: "Connecting…",
      tooBig: "The file “{name}” is too large (limit {mb} MB).", badType: "We can accept photos (JPG, PNG, GIF, WebP) and PDF files only.",
      emailAsk: "Would you like the answer by e-mail too?", emailLabel: "Your e-mail", emailSave: "Save",
      emailThanks: "Thank you — we will also answer at {email}.", emailBad: "This does not look like an e-mail address.",
      unavailable: "The chat is unavailable right now.", log: "Conversation", dismiss: "No, thanks",
      fileFailed: "The file could not be downloaded — please try again.", download: "Download"
    },
    de: {
      open: "Schreiben Sie uns", close: "Chat schließen", title: "Kundenservice", human: "Mit einem Menschen sprechen",
      humanDone: "Ein Mitarbeiter wurde benachrichtigt", onNow: "Unser Team ist jetzt erreichbar.",
      offNow: "Wir sind außerhalb der Geschäftszeiten — wir antworten so bald wie möglich.",
      placeholder: "Nachricht schreiben…", send: "Senden", attach: "Foto oder PDF anhängen", you: "Sie",
      agent: "Mitarbeiter", ai: "KI-Assistent", system: "Shop", typing: "Ein Mitarbeiter schreibt…",
      disclosure: "Hier antwortet ein automatischer KI-Assistent. Mit dem Knopf oben erreichen Sie jederzeit einen Menschen.",
      failed: "Nicht gesendet — wir versuchen es erneut.", connecting: "Verbinden…",
      tooBig: "Die Datei „{name}“ ist zu groß (max. {mb} MB).", badType: "Wir können nur Fotos (JPG, PNG, GIF, WebP) und PDF-Dateien annehmen.",
      emailAsk: "Möchten Sie die Antwort auch per E-Mail?", emailLabel: "Ihre E-Mail", emailSave: "Speichern",
      emailThanks: "Danke — wir antworten auch an {email}.", emailBad: "Das sieht nicht wie eine E-Mail-Adresse aus.",
      unavailable: "Der Chat ist gerade nicht verfügbar.", log: "Gespräch", dismiss: "Nein, danke",
      fileFailed: "Die Datei konnte nicht geladen werden — bitte erneut versuchen.", download: "Herunterladen"
    },
    uk: {
      open: "Напишіть нам", close: "Закрити чат", title: "Служба підтримки", human: "Поговорити з людиною",
      humanDone: "Консультанта повідомлено", onNow: "Консультанти зараз на звʼязку.",
      offNow: "Зараз неробочий час — ми відповімо якнайшвидше.",
      placeholder: "Напишіть повідомлення…", send: "Надіслати", attach: "Додати фото або PDF", you: "Ви",
      agent: "Консультант", ai: "ШІ-асистент", system: "Магазин", typing: "Консультант пише…",
      disclosure: "Вам відповідає автоматичний ШІ-асистент. Будь-коли можна попросити людину кнопкою вгорі.",
      failed: "Не надіслано — спробуємо ще раз.", connecting: "Зʼєднання…",
      tooBig: "Файл «{name}» завеликий (ліміт {mb} МБ).", badType: "Приймаємо лише фото (JPG, PNG, GIF, WebP) і PDF.",
      emailAsk: "Хочете отримати відповідь і на e-mail?", emailLabel: "Ваш e-mail", emailSave: "Зберегти",
      emailThanks: "Дякуємо — відповімо також на {email}.", emailBad: "Це не схоже на адресу e-mail.",
      unavailable: "Чат тимчасово недоступний.", log: "Розмова", dismiss: "Ні, дякую",
      fileFailed: "Не вдалося завантажити файл — спробуйте ще раз.", download: "Завантажити"
    }
  };
  var lang = pickLanguage(script.dataset.lang || document.documentElement.lang || navigator.language);
  var config = null, state = {}, shown = {}, nodes = {}, ws = null, retry = 0, retryTimer = null;
  var lastTyping = 0, typingTimer = null, disclosed = false;
  var ui = {};

  function pickLanguage(value) {
    var short = String(value || "pl").slice(0, 2).toLowerCase();
    return TEXT[short] ? short : "pl";
  }
  function t(key, values) {
    var text = (TEXT[lang] || TEXT.pl)[key] || TEXT.pl[key];
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // always as text: messages are untrusted
    return node;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // --- persistence (survives reloads: token, case, pending messages) -------------------------------
  function storeKey() { return "sprawa-chat:" + channel; }
  function save() {
    var pending = {};
    Object.keys(state.pending || {}).forEach(function (id) { if (!state.pending[id].file) pending[id] = { text: state.pending[id].text }; });
    var copy = { token: state.token, caseId: state.caseId, pending: pending, email: state.email, emailDismissed: state.emailDismissed, handedOff: state.handedOff, open: state.open };
    try { localStorage.setItem(storeKey(), JSON.stringify(copy)); } catch (e) { /* private mode: this tab only */ }
  }
  function load() {
    try { state = JSON.parse(localStorage.getItem(storeKey()) || "{}") || {}; } catch (e) { state = {}; }
    state.pending = state.pending || {};
    state.lastSeq = 0; // a fresh page shows the whole current conversation; reconnects resume by seq
  }

  // --- rendering -----------------------------------------------------------------------------
  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }
  function bubble(direction, author, text, extra) {
    if (author === "ai" && !disclosed) {
      disclosed = true;
      ui.log.appendChild(el("p", "sprawa-notice sprawa-disclosure", t("disclosure")));
    }
    var node = el("div", "sprawa-msg " + (direction === "in" ? "sprawa-mine" : "sprawa-theirs") + " sprawa-" + author + (extra ? " " + extra : ""));
    node.appendChild(el("span", "sprawa-author", author === "customer" ? t("you") : t(author === "agent" ? "agent" : author === "ai" ? "ai" : "system")));
    node.appendChild(el("span", "sprawa-text", text));
    ui.log.appendChild(node);
    scrollDown();
    return node;
  }
  // Files of a message: fetched with the visitor token (the link alone opens nothing), images shown
  // from the bytes (blob: URL, allowed by a strict CSP), other files saved under their name.
  var blobs = {};
  function fileUrl(f) {
    if (!blobs[f.id]) {
      blobs[f.id] = fetch(api + "/widget/v1/files/" + encodeURIComponent(f.id), { headers: { Authorization: "Bearer " + state.token } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
        .then(function (b) { return URL.createObjectURL(b); });
      blobs[f.id].catch(function () { delete blobs[f.id]; });
    }
    return blobs[f.id];
  }
  function saveFile(f, event) {
    event.preventDefault();
    fileUrl(f).then(function (url) {
      var a = el("a"); a.href = url; a.download = f.filename; a.hidden = true;
      document.body.appendChild(a); a.click(); a.remove();
    }).catch(function () { ui.error.textContent = t("fileFailed"); });
  }
  function fileList(files) {
    var list = el("div", "sprawa-files");
    files.forEach(function (f) {
      var link = el("a", "sprawa-file");
      link.href = "#";
      link.title = t("download") + ": " + f.filename;
      if (/^image\/(png|jpeg|gif|webp)$/.test(f.content_type)) {
        var img = el("img", "sprawa-preview");
        img.alt = f.filename;
        link.appendChild(img);
        fileUrl(f).then(function (url) { img.src = url; }).catch(function () { img.remove(); });
      }
      link.appendChild(el("span", null, "📎 " + f.filename + " (" + Math.max(1, Math.round(f.size / 1024)) + " kB)"));
      link.addEventListener("click", function (e) { saveFile(f, e); });
      list.appendChild(link);
    });
    return list;
  }
  function showMessage(m) {
    if (shown[m.seq]) return;
    var mine = m.client_message_id && state.pending[m.client_message_id];
    var node;
    if (mine && mine.node) {
      node = mine.node;
      node.classList.remove("sprawa-pending", "sprawa-failed");
      delete state.pending[m.client_message_id];
      save();
    } else if (m.client_message_id && nodes[m.client_message_id]) {
      node = nodes[m.client_message_id];
    } else {
      node = bubble(m.direction, m.author, m.text);
      if (m.files && m.files.length) {
        // A file sent alone carries its name as text: the file's own line says it already.
        if (m.files.length === 1 && m.text === "📎 " + m.files[0].filename) node.lastChild.remove();
        node.appendChild(fileList(m.files));
        scrollDown();
      }
    }
    shown[m.seq] = node;
    if (m.client_message_id) nodes[m.client_message_id] = node;
    if (m.seq > (state.lastSeq || 0)) state.lastSeq = m.seq;
    if (m.direction === "out") { ui.typing.textContent = ""; }
  }
  function resetConversation() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".sprawa-msg:not(.sprawa-pending):not(.sprawa-greeting), .sprawa-disclosure"), function (n) { n.remove(); });
    shown = {}; nodes = {}; disclosed = false;
  }

  // --- the connection ------------------------------------------------------------------------
  function onFrame(frame) {
    if (frame.type === "case") {
      if (frame.case.id !== state.caseId) {
        resetConversation(); // the conversation continues in another case: show it from its beginning
        state.caseId = frame.case.id; state.lastSeq = 0; save();
      }
    } else if (frame.type === "message") {
      showMessage(frame.message);
    } else if (frame.type === "ack") {
      acknowledged(frame.client_message_id, frame.seq);
    } else if (frame.type === "ready") {
      retry = 0;
      setStatus("");
      if (frame.case_id && !state.caseId) { state.caseId = frame.case_id; save(); }
      Object.keys(state.pending).forEach(function (id) { if (!state.pending[id].file) sendFrame(id); });
    } else if (frame.type === "typing") {
      ui.typing.textContent = t("typing");
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 4000);
    } else if (frame.type === "ping") {
      if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "ping" }));
    } else if (frame.type === "error" && frame.client_message_id && state.pending[frame.client_message_id]) {
      failed(frame.client_message_id, frame.message);
    }
  }
  function acknowledged(id, seq) {
    var mine = state.pending[id];
    if (!mine) return;
    if (mine.node) { mine.node.classList.remove("sprawa-pending", "sprawa-failed"); shown[seq] = mine.node; nodes[id] = mine.node; }
    delete state.pending[id];
    save();
  }
  function failed(id, message) {
    var mine = state.pending[id];
    if (!mine || !mine.node) return;
    mine.node.classList.add("sprawa-failed");
    mine.node.title = t("failed") + (message ? " (" + message + ")" : "");
  }
  function setStatus(text) { ui.status.textContent = text; }

  function startSession() {
    if (state.token) return Promise.resolve();
    return fetch(api + "/widget/v1/" + encodeURIComponent(channel) + "/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: lang })
    }).then(function (r) {
      if (!r.ok) throw new Error("session " + r.status);
      return r.json();
    }).then(function (s) { state.token = s.visitor_token; state.caseId = null; state.lastSeq = 0; save(); });
  }
  function connect() {
    if (!state.token || (ws && ws.readyState <= 1) || navigator.onLine === false) return;
    clearTimeout(retryTimer);
    var url = wsBase + "/widget/v1/ws?token=" + encodeURIComponent(state.token) +
      (state.caseId ? "&case_id=" + encodeURIComponent(state.caseId) + "&after_seq=" + (state.lastSeq || 0) : "");
    var socket = new WebSocket(url);
    ws = socket;
    socket.onmessage = function (e) { try { onFrame(JSON.parse(e.data)); } catch (err) { /* not ours */ } };
    socket.onclose = function (e) {
      if (ws === socket) ws = null;
      if (e.code === 4401) { state.token = null; state.caseId = null; save(); if (Object.keys(state.pending).length) startSession().then(connect); return; }
      if (e.code === 4404) { unavailable(); return; }
      setStatus(t("connecting"));
      retry = Math.min(retry + 1, 6);
      retryTimer = setTimeout(connect, 500 * Math.pow(2, retry)); // back off: 1 s … 32 s
    };
  }
  function authorized(path, options) {
    options.headers = options.headers || {};
    options.headers.Authorization = "Bearer " + state.token;
    return fetch(api + "/widget/v1" + path, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || String(r.status));
        return body;
      });
    });
  }
  function sendFrame(id) {
    var item = state.pending[id];
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "message", client_message_id: id, text: item.text }));
      return;
    }
    // No live connection: the HTTP API stores it the same way (and the same id keeps it single).
    authorized("/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_message_id: id, text: item.text })
    }).then(function (ack) { acknowledged(ack.client_message_id, ack.seq); })
      .catch(function () { failed(id); }); // stays pending; re-sent when the socket is back
  }
  function send(text) {
    var id = newId();
    state.pending[id] = { text: text, node: bubble("in", "customer", text, "sprawa-pending") };
    save();
    startSession().then(function () { connect(); sendFrame(id); askEmail(); }).catch(function () { failed(id); });
  }
  function sendFile(file) {
    ui.error.textContent = "";
    var limit = config.max_file_bytes;
    if (file.size > limit) { ui.error.textContent = t("tooBig", { name: file.name, mb: Math.round(limit / 1048576) }); return; }
    if (config.file_types.indexOf(file.type) < 0) { ui.error.textContent = t("badType"); return; }
    var id = newId();
    state.pending[id] = { file: true, text: "📎 " + file.name, node: bubble("in", "customer", "📎 " + file.name, "sprawa-pending") };
    startSession().then(function () {
      connect();
      var form = new FormData();
      form.append("file", file);
      form.append("client_message_id", id);
      return authorized("/attachments", { method: "POST", body: form });
    }).then(function (ack) { acknowledged(ack.client_message_id, ack.seq); askEmail(); })
      .catch(function (error) {
        ui.error.textContent = error.message;
        state.pending[id].node.remove();
        delete state.pending[id];
      });
  }
  function handoff() {
    ui.human.disabled = true;
    startSession().then(function () {
      return authorized("/handoff?lang=" + lang, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ client_message_id: newId() })
      });
    }).then(function (result) {
      state.handedOff = true;
      if (!state.caseId) state.caseId = result.case_id;
      save();
      humanDone();
      connect();
      askEmail();
    }).catch(function (error) { ui.human.disabled = false; ui.error.textContent = error.message; });
  }
  function humanDone() {
    ui.human.textContent = t("humanDone");
    ui.human.setAttribute("aria-pressed", "true");
    ui.human.disabled = false;
  }

  // --- optional e-mail, so the shop can answer later ------------------------------------------
  function askEmail() {
    if (!config.email_capture || state.email || state.emailDismissed || !ui.emailForm.hidden) return;
    ui.emailForm.hidden = false;
  }
  function saveEmail(event) {
    event.preventDefault();
    var value = ui.email.value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) { ui.emailNote.textContent = t("emailBad"); return; }
    authorized("/contact", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: value }) })
      .catch(function () { return null; })
      .then(function () {
        state.email = value; save();
        ui.emailForm.hidden = true;
        ui.log.appendChild(el("p", "sprawa-notice", t("emailThanks", { email: value })));
        scrollDown();
      });
  }

  // --- the widget's elements -----------------------------------------------------------------
  function clipIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "20"); svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5");
    path.setAttribute("fill", "none"); path.setAttribute("stroke", "currentColor"); path.setAttribute("stroke-width", "1.8");
    path.setAttribute("stroke-linecap", "round");
    svg.appendChild(path);
    return svg;
  }
  function build() {
    if (!document.querySelector('link[data-sprawa-chat]')) {
      var css = document.createElement("link");
      css.rel = "stylesheet"; css.href = api + "/widget/v1/widget.css"; css.setAttribute("data-sprawa-chat", "");
      document.head.appendChild(css);
    }
    var root = el("div", "sprawa-chat");
    root.setAttribute("lang", lang);
    if (config.accent_color && /^#[0-9a-fA-F]{3,8}$/.test(config.accent_color)) root.style.setProperty("--sprawa-accent", config.accent_color);
    ui.launcher = el("button", "sprawa-launcher", t("open"));
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.setAttribute("aria-controls", "sprawa-panel");
    ui.panel = el("section", "sprawa-panel");
    ui.panel.id = "sprawa-panel";
    ui.panel.hidden = true;
    ui.panel.setAttribute("role", "dialog");
    ui.panel.setAttribute("aria-label", config.channel_name || t("title"));
    var head = el("header", "sprawa-head");
    if (config.logo_url && /^https?:\/\//.test(config.logo_url)) {
      var logo = el("img", "sprawa-logo"); logo.src = config.logo_url; logo.alt = ""; head.appendChild(logo);
    }
    var titles = el("div", "sprawa-titles");
    titles.appendChild(el("strong", null, config.channel_name || t("title")));
    titles.appendChild(el("small", null, config.open_now ? t("onNow") : t("offNow")));
    ui.status = el("small", "sprawa-status");
    ui.status.setAttribute("aria-live", "polite");
    titles.appendChild(ui.status);
    head.appendChild(titles);
    var close = el("button", "sprawa-close", "×");
    close.type = "button"; close.setAttribute("aria-label", t("close"));
    head.appendChild(close);
    ui.human = el("button", "sprawa-human", t("human"));
    ui.human.type = "button";
    ui.log = el("div", "sprawa-log");
    ui.log.setAttribute("role", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.log.setAttribute("aria-label", t("log"));
    ui.typing = el("div", "sprawa-typing");
    ui.typing.setAttribute("aria-live", "polite");
    ui.error = el("div", "sprawa-error");
    ui.error.setAttribute("role", "alert");

    ui.emailForm = el("form", "sprawa-email");
    ui.emailForm.hidden = true;
    var emailLabel = el("label", null, t("emailAsk"));
    ui.email = el("input");
    ui.email.type = "email"; ui.email.autocomplete = "email"; ui.email.maxLength = 254;
    ui.email.setAttribute("aria-label", t("emailLabel")); ui.email.placeholder = t("emailLabel");
    emailLabel.appendChild(ui.email);
    var emailSave = el("button", null, t("emailSave")); emailSave.type = "submit";
    var emailNo = el("button", "sprawa-link", t("dismiss")); emailNo.type = "button";
    ui.emailNote = el("small", "sprawa-error");
    ui.emailForm.appendChild(emailLabel); ui.emailForm.appendChild(emailSave); ui.emailForm.appendChild(emailNo); ui.emailForm.appendChild(ui.emailNote);

    var form = el("form", "sprawa-form");
    var fileLabel = el("label", "sprawa-attach");
    fileLabel.setAttribute("title", t("attach"));
    fileLabel.appendChild(clipIcon());
    var fileLabelText = el("span", "sprawa-sr", t("attach"));
    fileLabel.appendChild(fileLabelText);
    ui.file = el("input");
    ui.file.type = "file"; ui.file.accept = config.file_types.join(","); ui.file.className = "sprawa-sr";
    fileLabel.appendChild(ui.file);
    ui.input = el("textarea");
    ui.input.maxLength = 5000; ui.input.rows = 1;
    ui.input.placeholder = t("placeholder");
    ui.input.setAttribute("aria-label", t("placeholder"));
    var sendButton = el("button", "sprawa-send", t("send"));
    sendButton.type = "submit";
    form.appendChild(fileLabel); form.appendChild(ui.input); form.appendChild(sendButton);

    [head, ui.human, ui.log, ui.typing, ui.emailForm, ui.error, form].forEach(function (n) { ui.panel.appendChild(n); });
    root.appendChild(ui.panel); root.appendChild(ui.launcher);
    document.body.appendChild(root);

    ui.launcher.addEventListener("click", function () { toggle(ui.panel.hidden); });
    close.addEventListener("click", function () { toggle(false); });
    ui.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
    ui.human.addEventListener("click", handoff);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = ui.input.value.trim();
      if (text) { ui.input.value = ""; ui.error.textContent = ""; send(text); }
    });
    ui.input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
    ui.input.addEventListener("input", function () {
      if (ws && ws.readyState === 1 && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        ws.send(JSON.stringify({ type: "typing" }));
      }
    });
    ui.file.addEventListener("change", function () { if (ui.file.files[0]) sendFile(ui.file.files[0]); ui.file.value = ""; });
    ui.emailForm.addEventListener("submit", saveEmail);
    emailNo.addEventListener("click", function () { state.emailDismissed = true; save(); ui.emailForm.hidden = true; });
  }
  function toggle(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    state.open = open; save();
    if (open) { connect(); ui.input.focus(); scrollDown(); } else { ui.launcher.focus(); }
  }
  function unavailable() {
    ui.launcher.disabled = true;
    ui.launcher.textContent = t("unavailable");
  }

  function init() {
    load();
    build();
    if (config.greeting) bubble("out", "system", config.greeting, "sprawa-greeting");
    if (state.handedOff) humanDone();
    // Unsent messages of the last page view are shown and sent again (same ids: never twice).
    Object.keys(state.pending).forEach(function (id) {
      state.pending[id].node = bubble("in", "customer", state.pending[id].text, "sprawa-pending");
    });
    if (state.token) connect();
    if (state.open) toggle(true);
    window.addEventListener("offline", function () { if (ws) ws.close(); });
    window.addEventListener("online", function () { retry = 0; connect(); });
  }

  if (!channel) return;
  fetch(api + "/widget/v1/" + encodeURIComponent(channel) + "/config?lang=" + lang)
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(function (c) { config = c; lang = pickLanguage(script.dataset.lang || c.language); init(); })
    .catch(function () { config = { file_types: [], max_file_bytes: 0 }; build(); unavailable(); });
})();
