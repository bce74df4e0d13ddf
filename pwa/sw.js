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
self.addEventListener("install", (event) => {
  const direct = event.addRoutes &&
    event.addRoutes([{ condition: { urlPattern: "/api/:rest*" }, source: "network" }]).catch(() => {});
  event.waitUntil(Promise.all([direct, caches.open(CACHE).then((cache) => cache.addAll(SHELL))])
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    await dropCaches(CACHE);
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

// Sign-out: forget what this app cached.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear") event.waitUntil(dropCaches(null));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) event.respondWith(kept(event, url));
  else if (request.mode === "navigate") event.respondWith(page(event));
  else if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(event));
});

// Pages: network only; the offline page when it fails.
async function page(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || (await fetch(event.request));
  } catch {
    return (await caches.match(OFFLINE)) || Response.error();
  }
}

// A preparation page: the network first, the copy last seen when there is none. A page
// that is not a plain 200 (signed out, refused) is never kept; the copy goes with it.
async function kept(event, url) {
  const cache = await caches.open(CACHE);
  const key = url.origin + url.pathname;
  try {
    const preloaded = await event.preloadResponse;
    const response = preloaded || (await fetch(event.request));
    if (response.status === 200 && !response.redirected) {
      event.waitUntil(cache.put(key, response.clone()).catch(() => {}));
    } else event.waitUntil(cache.delete(key));
    return response;
  } catch {
    return (await cache.match(key)) || (await caches.match(OFFLINE)) || Response.error();
  }
}

// Static files (hashed names): cache first.
async function staticFile(event) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(event.request);
  if (hit) return hit;
  const response = await fetch(event.request);
  if (response.ok && response.status === 200 && response.type === "basic") {
    event.waitUntil(cache.put(event.request, response.clone()).catch(() => {}));
  }
  return response;
}
