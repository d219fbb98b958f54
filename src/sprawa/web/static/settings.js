// Settings pages: forms that write through the JSON API (class "api-form"), one-click actions
// ("api-action"), and the knowledge editor's live preview.
(function () {
  "use strict";
  const S = window.Sprawa;

  function setPath(target, path, value) {
    const keys = path.split(".");
    let node = target;
    keys.slice(0, -1).forEach((key) => { node = node[key] = Object.assign({}, node[key] || {}); });
    node[keys[keys.length - 1]] = value;
  }

  // Fields: data-type json | list | bool | int; data-empty="null" sends null for an empty value.
  function formBody(form) {
    const body = form.dataset.base ? JSON.parse(form.dataset.base) : {};
    for (const field of form.elements) {
      if (!field.name) continue;
      let value = field.value;
      const type = field.dataset.type;
      if (type === "bool") value = field.checked;
      else if (type === "json") value = JSON.parse(value);
      else if (type === "list") value = value.split(",").map((x) => x.trim()).filter(Boolean);
      else if (type === "int") value = parseInt(value, 10);
      else if (value === "" && field.dataset.empty === "null") value = null;
      setPath(body, field.name, value);
    }
    return form.dataset.whole ? body[form.dataset.whole] : body;
  }

  function after(form) {
    if (form.dataset.after) location.href = form.dataset.after;
    else setTimeout(() => location.reload(), 600);
  }

  document.querySelectorAll("form.api-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let json;
      try { json = formBody(form); } catch (error) {
        S.toast((document.documentElement.lang === "en" ? "Invalid JSON: " : "Błędny JSON: ") + error.message, "error");
        return;
      }
      try {
        await S.api(form.dataset.url, { method: form.dataset.method || "POST", json });
        S.toast(document.documentElement.lang === "en" ? "Saved." : "Zapisano.");
        after(form);
      } catch (error) { S.toast(error.message, "error"); }
    });
    form.querySelectorAll("select.autosave").forEach((select) => select.addEventListener("change", () => form.requestSubmit()));
  });

  document.querySelectorAll("button.api-action").forEach((button) => {
    button.addEventListener("click", async () => {
      // Destructive actions ask by changing their own label first: no browser dialogs.
      if (button.dataset.twice && !button.dataset.armed) {
        button.dataset.armed = "1";
        button.textContent = button.dataset.twice;
        return;
      }
      try {
        await S.api(button.dataset.url, { method: button.dataset.method || "POST" });
        S.toast(document.documentElement.lang === "en" ? "Done." : "Gotowe.");
        setTimeout(() => location.reload(), 600);
      } catch (error) { S.toast(error.message, "error"); }
    });
  });

  // Policy forms: rows added from a <template> (weekday hours, holidays) and removed in place.
  document.addEventListener("click", (event) => {
    const add = event.target.closest("button.add-row");
    if (add) {
      const target = document.getElementById(add.dataset.target);
      if (target.querySelectorAll(".row").length >= parseInt(add.dataset.max || "100", 10)) return;
      const row = document.getElementById(add.dataset.template).content.firstElementChild.cloneNode(true);
      target.appendChild(row);
      row.querySelector("input").focus();
      return;
    }
    const remove = event.target.closest("button.remove-row");
    if (remove) remove.closest(".row").remove();
  });

  const body = document.getElementById("art-body");
  const preview = document.getElementById("article-preview");
  if (body && preview) {
    let timer = null;
    body.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const response = await fetch("/app/settings/knowledge/preview", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": S.csrf },
          body: JSON.stringify({ body: body.value }),
        });
        // The server returns Markdown rendered and sanitised (nh3): safe to insert as HTML.
        if (response.ok) preview.innerHTML = await response.text();
      }, 300);
    });
  }
})();
