// The region page's link and "now" columns refresh every few seconds from /region/now.json; a
// hall that is not live shows "tidak tersedia", never its last figures as the queue of now.
(function () {
  "use strict";
  var table = document.querySelector("#halls");
  if (!table) { return; }

  function cell(row, name) { return row.querySelector("[data-cell=" + name + "]"); }

  function muted(text, title) {
    var span = document.createElement("span");
    span.className = "muted";
    span.textContent = text;
    if (title) { span.title = title; }
    return span;
  }

  function render(halls) {
    halls.forEach(function (hall) {
      var row = table.querySelector("tr[data-site='" + hall.site + "']");
      if (!row) { return; }
      row.className = "link-" + hall.link.freshness;
      var link = cell(row, "link");
      var badge = document.createElement("span");
      badge.className = "badge badge-" + hall.link.freshness;
      badge.textContent = hall.words;
      var note = document.createElement("small");
      note.className = "muted";
      note.textContent = hall.link.heard_at ? "terakhir terhubung " + hall.link.heard_words : "belum pernah";
      if (hall.link.backlog) { note.textContent += " · " + hall.link.backlog + " perubahan tertunda"; }
      link.replaceChildren(badge, document.createElement("br"), note);
      var waiting = cell(row, "waiting");
      var open = cell(row, "open");
      if (hall.now) {
        waiting.textContent = String(hall.now.waiting);
        open.textContent = String(hall.now.counters_open);
      } else {
        waiting.replaceChildren(muted("tidak tersedia", hall.unavailable));
        open.replaceChildren(muted("–"));
      }
    });
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", "/region/now.json");
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
