// A remote number's page keeps "people ahead" fresh: it asks for the ticket every few seconds
// and reloads the page once the number is checked in, lapses or is cancelled.
(function () {
  "use strict";
  var root = document.getElementById("booking");
  if (!root) { return; }
  var code = root.getAttribute("data-ticket");
  var status = root.getAttribute("data-ticket-status");
  if (!code || status !== "remote") { return; }
  var labels = JSON.parse(document.getElementById("labels").textContent);
  var ahead = root.querySelector("[data-field=ahead]");
  var delay = 5000;

  function show(people) {
    if (!ahead) { return; }
    ahead.setAttribute("data-ahead", String(people));
    ahead.textContent = people > 0 ? labels.people_left.replace("{n}", String(people))
                                   : labels.your_turn_passed;
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", "/api/v1/tickets/" + encodeURIComponent(code));
    request.timeout = 8000;
    request.onload = function () {
      if (request.status !== 200) { return retry(); }
      var ticket = JSON.parse(request.responseText);
      if (ticket.status !== status) { window.location.reload(); return; }
      show(ticket.people_ahead || 0);
      delay = 5000;
      window.setTimeout(poll, delay);
    };
    request.onerror = request.ontimeout = retry;
    request.send();
  }

  function retry() {
    delay = Math.min(delay * 2, 60000);
    window.setTimeout(poll, delay);
  }

  window.setTimeout(poll, delay);
})();
