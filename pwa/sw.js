/* IUP service worker (template). The server replaces "__VERSION__" (with its quotes)
   by a JSON string and __SHELL__ by a JSON array of same-origin URLs before serving.
   Rule: only the app shell and /static/ files are cached. Pages are never stored:
   they hold a pupil's personal data. */
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const PREFIX = "iup-";
const CACHE = PREFIX + VERSION;
const OFFLINE = "/offline";

const dropCaches = (keep) =>
  caches.keys().then((keys) =>
    Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== keep).map((k) => caches.delete(k))));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    await dropCaches(CACHE);
    // Navigation preload starts the page request while the worker boots.
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

// Sign-out: forget everything this app cached on the device.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "clear") event.waitUntil(dropCaches(null));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(event));
  else if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(event));
  // Everything else (htmx partials, JSON, /sw.js, manifest): straight to the network.
});

// Pages: network only, never cached; the cached offline page when the network fails.
async function page(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || (await fetch(event.request));
  } catch {
    return (await caches.match(OFFLINE)) || Response.error();
  }
}

// Static files carry a version in their name: cache first, then network.
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
