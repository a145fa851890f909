// The tracking page keeps itself fresh: it asks the server for the ticket every few seconds,
// updates the figures in place and reloads the page when the status changes.
(function () {
  "use strict";
  var root = document.getElementById("ticket");
  if (!root) { return; }
  var code = root.getAttribute("data-code");
  var status = root.getAttribute("data-status");
  var labels = JSON.parse(document.getElementById("labels").textContent);
  var done = ["finished", "no_show", "cancelled", "expired"];
  var live = root.querySelector("[data-field=live]");
  var liveText = live ? live.textContent : "";
  var delay = 5000;

  function set(field, value) {
    var el = root.querySelector("[data-field=" + field + "]");
    if (el && value !== null && value !== undefined) { el.textContent = String(value); }
  }

  var zone = root.getAttribute("data-timezone") || undefined;

  // HH.MM in the hall's time zone, as every screen of the hall writes the time.
  function clock(moment) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {timeZone: zone, hour: "2-digit", minute: "2-digit",
                                      hourCycle: "h23"})
      .formatToParts(moment).forEach(function (p) { parts[p.type] = p.value; });
    return parts.hour + "." + parts.minute;
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", "/api/v1/tickets/" + encodeURIComponent(code));
    request.timeout = 8000;
    request.onload = function () {
      if (request.status !== 200) { return retry(); }
      var ticket = JSON.parse(request.responseText);
      if (ticket.status !== status) { window.location.reload(); return; }
      set("people_ahead", ticket.people_ahead);
      set("estimated_wait_minutes", ticket.estimated_wait_minutes);
      set("updated", clock(new Date()));
      if (live) { live.textContent = liveText; }
      delay = 5000;
      schedule();
    };
    request.onerror = request.ontimeout = retry;
    request.send();
  }

  function retry() {
    if (live) { live.textContent = labels.offline_note; }
    delay = Math.min(delay * 2, 60000);
    schedule();
  }

  function schedule() { window.setTimeout(poll, delay); }

  if (done.indexOf(status) < 0) { schedule(); }
})();
