// The inbox: live re-reads on events (unread markers come from the server), keyboard moves (j/k, Enter, /), auto-submitting filters.
(function () {
  "use strict";
  const S = window.Sprawa;
  let selected = -1;
  let timer = null;

  function rows() { return Array.from(document.querySelectorAll("#case-list .case-row")); }

  function decorate() {
    const ids = rows().map((row) => row.dataset.caseId);
    // The case view's "next case" (j) walks this order.
    try { sessionStorage.setItem("sprawa-inbox-order", JSON.stringify({ url: location.pathname + location.search, ids })); } catch (_) { /* private mode */ }
    select(Math.min(selected, rows().length - 1), false);
  }

  function select(index, scroll) {
    const all = rows();
    all.forEach((row) => row.classList.remove("selected"));
    if (index < 0 || !all.length) { selected = -1; return; }
    selected = Math.max(0, Math.min(index, all.length - 1));
    all[selected].classList.add("selected");
    if (scroll !== false) {
      all[selected].scrollIntoView({ block: "nearest" });
      all[selected].querySelector("a").focus();
    }
  }

  async function refresh() {
    const response = await fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
    if (response.redirected || !response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    ["inbox-nav", "inbox-list"].forEach((id) => {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    });
    decorate();
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  document.addEventListener("DOMContentLoaded", () => {
    decorate();
    document.querySelectorAll("select.autosubmit").forEach((el) => el.addEventListener("change", () => el.form.requestSubmit()));
    S.live((frame) => {
      if (["case.created", "case.updated", "message.created", "reconnected", "resync"].includes(frame.type)) soon();
    });
    S.shortcut("j", () => select(selected + 1));
    S.shortcut("k", () => select(selected - 1));
    S.shortcut("Enter", () => { const row = rows()[selected]; if (row) location.href = row.querySelector("a").href; });
    S.shortcut("o", () => { const row = rows()[selected]; if (row) location.href = row.querySelector("a").href; });
    S.shortcut("/", () => document.getElementById("inbox-q").focus());
    document.getElementById("inbox").dataset.ready = "1"; // shortcuts and live updates are wired
  });
})();
