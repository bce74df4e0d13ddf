/* Notifications on this device (the account page only): asks the browser's permission
   when she taps "Turn on", subscribes with the server's VAPID key and sends the
   subscription to the server; "Turn off" ends it here and there. On load, a subscription
   this browser already has is sent again, so it belongs to the session she is signed in
   with now (sign-out ends the subscriptions of its session). Plain ES2020, no inline code. */
(() => {
  "use strict";
  const box = document.querySelector("[data-push]");
  if (!box) return;
  const on = box.querySelector("[data-push-on]");
  const off = box.querySelector("[data-push-off]");
  const status = box.querySelector("[data-push-status]");
  const say = (word) => { status.textContent = box.dataset[word] || ""; };
  const token = () => document.querySelector("meta[name='csrf-token']")?.content || "";
  const api = (method, url, body) => fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": token() },
    body: body && JSON.stringify(body),
  }).then((r) => { if (!r.ok) throw new Error(String(r.status)); return r; });
  const show = (subscribed) => {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "on" : "off");
  };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  const key = (text) => {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
  // Only confirms one the server has for her (a 404 otherwise: then it is off here).
  ready.then((reg) => reg.pushManager.getSubscription()).then((sub) => {
    if (sub && Notification.permission === "granted") {
      api("POST", box.dataset.url, { ...sub.toJSON(), confirm: true }).then(() => show(true), () => show(false));
    } else show(false);
  }, () => say("unsupported"));
  on.addEventListener("click", async () => {
    on.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") { say("denied"); return; }
      const reg = await ready;
      const { key: vapid } = await (await api("GET", box.dataset.keyUrl)).json();
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(vapid) });
      await api("POST", box.dataset.url, sub.toJSON());
      show(true);
    } catch {
      say("failed");
    } finally {
      on.disabled = false;
    }
  });
  off.addEventListener("click", async () => {
    off.disabled = true;
    try {
      const sub = await (await ready).pushManager.getSubscription();
      if (sub) {
        await api("DELETE", box.dataset.url, { endpoint: sub.endpoint }).catch(() => {});
        await sub.unsubscribe();
      }
      show(false);
    } finally {
      off.disabled = false;
    }
  });
})();
