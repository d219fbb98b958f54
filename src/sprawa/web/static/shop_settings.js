// Shop connection settings: show the credential fields of the chosen platform and save through
// PUT /api/v1/commerce/connection. Empty credential fields keep the stored ones (they are never shown back).
(function () {
  "use strict";
  const S = window.Sprawa;
  const form = document.getElementById("shop-form");
  if (!form) return;
  const kind = form.querySelector("select[name=kind]");
  const groups = form.querySelectorAll(".shop-fields");

  function current() { return form.querySelector(`.shop-fields[data-kind="${kind.value}"]`); }

  kind.addEventListener("change", () => groups.forEach((g) => { g.hidden = g.dataset.kind !== kind.value; }));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const group = current();
    const json = { kind: kind.value };
    const url = group.querySelector("input[name=base_url]");
    if (url && url.value.trim()) json.base_url = url.value.trim();
    const credentials = {};
    group.querySelectorAll("input.credential").forEach((input) => {
      if (input.value) credentials[input.name] = input.value;
    });
    if (Object.keys(credentials).length) json.credentials = credentials;
    try {
      await S.api(form.dataset.url, { method: "PUT", json });
      S.toast(document.documentElement.lang === "en" ? "Saved." : "Zapisano.");
      setTimeout(() => location.reload(), 600);
    } catch (error) { S.toast(error.message, "error"); }
  });
})();
