// RODO pages: register a request, export (ZIP download), erase, reject; retention settings; audit check.
(function () {
  "use strict";
  const S = window.Sprawa;
  const $ = (selector) => document.querySelector(selector);

  async function run(action) {
    try { await action(); } catch (error) { S.toast(error.message, "error"); }
  }

  const form = $("#dsr-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      if (form.dataset.caseId) data.case_id = form.dataset.caseId;
      run(async () => {
        const created = await S.api("/api/v1/privacy/requests", { method: "POST", json: data });
        form.hidden = true;
        $("#dsr-created").hidden = false;
        if (document.querySelector(".subnav")) window.location.href = "/app/privacy/requests/" + created.id;
      });
    });
  }

  const box = $("#dsr");
  const id = box ? box.dataset.requestId : null;
  const exportButton = $("#dsr-export");
  if (exportButton) {
    exportButton.addEventListener("click", () => run(async () => {
      const response = await fetch(`/api/v1/privacy/requests/${id}/export`, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": S.csrf },
      });
      if (!response.ok) throw new Error((await response.json()).error.message);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = `dane-osobowe-${id}.zip`;
      link.click();
      URL.revokeObjectURL(link.href);
      setTimeout(() => window.location.reload(), 500);
    }));
  }
  const eraseButton = $("#dsr-erase");
  if (eraseButton) {
    eraseButton.addEventListener("click", () => {
      if (!window.confirm(eraseButton.dataset.confirm)) return;
      run(async () => {
        await S.api(`/api/v1/privacy/requests/${id}/erase`, { method: "POST" });
        window.location.reload();
      });
    });
  }
  const reject = $("#dsr-reject");
  if (reject) {
    reject.addEventListener("submit", (event) => {
      event.preventDefault();
      run(async () => {
        await S.api(`/api/v1/privacy/requests/${id}/reject`, { method: "POST", json: Object.fromEntries(new FormData(reject)) });
        window.location.reload();
      });
    });
  }

  const retention = $("#retention-form");
  if (retention) {
    retention.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = {};
      for (const [key, value] of new FormData(retention)) data[key] = Number(value);
      run(async () => {
        await S.api("/api/v1/privacy/retention", { method: "PUT", json: data });
        window.location.reload();
      });
    });
  }

  const verify = $("#audit-verify");
  if (verify) {
    verify.addEventListener("click", () => run(async () => {
      const result = await S.api("/api/v1/audit/verify", { method: "POST" });
      const out = $("#audit-verify-result");
      out.textContent = result.intact
        ? `✓ ${result.entries}`
        : `✗ #${result.first_broken_seq}`;
      out.className = result.intact ? "ok" : "error";
    }));
  }
})();
