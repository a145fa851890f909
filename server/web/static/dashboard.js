// The dashboard's "now" panel refreshes itself every few seconds from its now.json (the hall's
// own, or the centre's for a hall of its region, which says when the hall's queue is not live).
(function () {
  "use strict";
  var root = document.querySelector(".dashboard");
  if (!root) { return; }
  var site = root.getAttribute("data-site");
  var url = root.getAttribute("data-now-url") ||
    "/dashboard/now.json?site=" + encodeURIComponent(site);

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? "–" : (seconds / 60).toFixed(1) + " mnt";
  }

  function set(name, value) {
    var el = document.querySelector("[data-now=" + name + "]");
    if (el) { el.textContent = String(value); }
  }

  function cell(row, text, numeric) {
    var td = document.createElement("td");
    td.textContent = text;
    if (numeric) { td.className = "num"; }
    row.appendChild(td);
  }

  function show(live, message) {
    var panel = document.querySelector("[data-now=live]");
    var notice = document.querySelector("[data-now=unavailable]");
    if (panel) { panel.hidden = !live; }
    if (notice) {
      notice.hidden = live;
      if (message) { notice.textContent = message; }
    }
  }

  function render(now) {
    if (now.available === false) {
      show(false, now.message);
      set("at", "");
      return;
    }
    show(true);
    var at = new Date(now.at);
    set("at", at.toTimeString().slice(0, 8).replace(/:/g, "."));
    set("waiting", now.waiting);
    set("longest", minutes(now.longest_wait_seconds));
    set("open", now.counters_open);
    set("paused", now.counters_paused);
    set("closed", now.counters_closed);
    var body = document.querySelector("#now-services tbody");
    var rows = document.createDocumentFragment();
    now.services.forEach(function (s) {
      if (!s.waiting) { return; }
      var tr = document.createElement("tr");
      tr.setAttribute("data-service", s.service);
      cell(tr, s.name); cell(tr, s.agency); cell(tr, s.waiting, true);
      cell(tr, minutes(s.longest_wait_seconds), true);
      rows.appendChild(tr);
    });
    if (!rows.childNodes.length) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = document.createElement("td");
      td.colSpan = 4; td.className = "muted"; td.textContent = "Tidak ada yang menunggu.";
      tr.appendChild(td); rows.appendChild(tr);
    }
    body.innerHTML = "";
    body.appendChild(rows);
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.onload = function () {
      if (request.status === 401) { window.location.href = "/dashboard/login"; return; }
      if (request.status === 200) { render(JSON.parse(request.responseText)); }
      window.setTimeout(poll, 5000);
    };
    request.onerror = function () { window.setTimeout(poll, 10000); };
    request.send();
  }

  window.setTimeout(poll, 5000);
})();
