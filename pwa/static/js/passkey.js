/* IUP passkeys (WebAuthn): sign-up, sign-in, adding a passkey, and a sign-in that sends a
   held save on. Loaded only by the pages that have passkey buttons (sign-in, sign-up link,
   passkeys page, a held save). Plain ES2020, deferred.
   Autofill sign-in (conditional mediation) runs only on the sign-in page, is aborted before
   any other ceremony and when the page goes away, and never acts after its abort. */
(() => {
  "use strict";
  if (window.iupPasskeys) return;
  window.iupPasskeys = true;

  const $$ = (sel) => Array.from(document.querySelectorAll(sel));
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Signed out (the sign-in page says so): forget the drafts (iup.js) and the service
  // worker's caches on this device.
  if (document.querySelector("[data-signed-out]")) {
    try {
      Object.keys(localStorage).filter((k) => k.startsWith("iup-draft:")).forEach((k) => localStorage.removeItem(k));
    } catch { /* private mode */ }
    const sw = navigator.serviceWorker?.controller;
    if (sw) sw.postMessage({ type: "clear" });
    else if (window.caches) {
      caches.keys().then((keys) => keys.filter((k) => k.startsWith("iup-")).forEach((k) => caches.delete(k)))
        .catch(() => {});
    }
  }

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
      if (body && typeof body.reason === "string") err.reason = body.reason;
      throw err;
    }
    return body || {};
  }

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
  // Which message an error deserves: the server's words, or what the browser's error means.
  function kindOf(err) {
    if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) return "cancelled";
    // excludeCredentials: this device already holds one of the person's passkeys.
    if (err && err.name === "InvalidStateError") return "exists";
    if (err instanceof TypeError || (err && err.message && err.message.startsWith("HTTP "))) return "failed";
    return "device";
  }

  // One ceremony: options -> browser -> verify -> redirect. `signal` only for autofill; an
  // aborted autofill stops wherever it is and never posts or navigates.
  async function ceremony(btn, signal) {
    const json = await post(btn.dataset.optionsUrl, {});
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    const cred = btn.dataset.passkey === "register"
      ? await navigator.credentials.create({ publicKey: creationOptions(json) })
      : await navigator.credentials.get(signal
        ? { publicKey: requestOptions(json), mediation: "conditional", signal }
        : { publicKey: requestOptions(json) });
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    say(btn, "working");
    let result;
    try {
      result = await post(btn.dataset.verifyUrl, credentialJSON(cred));
    } catch (err) {
      if (err.reason === "unknown_passkey") await forget(json.rpId, cred);
      throw err;
    }
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    // A save held while the session had ended is sent on, with the new session's token.
    const held = btn.dataset.resend && document.getElementById(btn.dataset.resend);
    if (held && result.csrf) {
      held.elements._csrf_token.value = result.csrf;
      held.submit();
      return;
    }
    const to = result.redirect && new URL(result.redirect, location.href);
    if (to && to.origin === location.origin) location.assign(to.href);
    else location.reload();
  }

  // The server does not know this passkey (it was removed): the device is told, so that it
  // stops offering it (WebAuthn signal API; browsers without it keep offering it).
  async function forget(rpId, cred) {
    const P = window.PublicKeyCredential;
    if (typeof P.signalUnknownCredential !== "function") return;
    await P.signalUnknownCredential({ rpId: rpId || location.hostname, credentialId: bufToB64u(cred.rawId) })
      .catch(() => {});
  }

  let conditional = null; // { controller, done } while an autofill sign-in waits
  let leaving = false; // the page is going away: start nothing new

  // Stops the autofill request; resolves true if it had already signed the person in.
  async function stopConditional() {
    const pending = conditional;
    if (!pending) return false;
    pending.controller.abort();
    return pending.done;
  }

  async function modal(btn) {
    if (await stopConditional()) return; // autofill had already signed in
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    say(btn, "working");
    try {
      await ceremony(btn);
    } catch (err) {
      say(btn, kindOf(err), err.serverMessage);
      startConditional(); // offer autofill again
    } finally {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
      // A disabled button loses the focus: give it back, beside the message that says why
      // nothing happened (a success has left the page already).
      if (!document.activeElement || document.activeElement === document.body) btn.focus();
    }
  }

  // Only the sign-in page has the autofill field; no other page ever starts a request.
  async function startConditional() {
    const input = document.querySelector('input[autocomplete~="webauthn"]');
    const btn = document.querySelector('[data-passkey="login"]');
    if (!input || !btn || conditional || leaving) return;
    const controller = new AbortController();
    // `done` resolves true after a sign-in, false otherwise (never rejects).
    const done = (async () => {
      const P = window.PublicKeyCredential;
      const available = P.isConditionalMediationAvailable &&
        (await P.isConditionalMediationAvailable().catch(() => false));
      if (!available || controller.signal.aborted) return false;
      await ceremony(btn, controller.signal);
      return true;
    })().catch((err) => {
      if (!controller.signal.aborted) say(btn, kindOf(err), err.serverMessage);
      return false;
    }).finally(() => { if (conditional && conditional.controller === controller) conditional = null; });
    conditional = { controller, done };
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    $$("[data-passkey]").forEach((b) => { b.hidden = true; b.disabled = true; });
    $$("[data-passkey-status]").forEach((s) => say(s, "unsupported"));
    return;
  }

  document.addEventListener("click", (e) => {
    const btn = e.target.closest && e.target.closest("button[data-passkey]");
    if (!btn || btn.disabled) return;
    e.preventDefault();
    modal(btn);
  });
  // Leaving the page (a link, a form, the back button) ends a waiting autofill request.
  window.addEventListener("pagehide", () => { leaving = true; stopConditional(); });
  window.addEventListener("pageshow", (e) => { if (e.persisted) { leaving = false; startConditional(); } });
  startConditional();
})();
