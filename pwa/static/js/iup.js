/* IUP glue: drafts that survive, htmx events, service worker, loading the ratings' outbox.
   Passkey ceremonies, and forgetting this device's drafts after signing out, live in
   passkey.js, loaded only on the pages with passkey buttons.
   Plain ES2020, loaded with defer. No inline code, no eval, no el.style (CSP). */
(() => {
  "use strict";
  if (window.iupLoaded) return;
  window.iupLoaded = true;

  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /* Drafts: localStorage["iup-draft:" + KEY] */
  const PREFIX = "iup-draft:";
  const store = {
    get: (k) => { try { return JSON.parse(localStorage.getItem(PREFIX + k)); } catch { return null; } },
    set: (k, v) => { try { localStorage.setItem(PREFIX + k, JSON.stringify(v)); } catch { /* private mode */ } },
    del: (k) => { try { localStorage.removeItem(PREFIX + k); } catch { /* private mode */ } },
  };
  const TEXT = ["text", "search", "number", "date", "url"];
  // Hidden inputs (CSRF token, record version) are never saved.
  const fields = (form) => Array.from(form.elements).filter((el) => el.name && !el.disabled &&
    (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && (el.type === "radio" || TEXT.includes(el.type)))));

  function saveDraft(form) {
    const data = {};
    fields(form).forEach((el) => {
      if (el.type === "radio" ? el.checked : el.value) data[el.name] = el.value;
    });
    if (Object.keys(data).length) store.set(form.dataset.draft, data); else store.del(form.dataset.draft);
  }

  function restoreDrafts() {
    $$("[data-draft-saved]").forEach((el) => store.del(el.getAttribute("data-draft-saved")));
    $$("form[data-draft]").forEach((form) => {
      const data = store.get(form.dataset.draft);
      if (!data || typeof data !== "object") return;
      let restored = false;
      const els = fields(form);
      Object.entries(data).forEach(([name, value]) => {
        const group = els.filter((el) => el.name === name);
        if (group[0] && group[0].type === "radio") {
          const pick = group.find((el) => el.value === value);
          if (pick && !group.some((el) => el.checked)) { pick.checked = true; restored = true; }
        } else if (group[0] && !group[0].value) { group[0].value = value; restored = true; }
      });
      const note = form.querySelector("[data-draft-restored]") ||
        document.querySelector(`[data-draft-restored="${CSS.escape(form.dataset.draft)}"]`);
      if (restored && note) note.hidden = false;
    });
  }

  // A closed card whose goal has a draft on this device opens by itself, so the text shows.
  function openDrafted() {
    $$("[data-opens]").forEach((link) => {
      if (!store.get(link.dataset.opens)) return;
      if (window.htmx) {
        htmx.ajax("GET", link.getAttribute("hx-get"), { target: link.getAttribute("hx-target"), swap: "outerHTML" });
      } else location.assign(link.href);
    });
  }

  const onEdit = (e) => { const form = e.target.form; if (form && form.dataset.draft) saveDraft(form); };
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  /* The result of a save holds the focus, on screen */
  // A saved rating's confirmation or a refused save's error summary is marked [data-focus]:
  // focused, scrolled into view, and read out by the live region that was there first.
  function show(el) {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    const live = el.getAttribute("role") !== "alert" && document.getElementById("live");
    if (live) setTimeout(() => { live.textContent = el.textContent.replace(/\s+/g, " ").trim(); }, 50);
  }
  function focusResult() {
    const el = document.querySelector("[data-focus]");
    if (el) { el.removeAttribute("data-focus"); show(el); }
  }

  // A rating that cannot be sent waits on the device and goes by itself: outbox.js, loaded
  // on the plan page (#outbox) once a rating form is open (so it is cached before the
  // connection goes) or a rating waits from before.
  let boxed;
  function outbox() {
    const box = document.getElementById("outbox");
    if (box && !boxed && (store.get("out") || $$("form[data-draft^=sa-]").length)) {
      boxed = document.head.appendChild(Object.assign(document.createElement("script"), { src: box.dataset.src }));
    }
  }

  // A redirect names its result as the place to show (?saved=1#done): a fragment naming a
  // place that cannot hold the focus would make Chromium clear it after this script.
  function init() { restoreDrafts(); openDrafted(); focusResult(); outbox(); }
  init();
  // htmx 4 events (2.x: afterSettle, sendError, responseError, beforeRequest).
  document.addEventListener("htmx:after:settle", init);
  // A save that met an ended session (401, x-iup-held) goes again as a plain form (every
  // form carries its token and action): that page holds it while she signs in (errors.py).
  document.addEventListener("htmx:response:error", (e) => {
    const c = e.detail.ctx, f = c.request.form, b = c.request.submitter;
    if (c.response.status !== 401 || !c.response.headers.get("x-iup-held") || !f) return;
    if (b && b.name) f.append(Object.assign(document.createElement("input"), { type: "hidden", name: b.name, value: b.value }));
    f.submit();
  });

  /* Service worker */
  if ("serviceWorker" in navigator) {
    const register = () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    if (document.readyState === "complete") register(); else window.addEventListener("load", register);
  }
})();
