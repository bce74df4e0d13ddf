/* The import page: the upload shows how far it is, sent (a percentage), then imported on
   the server. htmx 4 sends with fetch, which reports no upload progress; XMLHttpRequest
   does. The answer is the form's section again (a result or a refusal), as htmx would
   swap it; any other answer, or none, falls back to the plain post. Loaded on that page
   only. Plain ES2020, no inline code (CSP). */
(() => {
  "use strict";

  function upload(e) {
    const form = e.target;
    const box = form.querySelector?.("[data-upload-progress]");
    if (!box || !window.FormData) return;
    e.preventDefault();
    const bar = box.querySelector("progress");
    const status = box.querySelector("[role=status]");
    const say = (text) => { status.textContent = text; };
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("HX-Request", "true");
    request.upload.addEventListener("progress", (p) => {
      if (!p.lengthComputable) return;
      bar.value = Math.round((100 * p.loaded) / p.total);
      say(status.dataset.sending.replace("%(percent)s", bar.value));
    });
    request.upload.addEventListener("load", () => { bar.removeAttribute("value"); say(status.dataset.working); });
    request.addEventListener("load", () => {
      const section = form.closest("section");
      if (![200, 409, 413, 422].includes(request.status) || !section ||
          !request.responseText.trimStart().startsWith("<section")) { form.submit(); return; }
      section.outerHTML = request.responseText;
      // The result (or the refusal's summary) holds the focus, as after an htmx swap.
      const shown = document.querySelector("[data-focus]");
      if (shown) {
        shown.removeAttribute("data-focus");
        shown.focus({ preventScroll: true });
        shown.scrollIntoView({ block: "nearest" });
      }
    });
    request.addEventListener("error", () => form.submit());
    box.hidden = false;
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    request.send(new FormData(form));
  }
  document.addEventListener("submit", upload);
})();
