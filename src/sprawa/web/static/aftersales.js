// After-sales: upload checks on the public self-service page; JSON forms of the agents' queues and forms.
(function () {
  "use strict";

  // --- Self-service page: refuse a wrong or too big file before it is sent (the server checks again). ---
  const section = document.querySelector(".self-service");
  const photos = document.getElementById("photos");
  if (section && photos) {
    const allowed = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "video/mp4", "video/quicktime"];
    const extensions = [".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".mp4", ".mov"];
    const maxFiles = Number(section.dataset.maxFiles);
    const maxBytes = Number(section.dataset.maxMb) * 1024 * 1024;
    const box = document.getElementById("upload-error");
    const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

    function problem() {
      const files = Array.from(photos.files);
      if (files.length > maxFiles) return fill(section.dataset.msgCount, { n: maxFiles });
      for (const file of files) {
        const name = file.name.toLowerCase();
        const typeOk = allowed.includes(file.type) || extensions.some((ext) => name.endsWith(ext));
        if (!typeOk) return fill(section.dataset.msgType, { name: file.name });
        if (file.size > maxBytes) {
          const size = (file.size / 1024 / 1024).toFixed(1).replace(".", ",");
          return fill(section.dataset.msgSize, { name: file.name, size: size, mb: section.dataset.maxMb });
        }
      }
      return "";
    }

    photos.addEventListener("change", () => {
      const text = problem();
      box.textContent = text;
      box.hidden = !text;
      if (text) photos.value = "";
    });
    photos.form.addEventListener("submit", (event) => {
      const text = problem();
      if (text) {
        event.preventDefault();
        box.textContent = text;
        box.hidden = false;
      }
    });
  }

  // --- Agent pages: forms posting JSON to the API, then reloading the page or fragment. ---
  function payload(form) {
    const data = {};
    const lines = [];
    for (const field of form.elements) {
      if (!field.name || field.disabled) continue;
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) continue;
      if (field.name.startsWith("qty_")) {
        const quantity = Number(field.value);
        if (quantity > 0) lines.push({ line_id: field.name.slice(4), quantity: quantity });
        continue;
      }
      if (field.name.endsWith("[]")) {
        const key = field.name.slice(0, -2);
        (data[key] = data[key] || []).push(field.value);
        continue;
      }
      if (field.value === "" && field.dataset.optional !== undefined) continue;
      data[field.name] = field.type === "checkbox" && field.value === "on" ? true : field.value;
    }
    if (form.dataset.lines !== undefined) data.lines = lines;
    return data;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const button = event.submitter || form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    try {
      await window.Sprawa.api(form.dataset.api, { method: "POST", json: payload(form) });
      window.Sprawa.toast(form.dataset.done || "OK", "ok");
      window.location.reload();
    } catch (error) {
      window.Sprawa.toast(error.message, "error");
      if (button) button.disabled = false;
    }
  });

  // Select all rows of a queue.
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name='return_ids[]']").forEach((box) => { box.checked = all.checked; });
    });
  }

  // The decision form's templated answers: fill the answer, the decision and the remedy.
  const pick = document.getElementById("answer-template");
  if (pick) {
    pick.addEventListener("change", () => {
      const option = pick.selectedOptions[0];
      if (!option || !option.dataset.text) return;
      document.getElementById("answer").value = option.dataset.text;
      const decision = document.querySelector(`input[name='decision'][value='${option.dataset.decision}']`);
      if (decision) decision.checked = true;
      if (option.dataset.remedy) document.getElementById("granted_remedy").value = option.dataset.remedy;
    });
  }
})();
