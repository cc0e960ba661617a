// Charity Week page: plain JavaScript, no framework. Talks to /api/* only.
(function () {
  "use strict";
  var settings = null;
  var songCursor = "";
  var eur = new Intl.NumberFormat("en-IE", { style: "currency", currency: "EUR" });
  function $(id) { return document.getElementById(id); }
  function money(cents) { return eur.format(cents / 100); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  // CloudFront signs requests to the Lambda Function URL origin (OAC); a
  // body must then carry its SHA-256 in x-amz-content-sha256.
  function sha256hex(text) {
    if (!(window.crypto && crypto.subtle)) return Promise.resolve(null);
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    });
  }
  function api(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({ "Accept": "application/json" }, headers || {}) };
    var ready = Promise.resolve();
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body);
      ready = sha256hex(init.body).then(function (h) { if (h) init.headers["x-amz-content-sha256"] = h; });
    }
    return ready.then(function () { return fetch(path, init); }).then(function (r) {
      return r.text().then(function (t) {
        var data = null; try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (!r.ok) { var err = new Error(problemText(data) || ("HTTP " + r.status)); err.status = r.status; throw err; }
        return data;
      });
    });
  }
  function problemText(p) {
    if (!p) return "";
    if (p.errors && p.errors.length) return p.errors.map(function (e) { return e.field + " " + e.detail; }).join("; ");
    return p.detail || p.title || "";
  }
  function text(el, s) { el.textContent = s; }
  function loadSettings() {
    return api("GET", "/api/charities").then(function (s) {
      settings = s;
      text($("campaign-title"), s.title || "Charity Week");
      var sel = $("charity"); sel.innerHTML = "";
      s.charities.forEach(function (c) { var o = document.createElement("option"); o.value = c.id; o.textContent = c.name; sel.appendChild(o); });
      text($("min"), money(s.minCents)); text($("max"), money(s.maxCents));
      $("amount").min = s.minCents / 100; $("amount").max = s.maxCents / 100;
    });
  }
  function refreshTotals() {
    return api("GET", "/api/totals").then(function (t) {
      text($("total"), money(t.totalCents)); text($("count"), String(t.count)); text($("count-label"), t.count === 1 ? "donation" : "donations"); text($("paid"), money(t.paidCents || 0));
      var ol = $("leaderboard"); ol.innerHTML = "";
      t.charities.forEach(function (c) {
        var li = document.createElement("li"); var n = document.createElement("span"); var a = document.createElement("span");
        n.textContent = c.name; a.textContent = money(c.totalCents); li.appendChild(n); li.appendChild(a); ol.appendChild(li);
      });
    }).catch(function () { /* keep the last figures; retry on the next tick */ });
  }
  function renderSongs(page, append) {
    var ul = $("songs"); if (!append) ul.innerHTML = "";
    page.songs.forEach(function (s) {
      var li = document.createElement("li");
      var title = document.createElement("strong"); title.textContent = s.title + (s.artist ? " — " + s.artist : "");
      li.appendChild(title);
      var meta = [];
      if (s.dedication) meta.push("for " + s.dedication);
      if (s.donorName) meta.push("from " + s.donorName);
      if (meta.length) { var m = document.createElement("div"); m.textContent = meta.join(", "); li.appendChild(m); }
      if (s.message) { var q = document.createElement("q"); q.textContent = s.message; li.appendChild(q); }
      ul.appendChild(li);
    });
    songCursor = page.nextCursor || "";
    $("more-songs").hidden = !songCursor;
  }
  function refreshSongs() {
    return api("GET", "/api/songs?limit=10").then(function (p) { renderSongs(p, false); }).catch(function () {});
  }
  function donate(ev) {
    ev.preventDefault();
    var status = $("form-status"); status.className = ""; text(status, "Sending…");
    var cents = Math.round(parseFloat($("amount").value) * 100);
    var body = { charityId: $("charity").value, amountCents: cents, currency: "EUR", idempotencyKey: uuid() };
    var donor = $("donor").value.trim(); if (donor) body.donorName = donor;
    var title = $("song-title").value.trim();
    if (title) {
      body.song = { title: title };
      ["artist", "dedication", "message"].forEach(function (k) { var v = $("song-" + k).value.trim(); if (v) body.song[k] = v; });
    }
    var send = function (attempt) {
      return api("POST", "/api/donations", body).catch(function (e) {
        // Same idempotency key on retry: a lost response never becomes two pledges.
        if ((!e.status || e.status === 429 || e.status >= 500) && attempt < 3) {
          return new Promise(function (r) { setTimeout(r, 500 * (attempt + 1)); }).then(function () { return send(attempt + 1); });
        }
        throw e;
      });
    };
    $("donate-button").disabled = true;
    send(0).then(function (res) {
      text(status, "Thank you! Your pledge " + res.id + " of " + money(cents) + " is in.");
      $("donation-form").reset();
      setTimeout(refreshTotals, 800); setTimeout(refreshSongs, 1500);
    }).catch(function (e) { status.className = "err"; text(status, "Not sent: " + e.message); })
      .then(function () { $("donate-button").disabled = false; });
  }
  function signup(ev) {
    ev.preventDefault();
    var status = $("signup-status"); status.className = "";
    var body = { name: $("su-name").value.trim(), email: $("su-email").value.trim() };
    var url = $("su-url").value.trim(); if (url) body.fundraiserUrl = url;
    api("POST", "/api/registrations", body).then(function () { text(status, "You're signed up. Thank you!"); $("signup-form").reset(); })
      .catch(function (e) { status.className = "err"; text(status, "Not sent: " + e.message); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    $("donation-form").addEventListener("submit", donate);
    $("signup-form").addEventListener("submit", signup);
    $("more-songs").addEventListener("click", function () {
      api("GET", "/api/songs?limit=10&cursor=" + encodeURIComponent(songCursor)).then(function (p) { renderSongs(p, true); });
    });
    loadSettings().then(function () { refreshTotals(); refreshSongs(); });
    setInterval(refreshTotals, 3000);
    setInterval(refreshSongs, 5000);
  });
})();
