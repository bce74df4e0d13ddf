/* Ratings that could not be sent: they wait on this device and are sent by themselves,
   as the preparation's answers are. Loaded by iup.js only on the pupil's plan page
   (#outbox), once a rating form is open or a rating waits from before, so it is cached
   before the connection goes.
   A save that does not reach the server (no network, or a 5xx) is kept under
   localStorage["iup-draft:out"] (sign-out clears every iup-draft: key) with the form's
   idempotency key, made when the form was drawn: every retry carries the same key, so the
   server stores it once however often it goes. It goes with POST to the same path under
   /api (Idempotency-Key header) when the connection returns (the online event, a timer
   backing off to a minute, and the next load of the page). Until then the card says
   "waiting to be sent"; once stored, the card is drawn again from the server. A refusal
   (4xx other than 401) puts the text back as a draft and shows the form's error note.
   Plain ES2020, no inline code (CSP). */
(() => {
  "use strict";
  const box = document.getElementById("outbox");
  if (!box || window.iupOutbox) return;
  window.iupOutbox = true;
  const KEY = "iup-draft:out";
  const load = () => { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch { return []; } };
  const keep = (items) => {
    try { if (items.length) localStorage.setItem(KEY, JSON.stringify(items)); else localStorage.removeItem(KEY); } catch { /* private mode */ }
  };
  const draft = (name, value) => {
    try { if (value) localStorage.setItem("iup-draft:" + name, JSON.stringify(value)); else localStorage.removeItem("iup-draft:" + name); } catch { /* private mode */ }
  };
  const token = () => document.querySelector("meta[name='csrf-token']")?.content || "";
  const say = (text) => { const live = document.getElementById("live"); if (live) live.textContent = text; };
  const formOf = (e) => e.target?.closest?.("form[data-draft^='sa-']");
  const failedNote = (form, shown) => {
    const note = form && form.querySelector("[data-send-failed]");
    if (note) { note.hidden = !shown; if (shown) note.focus(); }
  };
  let sending = false;
  let retry = 0;
  let timer = 0;
  const later = () => {
    clearTimeout(timer);
    retry = Math.min(retry ? retry * 2 : 2000, 60000);
    timer = setTimeout(send, retry);
  };

  // Each card with a rating waiting says so; the form it was sent from steps aside.
  function mark() {
    const items = load();
    document.querySelectorAll("article.goal").forEach((card) => {
      const waiting = items.filter((i) => i.card === card.id);
      let note = card.querySelector("[data-outbox-waiting]");
      if (waiting.length && !note) {
        note = document.createElement("p");
        note.className = "notice";
        note.setAttribute("data-outbox-waiting", "");
        note.textContent = box.dataset.waiting;
        (card.querySelector(".goal__latest") || card.firstElementChild).after(note);
      } else if (!waiting.length && note) note.remove();
      const form = card.querySelector("form[data-draft^='sa-']");
      if (form && form.elements.key) form.hidden = waiting.some((i) => i.key === form.elements.key.value);
    });
  }

  function queue(form) {
    const f = form.elements;
    const card = form.closest("article.goal");
    if (!f.level.value || !f.key || !card) { failedNote(form, true); return; }
    const items = load().filter((i) => i.key !== f.key.value);
    items.push({
      card: card.id,
      url: "/api" + new URL(form.action).pathname,
      key: f.key.value,
      level: Number(f.level.value),
      comment: f.comment.value,
      draft: form.dataset.draft,
    });
    keep(items);
    // The outbox holds it now: no draft of it stays, not even from the change event a
    // field sends when the page is left, which would open the card again on her return.
    form.reset();
    draft(form.dataset.draft, null);
    mark();
    say(box.dataset.waiting);
    later();
  }

  // A card drawn again from the server, with the "saved" line, and "to do now" with it.
  async function redraw(item) {
    const r = await fetch("/?saved=" + item.card.slice(5), { credentials: "same-origin" });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    [item.card, "todo"].forEach((id) => {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (!fresh || !old) return;
      fresh.querySelectorAll("[data-focus]").forEach((el) => el.removeAttribute("data-focus"));
      old.replaceWith(fresh);
      if (window.htmx) htmx.process(fresh);
    });
    const saved = document.getElementById(item.card + "-saved");
    if (saved) say(saved.textContent.replace(/\s+/g, " ").trim());
  }

  async function send() {
    if (sending || !load().length) return;
    if (!navigator.onLine) { later(); return; }
    sending = true;
    try {
      for (const item of load()) {
        const r = await fetch(item.url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            "x-csrftoken": token(),
            "idempotency-key": item.key,
          },
          body: JSON.stringify({ level: item.level, comment: item.comment }),
        });
        if (r.status === 401 || r.status >= 500) { later(); return; }  // signed out, or down: later
        keep(load().filter((i) => i.key !== item.key));
        if (!r.ok) draft(item.draft, { level: String(item.level), comment: item.comment });
        await redraw(item).catch(() => {});
        if (!r.ok) failedNote(document.querySelector(`form[data-draft="${item.draft}"]`), true);
      }
      retry = 0;
    } catch { later(); } finally { sending = false; mark(); }
  }

  // A save that did not reach the server: no network (htmx:error), or the server failed.
  // A 401 with x-iup-held is iup.js's (it posts the form again); 422 is swapped, with errors.
  document.addEventListener("htmx:error", (e) => { const form = formOf(e); if (form) queue(form); });
  document.addEventListener("htmx:response:error", (e) => {
    const form = formOf(e);
    const status = e.detail.ctx?.response?.status || 0;
    if (!form || status === 401) return;
    if (status >= 500) queue(form); else failedNote(form, true);
  });
  document.addEventListener("htmx:before:request", (e) => failedNote(formOf(e), false));
  document.addEventListener("htmx:after:settle", mark);
  window.addEventListener("online", () => { retry = 0; send(); });
  box.dataset.ready = "";
  mark();
  send();
})();
