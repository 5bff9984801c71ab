// The citizen app's service worker: the app opens with no signal, so the booking, its code and its QR
// (saved on the device by the app) can be shown at the office door. The API is never cached here.
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const CACHE = `antre-${VERSION}`;
const CITIZEN_PAGE = /^\/($|(register|verify|login|book|bookings|help|check|messages|waitlist|release|forgot|reset|family)(\/|$))/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("antre-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && CITIZEN_PAGE.test(url.pathname)) {
    // The newest shell when online; the kept one when not (every citizen page is the same shell).
    event.respondWith(fetch(request).catch(() => caches.match("/", { cacheName: CACHE })));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
  }
});
