/* IUP service worker. The server fills in VERSION and SHELL (same-origin URLs).
   Only the shell and /static/ files are cached; pages never: they hold personal data.
   One documented exception: the preparation pages (OFFLINE_PAGES), so that a reload with
   no connection shows the questions again and her drafts on the device fill them in.
   They are fetched from the network first, kept only as last seen, and dropped with
   every other cache at sign-out (the "clear" message) and on a new version. */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const PREFIX = "iup-";
const CACHE = PREFIX + VERSION;
const OFFLINE = "/offline";
const OFFLINE_PAGES = /^\/(preparation|pupils\/\d+\/preparation)$/;

const dropCaches = (keep) =>
  caches.keys().then((keys) =>
    Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== keep).map((k) => caches.delete(k))));

// Shell: the offline page and its files; the HTTP cache has them already (no cache:"reload").
// The JSON API never passes through the worker (static routing, where the browser has
// it): the worker is not woken for a save, and the save meets the network as the page does.
self.oninstall = (e) => {
  const direct = e.addRoutes &&
    e.addRoutes([{ condition: { urlPattern: "/api/:rest*" }, source: "network" }]).catch(() => {});
  e.waitUntil(Promise.all([direct, caches.open(CACHE).then((cache) => cache.addAll(SHELL))])
    .then(() => skipWaiting()));
};

self.onactivate = (e) => {
  e.waitUntil((async () => {
    await dropCaches(CACHE);
    await registration.navigationPreload?.enable();
    await clients.claim();
  })());
};

// Push: the payload is the words and a path on this origin, nothing else; a tap opens it.
self.onpush = (e) => {
  const d = e.data.json();
  e.waitUntil(registration.showNotification(d.title, { data: d.link }));
};
self.onnotificationclick = (e) => {
  e.notification.close();
  e.waitUntil(clients.openWindow(location.origin + e.notification.data));
};

// Sign-out: forget what this app cached.
self.onmessage = (e) => {
  if (e.data?.type === "clear") e.waitUntil(dropCaches());
};

self.onfetch = (e) => {
  const r = e.request;
  if (r.method !== "GET") return;
  const url = new URL(r.url);
  if (url.origin !== location.origin) return;
  if (r.mode === "navigate") e.respondWith(page(e, OFFLINE_PAGES.test(url.pathname) && url.pathname));
  else if (url.pathname.startsWith("/static/")) e.respondWith(staticFile(e));
};

// Pages: network only; the offline page when it fails. A preparation page (`key`): the
// copy last seen when there is no network; a page that is not a plain 200 (signed out,
// refused) is never kept, and the copy goes with it.
async function page(e, key) {
  try {
    const res = (await e.preloadResponse) || (await fetch(e.request));
    if (key) {
      const cache = await caches.open(CACHE);
      e.waitUntil(res.status === 200 && !res.redirected ? cache.put(key, res.clone()).catch(() => {}) : cache.delete(key));
    }
    return res;
  } catch {
    return (key && (await caches.match(key))) || caches.match(OFFLINE);
  }
}

// Static files (hashed names): cache first.
async function staticFile(e) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(e.request);
  if (hit) return hit;
  const res = await fetch(e.request);
  if (res.status === 200 && res.type === "basic") {
    e.waitUntil(cache.put(e.request, res.clone()).catch(() => {}));
  }
  return res;
}
