// ouen live client: subscribe to /api/v1/live, resume from the last sequence after any disconnect.
// Usage:
//   const live = ouenLive({ url: "/api/v1/live", subscription: { mode: "live", disaster_id: 7 },
//                           onEvent: (event) => ..., onStatus: (status, detail) => ...,
//                           onResync: (message) => ... /* reload state over HTTP */ });
//   live.close();
// Close codes (docs/realtime.md): 4400 bad subscription, 4401 unauthenticated, 4403 forbidden (not retried);
// 4408 idle timeout, 4409 resync required / too slow, 1001 server restart, network loss (retried).
(function (root) {
  "use strict";

  var FINAL_CODES = { 4400: "bad_subscription", 4401: "unauthenticated", 4403: "forbidden" };

  function websocketUrl(url) {
    if (/^wss?:/.test(url)) return url;
    var scheme = root.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + root.location.host + url;
  }

  function ouenLive(options) {
    var subscription = options.subscription || { mode: "live" };
    var onEvent = options.onEvent || function () {};
    var onStatus = options.onStatus || function () {};
    var onResync = options.onResync || function () {};
    var onFrame = options.onFrame || function () {}; // every frame's type, heartbeats included
    var baseDelay = options.baseDelayMs || 500;
    var maxDelay = options.maxDelayMs || 30000;
    // The last sequence this client is up to date with; null = start from now (no replay).
    var position = options.since === undefined ? null : options.since;
    var attempt = 0;
    var socket = null;
    var timer = null;
    var stopped = false;

    function backoff() {
      // "Full jitter": a uniform delay in [0, min(max, base * 2^attempt)], so that thousands of
      // dashboards dropped by the same outage do not all come back in the same instant.
      var ceiling = Math.min(maxDelay, baseDelay * Math.pow(2, attempt));
      attempt += 1;
      return Math.random() * ceiling;
    }

    function schedule() {
      if (stopped) return;
      var delay = backoff();
      onStatus("reconnecting", { delayMs: Math.round(delay), attempt: attempt });
      timer = setTimeout(connect, delay);
    }

    function connect() {
      timer = null;
      if (stopped) return;
      var url = websocketUrl(options.url || "/api/v1/live");
      if (options.token) url += (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(options.token);
      onStatus("connecting", { since: position });
      socket = new WebSocket(url);
      socket.onopen = function () {
        // batch: events fanned out together arrive in one "events" frame (fewer frames under a burst).
        var message = { type: "subscribe", batch: true };
        for (var key in subscription) message[key] = subscription[key];
        if (position !== null) message.since = position;
        socket.send(JSON.stringify(message));
      };
      socket.onmessage = function (frame) {
        var message = JSON.parse(frame.data);
        onFrame(message.type);
        if (message.type === "event" || message.type === "events") {
          var events = message.type === "event" ? [message.event] : message.events;
          for (var i = 0; i < events.length; i++) {
            if (position !== null && events[i].seq <= position) continue; // never apply an event twice
            position = events[i].seq;
            onEvent(events[i]);
          }
        } else if (message.type === "live") {
          attempt = 0; // a subscription that reached live resets the back-off
          position = position === null ? message.seq : Math.max(position, message.seq);
          onStatus("live", { seq: position });
        } else if (message.type === "heartbeat") {
          position = position === null ? message.seq : Math.max(position, message.seq);
          socket.send('{"type":"pong"}');
        } else if (message.type === "resync_required") {
          position = message.seq;
          onResync(message);
        } else if (message.type === "error") {
          onStatus("error", message);
        }
      };
      socket.onclose = function (close) {
        socket = null;
        if (stopped) return;
        if (FINAL_CODES[close.code]) {
          onStatus(FINAL_CODES[close.code], { code: close.code, reason: close.reason });
          return;
        }
        // 4409 after a slow spell needs nothing special: resuming from `position` replays what was dropped.
        onStatus("disconnected", { code: close.code, reason: close.reason });
        schedule();
      };
    }

    connect();
    return {
      close: function () {
        stopped = true;
        if (timer !== null) clearTimeout(timer);
        if (socket !== null) socket.close(1000, "bye");
      },
      position: function () { return position; },
    };
  }

  root.ouenLive = ouenLive;
  if (typeof module !== "undefined" && module.exports) module.exports = ouenLive;
})(typeof window !== "undefined" ? window : globalThis);
