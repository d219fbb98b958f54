// The case view: composer (reply/note, channel, canned replies, Ctrl+Enter), case controls, merge/split,
// the AI panel's optional parts, live re-reads of this case and keyboard shortcuts.
(function () {
  "use strict";
  const S = window.Sprawa;
  const view = document.getElementById("case-view");
  if (!view) return;
  const caseId = view.dataset.caseId;
  const en = document.documentElement.lang === "en";
  const T = (pl, english) => (en ? english : pl);
  let mode = "reply";
  let refreshTimer = null;
  let typingShown = null;
  let lastTyping = 0;

  const $ = (id) => document.getElementById(id);

  async function refresh() {
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    if (response.redirected || !response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("case-view");
    if (!fresh) return;
    const keep = document.activeElement;
    ["case-head", "timeline", "ai-panel", "customer-panel", "case-controls"].forEach((id) => {
      const old = $(id), next = doc.getElementById(id);
      if (!old || !next || (id === "case-controls" && old.contains(keep))) return;
      old.replaceWith(document.adoptNode(next));
    });
    wireDynamic();
    scrollToEnd();
  }
  function soon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
  function scrollToEnd() {
    const items = document.querySelectorAll("#timeline > li");
    if (items.length) items[items.length - 1].scrollIntoView({ block: "nearest" });
  }

  // --- composer ------------------------------------------------------------------------------
  const composer = $("composer");
  const text = $("composer-text");

  function setMode(next) {
    mode = next;
    if (!composer) return;
    composer.classList.toggle("note-mode", mode === "note");
    $("tab-reply").setAttribute("aria-selected", String(mode === "reply"));
    $("tab-note").setAttribute("aria-selected", String(mode === "note"));
    text.placeholder = mode === "note"
      ? T("Notatka widoczna tylko dla zespołu… (Ctrl+Enter zapisuje)", "Note visible to the team only… (Ctrl+Enter saves)")
      : T("Napisz odpowiedź… (Ctrl+Enter wysyła)", "Write a reply… (Ctrl+Enter sends)");
    $("composer-send").textContent = mode === "note" ? T("Zapisz notatkę", "Save note") : T("Wyślij", "Send");
    text.focus();
  }

  // --- composer files: uploaded at once (the server checks type and size), sent by id with the reply ---
  let files = []; // {id, filename, size} of finished uploads, in the order picked
  let uploading = 0;
  const picker = $("composer-file");
  const chips = $("composer-chips");
  const fileError = (message) => { const box = $("composer-file-error"); if (box) box.textContent = message || ""; };

  function channelTakesFiles() {
    const thread = $("composer-thread");
    const option = thread && thread.selectedOptions[0];
    return !!option && option.dataset.sendsFiles === "1";
  }
  function updateFilesAllowed() {
    if (!picker) return;
    const allowed = channelTakesFiles();
    picker.disabled = !allowed;
    $("composer-file-label").classList.toggle("disabled", !allowed);
    $("composer-file-label").setAttribute("aria-disabled", String(!allowed));
    $("composer-files-off").hidden = allowed;
  }
  function chip(name, size) {
    const li = document.createElement("li");
    li.className = "file-chip uploading";
    li.appendChild(document.createTextNode(`${name} (${Math.max(1, Math.round(size / 1024))} kB)`));
    chips.appendChild(li);
    return li;
  }
  function removable(li, id, name) {
    li.classList.remove("uploading");
    li.dataset.fileId = id;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", T("Usuń załącznik ", "Remove attachment ") + name);
    remove.addEventListener("click", () => { files = files.filter((f) => f.id !== id); li.remove(); text.focus(); });
    li.appendChild(remove);
  }
  async function upload(file) {
    const max = parseInt($("composer-files").dataset.maxBytes || "0", 10);
    if (max && file.size > max) {
      fileError(T(`Plik „${file.name}” jest za duży (limit ${(max / 1048576).toFixed(1)} MB).`, `The file “${file.name}” is too large (limit ${(max / 1048576).toFixed(1)} MB).`));
      return;
    }
    const li = chip(file.name, file.size);
    uploading += 1;
    try {
      const form = new FormData();
      form.append("file", file);
      const stored = await S.api(`/api/v1/cases/${caseId}/attachments`, { method: "POST", body: form });
      files.push({ id: stored.id, filename: stored.filename, size: stored.size });
      removable(li, stored.id, stored.filename);
    } catch (error) {
      li.remove();
      fileError(`${file.name}: ${error.message}`);
    } finally { uploading -= 1; }
  }
  if (picker) {
    picker.addEventListener("change", async () => {
      fileError("");
      const picked = Array.from(picker.files);
      picker.value = "";
      if (files.length + picked.length > 10) { fileError(T("Najwyżej 10 plików w jednej odpowiedzi.", "At most 10 files in one reply.")); return; }
      await Promise.all(picked.map(upload));
    });
    $("composer-thread").addEventListener("change", updateFilesAllowed);
    updateFilesAllowed();
  }

  async function submit() {
    const body = text.value.trim();
    if (!body) { S.toast(T("Wpisz treść.", "Write something first."), "error"); return; }
    if (mode === "reply" && uploading) { S.toast(T("Poczekaj, aż pliki się wgrają.", "Wait for the files to upload."), "error"); return; }
    if (mode === "reply" && files.length && !channelTakesFiles()) {
      fileError(T("Ten kanał nie przyjmuje załączników — wybierz inny kanał albo usuń pliki.", "This channel does not take attachments — choose another channel or remove the files."));
      return;
    }
    const button = $("composer-send");
    button.disabled = true;
    try {
      if (mode === "note") {
        await S.api(`/api/v1/cases/${caseId}/notes`, { method: "POST", json: { text: body } });
      } else {
        const json = { text: body };
        const thread = $("composer-thread");
        if (thread && thread.value) json.thread_id = thread.value;
        const after = $("composer-after");
        if (after && after.value) json.status_after = after.value;
        if (files.length) json.attachment_ids = files.map((f) => f.id);
        await S.api(`/api/v1/cases/${caseId}/replies`, { method: "POST", json });
        if (after) after.value = "";
        files = [];
        if (chips) chips.textContent = "";
        fileError("");
      }
      text.value = "";
      S.toast(mode === "note" ? T("Notatka zapisana.", "Note saved.") : T("Wysłano.", "Sent."));
      await refresh();
    } catch (error) {
      S.toast(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  if (composer) {
    composer.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
    $("tab-reply").addEventListener("click", () => setMode("reply"));
    $("tab-note").addEventListener("click", () => setMode("note"));
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
      if (event.key === "Escape") text.blur();
    });
    text.addEventListener("input", () => {
      if (mode === "reply" && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        S.liveSend({ type: "typing", case_id: caseId });
      }
    });
    const macro = $("composer-macro");
    if (macro) macro.addEventListener("change", async () => {
      if (!macro.value) return;
      try {
        const filled = await S.api(`/api/v1/cases/${caseId}/macros/${macro.value}/fill`, { method: "POST" });
        text.value = text.value.trim() ? text.value.trimEnd() + "\n\n" + filled.text : filled.text;
        if (filled.missing.length) {
          S.toast(T("Uzupełnij ręcznie: ", "Fill in by hand: ") + filled.missing.map((m) => "{" + m + "}").join(", "), "error");
        }
        setMode("reply");
      } catch (error) { S.toast(error.message, "error"); }
      macro.value = "";
    });
  }

  // --- case controls -------------------------------------------------------------------------
  async function patch(changes, message) {
    try {
      await S.api(`/api/v1/cases/${caseId}`, { method: "PATCH", json: changes });
      S.toast(message || T("Zapisano.", "Saved."));
      await refresh();
    } catch (error) { S.toast(error.message, "error"); await refresh(); }
  }

  function wireDynamic() {
    const controls = $("case-controls");
    if (controls && !controls.dataset.wired) {
      controls.dataset.wired = "1";
      $("ctl-assignee").addEventListener("change", (e) => patch({ assignee_id: e.target.value || null }));
      $("ctl-team").addEventListener("change", (e) => patch({ team_id: e.target.value || null }));
      $("ctl-status").addEventListener("change", (e) => patch({ status: e.target.value }));
      $("ctl-priority").addEventListener("change", (e) => patch({ priority: e.target.value }));
      $("assign-me").addEventListener("click", assignToMe);
      $("resolve").addEventListener("click", resolve);
      $("save-tags").addEventListener("click", () => patch({ tags: $("ctl-tags").value.split(",").map((x) => x.trim()).filter(Boolean) }));
    }
    document.querySelectorAll(".undo-link").forEach((button) => button.addEventListener("click", async () => {
      try {
        await S.api(`/api/v1/case-link-changes/${button.dataset.changeId}/undo`, { method: "POST" });
        S.toast(T("Cofnięto.", "Undone."));
        await refresh();
      } catch (error) { S.toast(error.message, "error"); }
    }));
    document.querySelectorAll("form.ai-flag").forEach((form) => form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await S.api(`/api/v1/cases/${caseId}/ai/decisions/${form.dataset.decisionId}/flags`, { method: "POST", json: { kind: form.kind.value } });
        S.toast(T("Dziękujemy — zgłoszenie trafi do raportu jakości AI.", "Thanks — the flag goes to the AI quality report."));
      } catch (error) { S.toast(error.message, "error"); }
    }));
    loadAssist();
    wireDraft();
  }

  function assignToMe() {
    const me = view.dataset.userId;
    if (me) patch({ assignee_id: me }, T("Przypisano do Ciebie.", "Assigned to you."));
  }
  function resolve() { patch({ status: "resolved" }, T("Sprawa rozwiązana.", "Case resolved.")); }

  // --- merge and split -----------------------------------------------------------------------
  const mergeForm = $("merge-form");
  if (mergeForm) mergeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("merge-number").value.replace("#", "").trim();
    try {
      const found = await S.api(`/api/v1/search?q=${encodeURIComponent("#" + number)}&limit=1`);
      const target = found.cases.find((c) => String(c.number) === number);
      if (!target) throw new Error(T("Nie ma sprawy o tym numerze.", "There is no case with this number."));
      const result = await S.api(`/api/v1/cases/${caseId}/merge`, { method: "POST", json: { into_case_id: target.id, reason: $("merge-reason").value.trim() } });
      location.href = `/app/cases/${result.target.id}`;
    } catch (error) { S.toast(error.message, "error"); }
  });
  const splitForm = $("split-form");
  if (splitForm) {
    $("split-start").addEventListener("click", () => {
      const on = !view.classList.contains("split-mode");
      view.classList.toggle("split-mode", on);
      document.querySelectorAll(".split-pick").forEach((label) => { label.hidden = !on; });
    });
    splitForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ids = Array.from(document.querySelectorAll(".split-check:checked")).map((box) => box.value);
      if (!ids.length) { S.toast(T("Zaznacz wiadomości do wydzielenia.", "Tick the messages to split off."), "error"); return; }
      try {
        const result = await S.api(`/api/v1/cases/${caseId}/split`, { method: "POST", json: { message_ids: ids, reason: $("split-reason").value.trim() } });
        location.href = `/app/cases/${result.target.id}`;
      } catch (error) { S.toast(error.message, "error"); }
    });
  }

  // --- AI assist: shown when the AI first line serves these endpoints (the page says which) ------------
  const served = (name) => (($("ai-panel") || {}).dataset || {}).assist && $("ai-panel").dataset.assist.split(" ").includes(name);
  const ACTIONS = {
    start_return: T("Rozpocznij zwrot", "Start a return"), cancel_order: T("Anuluj zamówienie", "Cancel the order"),
    offer_compensation: T("Zaproponuj rekompensatę", "Offer compensation"), send_replacement: T("Wyślij zamiennik", "Send a replacement"),
  };
  function item(list, text, extra) {
    const li = document.createElement("li");
    li.textContent = text;
    if (extra) li.appendChild(extra);
    list.appendChild(li);
    return li;
  }
  async function loadAssist() {
    if (!served("assist")) return;
    let data;
    try { data = await S.api(`/api/v1/cases/${caseId}/ai/assist`); } catch (_) { return; }
    if (data.summary) {
      $("ai-summary").querySelector("p").textContent = data.summary;
      const mood = data.mood || {};
      if (mood.trend) {
        const trend = { rising: T("rośnie", "rising"), falling: T("spada", "falling"), steady: T("stały", "steady") }[mood.trend] || mood.trend;
        $("ai-summary").querySelector(".mood-line").textContent = T("Frustracja: trend ", "Frustration trend: ") + trend;
      }
      $("ai-summary").hidden = false;
    }
    const actions = data.suggested_actions || [];
    if (actions.length) {
      const list = $("ai-actions").querySelector("ul");
      list.textContent = "";
      actions.forEach((a) => {
        const label = (ACTIONS[a.action] || a.action) + (a.args && a.args.order_number ? " · " + a.args.order_number : "");
        const li = item(list, label + (a.reason ? " — " + a.reason : ""));
        if (served("actions") && a.verdict !== "denied") {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "link-button";
          button.textContent = T("Wykonaj", "Run");
          button.addEventListener("click", async () => {
            // First click previews the policy check; the second one runs the action.
            const confirm = button.dataset.armed === "1";
            try {
              const out = await S.api(`/api/v1/cases/${caseId}/actions/${a.action}`, { method: "POST", json: { args: a.args || {}, confirm } });
              S.toast(en ? out.message_en : out.message_pl, out.status === "denied" ? "error" : undefined);
              if (!confirm && out.status === "preview") { button.dataset.armed = "1"; button.textContent = T("Potwierdź", "Confirm"); }
              if (confirm) soon();
            } catch (error) { S.toast(error.message, "error"); }
          });
          li.appendChild(button);
        }
      });
      $("ai-actions").hidden = false;
    }
    const articles = data.articles || [];
    if (articles.length) {
      const list = $("ai-articles").querySelector("ul");
      list.textContent = "";
      articles.slice(0, 3).forEach((p) => item(list, p.title || p.heading || p.slug || ""));
      $("ai-articles").hidden = false;
    }
    if ($("ai-empty")) $("ai-empty").hidden = true;
  }
  let draftText = "";
  function wireDraft() {
    const make = $("make-draft");
    if (!make || make.dataset.wired) return;
    make.dataset.wired = "1";
    make.addEventListener("click", async () => {
      make.disabled = true;
      try {
        const draft = await S.api(`/api/v1/cases/${caseId}/ai/draft`, { method: "POST" });
        draftText = draft.text || "";
        const box = $("ai-draft").querySelector(".draft-box");
        box.querySelector(".draft-text").textContent = draftText || T("AI nie ma propozycji odpowiedzi.", "The AI has no reply to propose.");
        box.hidden = false;
      } catch (error) { S.toast(error.message, "error"); }
      make.disabled = false;
    });
    $("use-draft").addEventListener("click", () => { if (text && draftText) { text.value = draftText; setMode("reply"); } });
  }

  // --- live ----------------------------------------------------------------------------------
  S.live((frame) => {
    if (frame.type === "reconnected" || frame.type === "resync") { soon(); return; }
    if (frame.case_id !== caseId) return;
    if (frame.type === "typing") {
      const state = $("live-state");
      if (frame.data && frame.data.who === "customer" && state) {
        state.textContent = T("Klient pisze…", "Customer is typing…");
        clearTimeout(typingShown);
        typingShown = setTimeout(() => { state.textContent = ""; }, 4000);
      }
      return;
    }
    soon();
  });

  document.addEventListener("sprawa:changed", soon);

  // --- keyboard ------------------------------------------------------------------------------
  function nextCase(step) {
    let order = null;
    try { order = JSON.parse(sessionStorage.getItem("sprawa-inbox-order") || "null"); } catch (_) { order = null; }
    if (!order || !order.ids) { location.href = "/app/inbox"; return; }
    const at = order.ids.indexOf(caseId);
    const next = order.ids[at + step];
    location.href = next ? `/app/cases/${next}` : order.url || "/app/inbox";
  }
  S.shortcut("r", () => setMode("reply"));
  S.shortcut("n", () => setMode("note"));
  S.shortcut("a", assignToMe);
  S.shortcut("e", resolve);
  S.shortcut("j", () => nextCase(1));
  S.shortcut("k", () => nextCase(-1));
  S.shortcut("u", () => { location.href = (JSON.parse(sessionStorage.getItem("sprawa-inbox-order") || "{}").url) || "/app/inbox"; });

  wireDynamic();
  scrollToEnd();
  view.dataset.ready = "1"; // shortcuts and live updates are wired
})();
