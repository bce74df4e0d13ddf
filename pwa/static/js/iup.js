/* IUP glue: CSRF header, passkey ceremonies, drafts that survive, service worker.
   Plain ES2020, loaded with defer. No inline code, no eval, no el.style (CSP). */
(() => {
  "use strict";
  if (window.iupLoaded) return;
  window.iupLoaded = true;

  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // POST JSON with the CSRF header; throws an Error carrying the server's message on 4xx/5xx.
  async function post(url, data) {
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(data),
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrf() },
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error("HTTP " + res.status);
      const text = body && (body.message || body.detail);
      if (typeof text === "string") err.serverMessage = text;
      throw err;
    }
    return body || {};
  }

  /* ---- Passkeys (WebAuthn) ------------------------------------------------ */
  const b64uToBuf = (s) => {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  };
  const bufToB64u = (buf) =>
    btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const withIds = (list) => list && list.map((c) => ({ ...c, id: b64uToBuf(c.id) }));

  function creationOptions(json) {
    const P = window.PublicKeyCredential;
    if (typeof P.parseCreationOptionsFromJSON === "function") return P.parseCreationOptionsFromJSON(json);
    return { ...json, challenge: b64uToBuf(json.challenge), user: { ...json.user, id: b64uToBuf(json.user.id) },
      excludeCredentials: withIds(json.excludeCredentials) || [] };
  }
  function requestOptions(json) {
    const P = window.PublicKeyCredential;
    if (typeof P.parseRequestOptionsFromJSON === "function") return P.parseRequestOptionsFromJSON(json);
    return { ...json, challenge: b64uToBuf(json.challenge), allowCredentials: withIds(json.allowCredentials) || [] };
  }
  // Same shape as credential.toJSON(): binary as base64url without padding.
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    const r = cred.response;
    const out = { id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) } };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      out.response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64u(r.userHandle);
    }
    return out;
  }

  // Messages come from the nearest [data-passkey-messages]; shown in [data-passkey-status].
  function say(el, kind, text) {
    const holder = el.closest("[data-passkey-messages]") || document.querySelector("[data-passkey-messages]");
    const status = holder?.querySelector("[data-passkey-status]") || document.querySelector("[data-passkey-status]");
    if (!status) return;
    status.textContent = text || holder?.getAttribute("data-msg-" + kind) || "";
    status.hidden = !status.textContent;
  }
  const isCancel = (err) => err && (err.name === "NotAllowedError" || err.name === "AbortError");

  // One ceremony: options -> browser -> verify -> redirect. `signal` only for conditional login.
  async function ceremony(btn, signal) {
    const json = await post(btn.dataset.optionsUrl, {});
    const cred = btn.dataset.passkey === "register"
      ? await navigator.credentials.create({ publicKey: creationOptions(json) })
      : await navigator.credentials.get(signal
        ? { publicKey: requestOptions(json), mediation: "conditional", signal }
        : { publicKey: requestOptions(json) });
    say(btn, "working");
    const result = await post(btn.dataset.verifyUrl, credentialJSON(cred));
    const to = result.redirect && new URL(result.redirect, location.href);
    if (to && to.origin === location.origin) location.assign(to.href);
    else location.reload();
  }

  let conditional = null; // { controller, done } while an autofill login waits

  async function modal(btn) {
    const pending = conditional;
    if (pending) { // cancel the autofill request first; its AbortError is ignored
      pending.controller.abort();
      if (await pending.done) return; // autofill had already signed in
    }
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    say(btn, "working");
    try {
      await ceremony(btn);
    } catch (err) {
      say(btn, isCancel(err) ? "cancelled" : "failed", err.serverMessage);
      startConditional(); // offer autofill again
    } finally {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
    }
  }

  async function startConditional() {
    const input = document.querySelector('input[autocomplete~="webauthn"]');
    const btn = document.querySelector('[data-passkey="login"]');
    if (!input) { if (conditional) conditional.controller.abort(); return; }
    if (!btn || conditional) return;
    const P = window.PublicKeyCredential;
    const available = P.isConditionalMediationAvailable && (await P.isConditionalMediationAvailable().catch(() => false));
    if (!available) return;
    if (conditional) return;
    const controller = new AbortController();
    // `done` resolves true after a sign-in, false on any failure (never rejects).
    const done = ceremony(btn, controller.signal).then(() => true, (err) => {
      if (err.name !== "AbortError" && !controller.signal.aborted) {
        say(btn, isCancel(err) ? "cancelled" : "failed", err.serverMessage);
      }
      return false;
    }).finally(() => { if (conditional && conditional.controller === controller) conditional = null; });
    conditional = { controller, done };
  }

  function initPasskeys() {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      $$("[data-passkey]").forEach((b) => { b.hidden = true; b.disabled = true; });
      $$("[data-passkey-status]").forEach((s) => say(s, "unsupported"));
      return;
    }
    startConditional();
  }

  document.addEventListener("click", (e) => {
    const btn = e.target.closest && e.target.closest("button[data-passkey]");
    if (!btn || btn.disabled || !window.PublicKeyCredential) return;
    e.preventDefault();
    modal(btn);
  });

  /* ---- Drafts: localStorage["iup-draft:" + KEY] --------------------------- */
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

  // Signed-out page: forget drafts and the service worker's caches on this device.
  function signedOut() {
    if (!document.querySelector("[data-signed-out]")) return;
    try {
      Object.keys(localStorage).filter((k) => k.startsWith(PREFIX)).forEach((k) => localStorage.removeItem(k));
    } catch { /* private mode */ }
    const sw = navigator.serviceWorker?.controller;
    if (sw) sw.postMessage({ type: "clear" });
    else if (window.caches) {
      caches.keys().then((keys) => keys.filter((k) => k.startsWith("iup-")).forEach((k) => caches.delete(k)))
        .catch(() => {});
    }
  }

  /* ---- The result of a save holds the focus, on screen ---------------------- */
  // A saved rating's confirmation or a refused save's error summary is marked [data-focus]:
  // focused, scrolled into view, and read out by the live region that was there first.
  function show(el) {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    const live = el.getAttribute("role") !== "alert" && document.getElementById("live");
    if (live) { live.textContent = ""; setTimeout(() => { live.textContent = el.textContent.replace(/\s+/g, " ").trim(); }, 50); }
  }
  function focusResult() {
    const el = document.querySelector("[data-focus]");
    if (!el) return;
    el.removeAttribute("data-focus");
    show(el);
  }

  function init() { restoreDrafts(); openDrafted(); initPasskeys(); signedOut(); focusResult(); }
  init();
  document.body.addEventListener("htmx:afterSettle", init);
  // A save that never reached the server says so; the draft is still on the device.
  const sendNote = (e) => e.detail?.elt?.closest?.("form[data-draft]")?.querySelector("[data-send-failed]");
  const showSendNote = (shown) => (e) => {
    const note = sendNote(e);
    if (!note) return;
    note.hidden = !shown;
    if (shown) show(note);
  };
  document.body.addEventListener("htmx:sendError", showSendNote(true));
  document.body.addEventListener("htmx:responseError", showSendNote(true));
  document.body.addEventListener("htmx:beforeRequest", showSendNote(false));

  /* ---- Service worker ------------------------------------------------------ */
  if ("serviceWorker" in navigator) {
    const register = () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    if (document.readyState === "complete") register(); else window.addEventListener("load", register);
  }
})();
