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

// Carrier settings: PUT /api/v1/commerce/carriers. Empty secret fields keep the stored ones; an empty
// tracking address restores the carrier's default page.
(function () {
  "use strict";
  const S = window.Sprawa;
  const form = document.getElementById("carrier-form");
  if (!form) return;
  const field = (name) => form.querySelector(`[name=${name}]`);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const inpost = {
      organization_id: field("organization_id").value.trim() || null,
      webhook_sources: field("webhook_sources").value.split("\n").map((v) => v.trim()).filter(Boolean),
    };
    const base = field("base_url");
    if (!base.disabled) inpost.base_url = base.value.trim() || null;
    form.querySelectorAll("input.secret").forEach((input) => { if (input.value) inpost[input.name] = input.value; });
    const tracking = {};
    form.querySelectorAll("input.tracking-url").forEach((input) => { tracking[input.name] = input.value.trim(); });
    try {
      await S.api(form.dataset.url, { method: "PUT", json: { inpost, tracking_urls: tracking } });
      S.toast(document.documentElement.lang === "en" ? "Saved." : "Zapisano.");
      setTimeout(() => location.reload(), 600);
    } catch (error) { S.toast(error.message, "error"); }
  });
})();

// "Test the connection" buttons: the answer says what works or what to fix, in the page's language.
(function () {
  "use strict";
  const S = window.Sprawa;
  const en = document.documentElement.lang === "en";
  document.querySelectorAll("button.connection-test").forEach((button) => {
    button.addEventListener("click", async () => {
      const out = document.getElementById(button.dataset.result);
      out.textContent = en ? "Checking…" : "Sprawdzam…";
      out.className = "test-result";
      button.disabled = true;
      try {
        const result = await S.api(button.dataset.url, { method: "POST" });
        if (result.ok) {
          out.textContent = en ? "The connection works." : "Połączenie działa.";
          out.classList.add("ok");
        } else {
          const text = en ? result.message.en : result.message.pl;
          out.textContent = result.detail ? `${text} (${result.detail})` : text;
          out.classList.add("warn");
        }
      } catch (error) {
        out.textContent = error.message;
        out.classList.add("warn");
      } finally { button.disabled = false; }
    });
  });
})();
