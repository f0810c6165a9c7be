// ouen service worker (issue 15 item 7): static assets come from the cache (refreshed in the background);
// pages and their data from the network, falling back to the copy of the last visit when there is no
// connection. Writes (POST, PATCH, PUT, DELETE) are never cached: the page's outbox keeps them.
"use strict";
var STATIC = "ouen-static-v1";
var PAGES = "ouen-pages-v1";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(["/static/ouen.css", "/static/coord.css", "/static/staff.css", "/static/ouen.js",
                         "/static/coord.js", "/static/staff.js", "/static/association.js", "/web/live-client.js"]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== STATIC && n !== PAGES; })
                            .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function isStatic(url) { return url.pathname.indexOf("/static/") === 0 || url.pathname === "/web/live-client.js"; }
function isPage(request, url) {
  return request.mode === "navigate" || url.pathname.indexOf("/web/picture/") === 0 ||
         /^\/api\/v1\/(disasters\/\d+\/contacts|places|standing-capacity|associations\/[^/]+\/contacts)/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (isStatic(url)) {
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
        return hit || fresh;
      });
    }));
    return;
  }
  if (isPage(request, url)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request).then(function (hit) { return hit || Response.error(); });
      });
    }));
  }
});
