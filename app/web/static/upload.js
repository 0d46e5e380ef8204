// The upload form, improved: files can be dropped on it, and it is sent with fetch so that an
// error (too big, wrong file, past the deadline, too many uploads) shows in place. Without
// this script the form still posts and the server answers with a page.
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form) return;
  const drop = document.getElementById("drop");
  const chosen = document.getElementById("chosen");
  const errorBox = document.getElementById("upload-error");
  const inputs = { "mlp.py": document.getElementById("mlp"), "gd.py": document.getElementById("gd") };
  const dropped = {};

  function describe() {
    const names = Object.keys(inputs).filter((n) => dropped[n] || inputs[n].files.length);
    chosen.textContent = names.length ? "Ready to submit: " + names.join(", ") : "";
  }
  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    errorBox.setAttribute("tabindex", "-1");
    errorBox.focus();
  }
  Object.values(inputs).forEach((input) => input.addEventListener("change", describe));
  ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => drop.addEventListener(type, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    const refused = [];
    for (const file of event.dataTransfer.files) {
      if (file.name in inputs) dropped[file.name] = file;
      else refused.push(file.name);
    }
    if (refused.length) showError("Only mlp.py and gd.py are graded, not " + refused.join(", ") + ".");
    describe();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    for (const [name, input] of Object.entries(inputs)) {
      const file = dropped[name] || input.files[0];
      if (file) body.append(input.name, file, file.name);
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, { method: "POST", body: body,
        headers: { Accept: "application/json" }, credentials: "same-origin" });
      let answer = {};
      try { answer = await response.json(); } catch (ignored) { answer = {}; }
      if (response.ok && answer.url) {
        window.location.assign(answer.url);
        return;
      }
      let text = answer.detail || ("The upload failed (HTTP " + response.status + ").");
      const retry = response.headers.get("Retry-After");
      if (response.status === 429 && retry) {
        const at = new Date(Date.now() + Number(retry) * 1000);
        text += " (you can upload again at " + at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ")";
      }
      showError(text);
    } catch (error) {
      showError("The upload did not reach the server: check your connection and try again.");
    } finally {
      button.disabled = false;
    }
  });
})();
