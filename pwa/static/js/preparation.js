/* Preparing for the talk, offline too. What she types is kept on this device under
   localStorage["iup-draft:prep:<person>:<pupil>"] (sign-out clears every iup-draft: key),
   put back after a reload, and sent by itself with PUT to the form's JSON endpoint when
   the connection returns (and on load when online), with the version it was based on.
   A 409 posts the form so the server shows both texts to choose from; a 401 keeps the
   text for after signing in again. Plain ES2020, no inline code (CSP). */
(() => {
  "use strict";
  const form = document.querySelector("form[data-prep-key]");
  if (!form) return;
  const key = "iup-draft:" + form.dataset.prepKey;
  const status = document.querySelector("[data-prep-status]");
  const load = () => { try { return JSON.parse(localStorage.getItem(key)); } catch { return null; } };
  const keep = (d) => { try { localStorage.setItem(key, JSON.stringify(d)); } catch { /* private mode */ } };
  const drop = () => { try { localStorage.removeItem(key); } catch { /* private mode */ } };
  const say = (word) => { if (status) status.textContent = status.dataset[word] || ""; };
  const areas = () => Array.from(form.querySelectorAll("textarea[name^='q']"));
  const version = () => Number(form.elements.version.value) || 0;
  const token = () => document.querySelector("meta[name='csrf-token']")?.content || "";
  let sending = false;
  // navigator.onLine is only a hint (it can say online with no network): a send that fails
  // tries again by itself, sooner after an `online` event, at most a minute apart.
  let retry = 0;
  let timer = 0;
  const later = () => {
    clearTimeout(timer);
    retry = Math.min(retry ? retry * 2 : 2000, 60000);
    timer = setTimeout(send, retry);
  };

  // The server has what she wrote: after a plain save, or on the page that shows both
  // texts after a conflict (her text is in the fields; a new edit keeps it again).
  if (document.querySelector("[data-prep-saved]") || form.hasAttribute("data-prep-conflict")) drop();

  function capture(ready) {
    const answers = {};
    areas().forEach((t) => { if (t.value !== t.defaultValue) answers[t.name.slice(1)] = t.value; });
    const before = load();
    const d = { version: before ? before.version : version(), answers };
    const shared = form.elements.shared;
    if (shared && shared.checked !== shared.defaultChecked) d.shared = shared.checked;
    if (ready || (before && before.ready)) d.ready = true;
    if (Object.keys(answers).length || "shared" in d || d.ready) keep(d); else drop();
  }

  function restore() {
    const d = load();
    if (!d || typeof d !== "object" || !d.answers) return false;
    areas().forEach((t) => { const text = d.answers[t.name.slice(1)]; if (typeof text === "string") t.value = text; });
    const shared = form.elements.shared;
    if (shared && typeof d.shared === "boolean") shared.checked = d.shared;
    say("device");
    return true;
  }

  async function send() {
    const d = load();
    if (!d || sending) return;
    if (!navigator.onLine) { later(); return; }
    sending = true;
    const body = {
      version: d.version,
      answers: Object.entries(d.answers || {}).map(([q, text]) => ({ question_id: Number(q), text })),
    };
    if (typeof d.shared === "boolean") body.shared = d.shared;
    if (d.ready) body.ready = true;
    try {
      const r = await fetch(form.dataset.api, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": token() },
        body: JSON.stringify(body),
      });
      if (r.ok) {
        const saved = await r.json();
        form.elements.version.value = String(saved.version);
        saved.answers.forEach((a) => {
          const t = form.elements["q" + a.question_id];
          if (t && d.answers[a.question_id] !== undefined) t.defaultValue = a.text;
        });
        const now = load();
        if (now && JSON.stringify(now.answers) !== JSON.stringify(d.answers)) {
          now.version = saved.version; keep(now);  // she typed on while it was sent
        } else drop();
        retry = 0;
        say("sent");
      } else if (r.status === 409) {
        // Both texts, side by side, from the server: post her text with its old version.
        areas().forEach((t) => { const text = d.answers[t.name.slice(1)]; if (typeof text === "string") t.value = text; });
        form.elements.version.value = String(d.version);
        form.submit();
      } else if (r.status === 401) say("signin");
      else say("failed");
    } catch { say("device"); later(); } finally { sending = false; }
  }

  const onEdit = () => { capture(false); say("device"); };
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  form.addEventListener("submit", (e) => {
    if (navigator.onLine) return;  // online: the plain post, which works without us too
    e.preventDefault();
    capture(e.submitter && e.submitter.name === "ready");
    say("device");
  });
  window.addEventListener("online", () => { retry = 0; send(); });
  if (!form.hasAttribute("data-prep-conflict") && restore()) send();
})();
