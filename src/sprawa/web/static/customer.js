// The customer panel: VIP and "watch" flags switched on and off through the customers API.
(function () {
  "use strict";
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.flag-toggle");
    if (!button) return;
    const on = button.getAttribute("aria-pressed") !== "true";
    try {
      await window.Sprawa.api(`/api/v1/customers/${button.dataset.customerId}`, {
        method: "PATCH",
        json: { flags: { [button.dataset.flag]: on } },
      });
      button.setAttribute("aria-pressed", String(on));
      document.dispatchEvent(new CustomEvent("sprawa:changed")); // the case view re-reads its panels
    } catch (error) { window.Sprawa.toast(error.message, "error"); }
  });
})();
