// The TV display in a browser: the same board as the pygame display (display/board.py), fed by
// the same event stream, announcing every call as the hall's announcement rules say.
//
// - The stream: /api/v1/ws with the display's token; after a drop it reconnects (backoff with
//   jitter) and resumes from the last sequence it saw, also across a reload of the page (the
//   sequence is remembered), so a call made meanwhile is shown and, if still fresh, announced.
// - The voice: the calls waiting to be heard go to the server's planner (POST
//   …/announcements/next), which applies common/announce_queue.py and answers with the next
//   utterance and its audio, rendered once by the server for every display. The page plays the
//   chime and the sentences one after the other, never two at once, and asks again.
// - window.antreanDisplay: the board, the waiting calls and what was heard, for tests.
(function () {
  "use strict";
  var design = JSON.parse(document.getElementById("design").textContent);
  var D = design.display;
  var params = new URLSearchParams(window.location.search);
  var STORE = "antrean.display.";
  var english = params.get("english") === "1" || params.get("lang") === "en";
  var within = Number(params.get("within")) || design.announce.within;
  var showMedia = params.get("media") !== "0";
  var imageSeconds = Number(params.get("image_seconds")) || 10;
  var token = params.get("token") || localStorage.getItem(STORE + "token") || "";
  var zone = (params.has("zone") ? params.get("zone") : localStorage.getItem(STORE + "zone")) || "";
  if (params.get("token")) { localStorage.setItem(STORE + "token", token); }
  if (params.has("zone")) { localStorage.setItem(STORE + "zone", zone); }
  var seqKey = STORE + "seq:" + token + ":" + zone;

  var root = document.getElementById("board");
  function field(name) { return root.querySelector("[data-field=" + name + "]"); }
  function say(key) { var t = D.texts[key]; return english ? t[1] : t[0]; }
  function both(key) { var t = D.texts[key]; return english ? t[0] + " / " + t[1] : t[0]; }

  Object.keys(D.colors).forEach(function (name) {
    document.body.style.setProperty("--" + name, D.colors[name]);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (el) {
    el.textContent = el.hasAttribute("data-both") ? both(el.getAttribute("data-text"))
      : say(el.getAttribute("data-text"));
  });

  // ------------------------------------------------------------------ the board (board.py)
  var board = {
    seq: 0, online: false, synced: false, site: null,
    hall: {name: "", timezone: "Asia/Jakarta", running_text: ""},
    counters: {}, recent: [], waiting: [], showing: null, last: null
  };

  function counterOf(ref, agencyName) {
    var known = board.counters[ref.id];
    if (known) { return known; }
    known = {id: ref.id, number: ref.number, name: ref.name, agency: ref.agency,
             agency_name: agencyName || ref.agency, color: "", state: "open", call: null};
    board.counters[ref.id] = known;
    return known;
  }

  function callOf(ticket, counter, seq, at, recall) {
    return {seq: seq, ticket_id: ticket.id, number: ticket.number,
            service_name: ticket.service_name, service_name_en: ticket.service_name_en,
            agency: ticket.agency, agency_name: ticket.agency_name, counter_id: counter.id,
            counter_number: counter.number, color: counter.color, at: at, recall: recall,
            status: ticket.status};
  }

  function applySnapshot(snapshot) {
    var site = snapshot.site;
    board.hall = {name: site.name, timezone: site.timezone, running_text: site.running_text};
    board.counters = {};
    snapshot.counters.forEach(function (entry) {
      var c = entry.counter;
      var tile = {id: c.id, number: c.number, name: c.name, agency: c.agency.code,
                  agency_name: c.agency.name, color: c.agency.color, state: c.state, call: null};
      var t = entry.ticket;
      if (t && (t.status === "called" || t.status === "serving")) {
        tile.call = callOf(t, tile, snapshot.seq, t.called_at, t.call_count > 1);
      }
      board.counters[c.id] = tile;
    });
    board.recent = snapshot.recent_calls.filter(function (t) {
      return t.counter_id && board.counters[t.counter_id];
    }).slice(0, D.recent_calls).map(function (t) {
      return callOf(t, board.counters[t.counter_id], snapshot.seq, t.called_at, t.call_count > 1);
    });
    if (!board.showing) { board.last = board.recent[0] || null; }
    board.seq = snapshot.seq;
    board.synced = true;
  }

  function release(ticketId, status, keepRecent) {
    Object.keys(board.counters).forEach(function (id) {
      var c = board.counters[id];
      if (c.call && c.call.ticket_id === ticketId) { c.call = null; }
    });
    if (status && !keepRecent) { restatus(ticketId, status); }
  }

  function restatus(ticketId, status) {
    board.recent.forEach(function (call) { if (call.ticket_id === ticketId) { call.status = status; } });
    Object.keys(board.counters).forEach(function (id) {
      var c = board.counters[id];
      if (c.call && c.call.ticket_id === ticketId) { c.call.status = status; }
    });
  }

  var AFTER = {"ticket.finished": "finished", "ticket.no_show": "no_show",
               "ticket.returned": "waiting", "ticket.cancelled": "cancelled",
               "ticket.transferred": "transferred"};

  // Apply one event; returns the call to announce, or null (old, duplicate, or not a call).
  function applyEvent(event, live) {
    if (event.seq <= board.seq) { return null; }
    board.seq = event.seq;
    var type = event.type;
    if (type === "ticket.called" || type === "ticket.recalled") {
      var counter = counterOf(event.counter, event.ticket.agency_name);
      var call = callOf(event.ticket, counter, event.seq, event.at, type === "ticket.recalled");
      release(call.ticket_id, null, true);
      counter.call = call;
      counter.state = "open";
      board.recent = board.recent.filter(function (old) { return old.ticket_id !== call.ticket_id; });
      board.recent.unshift(call);
      board.recent.length = Math.min(board.recent.length, D.recent_calls);
      var fresh = live || Math.abs(Date.now() - Date.parse(event.at)) <= D.replay_announce_seconds * 1000;
      if (!fresh) { return null; }
      board.waiting.push(call);
      if (board.waiting.length > D.queue_limit) { board.waiting.shift(); }  // as board.py: bounded
      if (!board.showing) { tick(performance.now()); }
      return call;
    }
    if (type === "ticket.serving") { restatus(event.ticket.id, "serving"); }
    else if (AFTER[type]) { release(event.ticket.id, AFTER[type], false); }
    else if (type === "counter.state") {
      var tile = counterOf(event.counter, event.counter.agency);
      tile.state = event.state;
    }
    return null;
  }

  function tick(now) {
    var hold = D.hold_seconds * 1000;
    if (!board.showing) {
      if (!board.waiting.length) { return false; }
      board.showing = {call: board.waiting.shift(), since: now};
      return true;
    }
    if (now - board.showing.since < hold) { return false; }
    board.last = board.showing.call;
    board.showing = board.waiting.length ? {call: board.waiting.shift(), since: now} : null;
    return true;
  }

  // ------------------------------------------------------------------ drawing
  // As large as the width allows, up to ``largest`` pixels (ui.fitting_size in pygame).
  function fit(el, largest) {
    el.style.fontSize = largest + "px";
    var size = largest;
    while (size > 8 && el.scrollWidth > el.clientWidth + 1) {
      size = Math.floor(size * 0.94);
      el.style.fontSize = size + "px";
    }
  }

  function unit() { return Math.min(window.innerWidth, window.innerHeight) / D.units_per_short_side; }

  function localParts(date) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {timeZone: board.hall.timezone, year: "numeric",
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
      .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }

  function drawHeader() {
    var name = board.hall.name || "Antrean";
    field("hall").textContent = name;
    var initials = name.split(/\s+/).filter(function (w) { return /^[A-Z]/.test(w); })
      .map(function (w) { return w[0]; }).join("").slice(0, 3);
    field("initials").textContent = initials || "MPP";
    var p = localParts(new Date());
    var hour = p.hour === "24" ? "00" : p.hour;
    field("clock").textContent = hour + "." + p.minute;  // "06.04", as common/formats.clock_time
    var day = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day))).getUTCDay();
    field("date").textContent = design.dates.days[(day + 6) % 7] + ", " + Number(p.day) + " " +
      design.dates.months[Number(p.month) - 1] + " " + p.year;
    var offline = field("offline");
    offline.hidden = board.online;
    field("offline_note").textContent = board.synced ? say("offline_note") : say("waiting_data");
    root.setAttribute("data-online", String(board.online));
    root.setAttribute("data-synced", String(board.synced));
  }

  function nowCalling() { return board.showing ? board.showing.call : board.last; }

  var drawnNow = null;
  function drawNow(now) {
    var call = nowCalling();
    var panel = field("now");
    var lit = !!board.showing && now - board.showing.since < D.hold_seconds * 1000;
    panel.setAttribute("data-lit", String(lit));
    panel.setAttribute("data-blink", lit && Math.floor(now / (D.blink_seconds * 1000)) % 2 === 0 ? "on" : "off");
    var key = call ? call.seq + ":" + call.ticket_id + ":" + window.innerWidth + "x" + window.innerHeight : "none:" + board.synced;
    if (key === drawnNow) { return; }
    drawnNow = key;
    var u = unit();
    field("now_empty").textContent = call ? "" : (board.synced ? say("none_yet") : say("waiting_data"));
    field("now_empty").hidden = !!call;
    ["now_label", "now_number", "now_counter", "now_service"].forEach(function (name) {
      field(name).hidden = !call;
    });
    panel.style.setProperty("--agency", call && call.color ? call.color : "transparent");
    if (!call) { return; }
    field("now_label").textContent = both(call.recall ? "recall" : "calling");
    field("now_number").textContent = call.number;
    field("now_counter").textContent = say("counter") + " " + call.counter_number;
    var service = english && call.service_name_en ? call.service_name_en : call.service_name;
    field("now_service").textContent = call.agency_name + " · " + service;
    var height = panel.clientHeight;
    fit(field("now_number"), Math.min(u * 12, height * 0.42));
    fit(field("now_counter"), Math.min(u * 6, height * 0.2));
  }

  function atCounters() {
    var found = {};
    Object.keys(board.counters).forEach(function (id) {
      var c = board.counters[id];
      if (c.call) { found[c.call.ticket_id] = true; }
    });
    return found;
  }

  function drawRecent() {
    var list = field("recent");
    var current = atCounters();
    var rows = board.recent.map(function (call) {
      var li = document.createElement("li");
      if (!current[call.ticket_id]) { li.className = "done"; }
      var color = call.color || (board.counters[call.counter_id] || {}).color;
      if (color) { li.style.setProperty("--agency", color); }
      li.setAttribute("data-number", call.number);
      var num = document.createElement("span");
      num.className = "num";
      num.textContent = call.number;
      var at = document.createElement("span");
      at.className = "at";
      var b = document.createElement("b");
      var label = say("counter");
      b.textContent = label.charAt(0) + label.slice(1).toLowerCase() + " " + call.counter_number;
      var small = document.createElement("small");
      small.textContent = english && call.service_name_en ? call.service_name_en : call.service_name;
      at.appendChild(b);
      at.appendChild(small);
      li.appendChild(num);
      li.appendChild(at);
      return li;
    });
    list.replaceChildren.apply(list, rows);
  }

  function drawCounters() {
    var box = field("counters");
    var shown = Object.keys(board.counters).map(function (id) { return board.counters[id]; })
      .filter(function (c) { return c.state !== "closed"; })
      .sort(function (a, b) { return a.number - b.number; });
    var label = say("counter");
    box.replaceChildren.apply(box, shown.map(function (c) {
      var tile = document.createElement("div");
      tile.className = "tile" + (c.state === "paused" ? " paused" : c.call ? "" : " idle");
      if (c.color) { tile.style.setProperty("--agency", c.color); }
      var small = document.createElement("small");
      small.textContent = label.charAt(0) + label.slice(1).toLowerCase() + " " + c.number;
      var b = document.createElement("b");
      b.textContent = c.state === "paused" ? say("paused") : c.call ? c.call.number : "—";
      tile.appendChild(small);
      tile.appendChild(b);
      return tile;
    }));
  }

  var drawnTicker = null;
  function drawTicker() {
    var text = (board.hall.running_text || "").replace(/\s+/g, " ").trim();
    var ticker = field("ticker");
    var key = text + "@" + window.innerWidth;
    if (key === drawnTicker) { return; }
    drawnTicker = key;
    ticker.hidden = !text;
    root.style.gridTemplateRows = text ? "calc(var(--u)*4) 1fr calc(var(--u)*3)" : "calc(var(--u)*4) 1fr 0";
    if (!text) { return; }
    var track = ticker.querySelector(".track");
    var span = field("running_text");
    span.textContent = text + "   •";
    track.replaceChildren(span, span.cloneNode(true));
    var speed = D.ticker_pixels_per_second * unit() / 30;  // 120 px/s at 1080 lines
    track.style.animationDuration = (span.offsetWidth / speed) + "s";
  }

  var dirty = true;
  function draw() {
    var now = performance.now();
    if (tick(now)) { dirty = true; }
    drawHeader();
    drawNow(now);
    if (dirty) {
      drawRecent();
      drawCounters();
      drawTicker();
      dirty = false;
    }
  }
  window.addEventListener("resize", function () { dirty = true; drawnNow = null; drawnTicker = null; draw(); });
  setInterval(draw, 250);

  // ------------------------------------------------------------------ the event stream
  var socket = null;
  var lastSeq = null;
  var stored = localStorage.getItem(seqKey);
  if (stored !== null && /^\d+$/.test(stored)) { lastSeq = Number(stored); }
  var wantSnapshot = lastSeq !== null;  // a reload resumes: replayed calls, then the full board
  var attempt = 0;
  var heartbeat = 15;
  var heardAt = 0;
  var synced = false;

  function remember(seq) {
    if (lastSeq === null || seq > lastSeq) {
      lastSeq = seq;
      localStorage.setItem(seqKey, String(seq));
    }
  }

  function connect() {
    var query = "token=" + encodeURIComponent(token);
    if (zone) { query += "&topics=" + encodeURIComponent("zone:" + zone); }
    if (lastSeq !== null) { query += "&since=" + lastSeq; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/api/v1/ws?" + query);
    synced = false;
    heardAt = performance.now();
    socket.onmessage = function (message) {
      heardAt = performance.now();
      var data = JSON.parse(message.data);
      var type = data.type;
      if (type === "welcome") {
        board.site = data.site;
        heartbeat = data.heartbeat_seconds || heartbeat;
        board.online = true;
        attempt = 0;
        api.connected += 1;
        loadMedia();
      } else if (type === "snapshot") {
        applySnapshot(data.snapshot);
        lastSeq = null;  // the server's word, even behind ours (a restored database)
        remember(data.seq);
      } else if (type === "synced") {
        synced = true;
        if (data.seq !== null && data.seq !== undefined) { remember(data.seq); }
        if (wantSnapshot) {
          wantSnapshot = false;
          socket.send('{"type":"snapshot"}');
        }
      } else if (type === "ping") {
        if (data.seq !== null && data.seq !== undefined) { remember(data.seq); }
        socket.send('{"type":"pong"}');
      } else if (type !== "pong" && typeof data.seq === "number") {
        var call = applyEvent(data, synced);
        remember(data.seq);
        if (call) {
          api.received.push({number: call.number, counter: call.counter_number, seq: call.seq,
                             at: performance.now(), live: synced});
          if (api.received.length > 200) { api.received.shift(); }  // a whole day on a TV: bounded
          announce(call, data.announce);
        }
      }
      dirty = true;
      draw();
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) {
        lost();
        setup((event.reason || "") + " (" + event.code + ")");
        return;
      }
      lost();
      reconnect();
    };
  }

  function lost() {
    if (socket) { socket.onclose = null; socket.onmessage = null; }
    socket = null;
    board.online = false;
    dirty = true;
    draw();
  }

  function reconnect() {
    var delay = Math.random() * Math.min(10000, 500 * Math.pow(2, attempt));
    attempt += 1;
    window.setTimeout(connect, delay);
  }

  // A connection that went quiet (the Wi-Fi gone, no close ever arriving) is given up at once,
  // shown offline, and made anew; its closing handshake may never finish.
  var lastPing = 0;
  setInterval(function () {
    if (!socket || socket.readyState !== 1) { return; }
    var now = performance.now();
    if (now - heardAt > heartbeat * 2500) {
      var quiet = socket;
      lost();
      quiet.close();
      reconnect();
      return;
    }
    if (now - lastPing > heartbeat * 1000) {
      lastPing = now;
      socket.send('{"type":"ping"}');
    }
  }, 1000);

  // ------------------------------------------------------------------ the voice
  var waiting = [];  // calls to be heard: {ticket_id, number, counter_number, agency, recall, since}
  var speaking = false;
  var player = new Audio();
  var clips = new Map();  // "language|text" → a promise of its object URL, the newest 40
  var soundBlocked = false;

  function announce(call, text) {
    waiting.push({ticket_id: call.ticket_id, number: call.number, counter_number: call.counter_number,
                  agency: call.agency, recall: call.recall, since: performance.now()});
    // The call's own sentence is the event's `announce`: fetch it while the planner is asked
    // (a call said alone, the usual case, is then ready as soon as the plan is).
    if (text) {
      clip({language: "id", text: text, audio: "/api/v1/sites/" + encodeURIComponent(board.site) +
            "/audio?language=id&text=" + encodeURIComponent(text)}).catch(function () {});
    }
    speak();
  }

  function authorised(url, options) {
    options = options || {};
    options.headers = Object.assign({"Authorization": "Bearer " + token}, options.headers || {});
    return fetch(url, options);
  }

  // A sentence's audio ({language, text, audio: its URL}), fetched once and kept as a blob.
  function clip(sentence) {
    var key = sentence.language + "|" + sentence.text;
    if (clips.has(key)) { return clips.get(key); }
    var fetched = authorised(sentence.audio).then(function (response) {
      if (!response.ok) { throw new Error("audio " + response.status); }
      return response.blob();
    }).then(function (blob) { return URL.createObjectURL(blob); });
    fetched.catch(function () { clips.delete(key); });  // asked again next time
    clips.set(key, fetched);
    if (clips.size > 40) {
      var oldest = clips.keys().next().value;
      clips.get(oldest).then(function (local) { URL.revokeObjectURL(local); }, function () {});
      clips.delete(oldest);
    }
    return fetched;
  }

  function playOne(local, seconds) {
    return new Promise(function (resolve) {
      var done = false;
      function end() { if (!done) { done = true; resolve(); } }
      player.onended = end;
      player.onerror = end;
      window.setTimeout(end, (seconds + 3) * 1000);  // never stuck on a clip that does not end
      player.src = local;
      var started = player.play();
      if (started && started.catch) {
        started.catch(function (error) {
          if (error && error.name === "NotAllowedError") {
            soundBlocked = true;
            document.getElementById("sound").hidden = false;
          }
          end();
        });
      }
    });
  }

  function plan() {
    var sent = performance.now();
    var asked = waiting.slice();
    var body = {languages: english ? ["id", "en"] : ["id"], within: within,
                calls: asked.map(function (c) {
                  return {ticket_id: c.ticket_id, number: c.number, counter_number: c.counter_number,
                          agency: c.agency, recall: c.recall,
                          age_seconds: Math.max(0, (sent - c.since) / 1000)};
                })};
    return authorised("/api/v1/sites/" + encodeURIComponent(board.site) + "/announcements/next", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("planner " + response.status); }
      return response.json();
    }).then(function (answer) {
      // what the queue still holds, then whatever arrived while the planner was asked
      var arrived = waiting.slice(asked.length);
      waiting = answer.waiting.map(function (w) {
        return {ticket_id: w.ticket_id, number: w.number, counter_number: w.counter_number,
                agency: w.agency, recall: w.recall, since: sent - w.age_seconds * 1000};
      }).concat(arrived);
      return answer.utterance;
    });
  }

  function speak() {
    if (speaking || !waiting.length || !board.site) { return; }
    speaking = true;
    var entry = null;
    plan().then(function (utterance) {
      if (!utterance) { return null; }
      entry = {kind: utterance.kind, said: utterance.said, skipped: utterance.skipped,
               sentences: utterance.sentences.map(function (s) { return [s.language, s.text]; }),
               planned: performance.now(), ready: null, started: null, ended: null};
      api.queue.push(entry);
      var urls = (utterance.chime ? [{language: "", text: "chime", audio: utterance.chime}] : [])
        .concat(utterance.sentences);
      var lengths = (utterance.chime ? [design.announce.chime_seconds] : []).concat(
        utterance.sentences.map(function (s) { return s.seconds; }));
      return Promise.all(urls.map(clip)).then(function (locals) {
        entry.ready = performance.now();
        entry.started = performance.now();
        pauseMedia(true);
        return locals.reduce(function (chain, local, i) {
          return chain.then(function () { return playOne(local, lengths[i]); });
        }, Promise.resolve());
      });
    }).then(function () {
      if (entry) {
        entry.ended = performance.now();
        api.queue.splice(api.queue.indexOf(entry), 1);
        api.heard.push(entry);
        if (api.heard.length > 200) { api.heard.shift(); }
      }
      speaking = false;
      pauseMedia(false);
      speak();
    }, function (error) {
      // offline or the server restarting: the calls wait; the planner's bound decides later
      api.errors.push(String(error));
      if (api.errors.length > 50) { api.errors.shift(); }
      if (entry) { api.queue.splice(api.queue.indexOf(entry), 1); }
      speaking = false;
      pauseMedia(false);
      window.setTimeout(speak, 1000);
    });
  }

  document.addEventListener("click", unlockSound);
  document.addEventListener("keydown", unlockSound);
  function unlockSound() {
    if (!soundBlocked) { return; }
    soundBlocked = false;
    document.getElementById("sound").hidden = true;
    player.play().catch(function () { /* nothing loaded: unlocked for the next call */ });
  }

  // ------------------------------------------------------------------ the hall's playlist
  var media = {items: [], index: 0, timer: null, paused: false, loaded: false};

  function loadMedia() {
    if (!showMedia || !board.site) { return; }
    authorised("/api/v1/sites/" + encodeURIComponent(board.site) + "/media").then(function (r) {
      return r.ok ? r.json() : [];
    }).then(function (items) {
      var names = items.map(function (i) { return i.url; }).join("|");
      if (names === media.items.map(function (i) { return i.url; }).join("|")) { return; }
      media.items = items;
      media.index = 0;
      var box = field("media");
      box.hidden = !items.length;
      field("counters").hidden = !!items.length;
      if (items.length) { showItem(); }
    }).catch(function () { /* no playlist while offline: the counters stay */ });
  }

  function showItem() {
    var box = field("media");
    window.clearTimeout(media.timer);
    var item = media.items[media.index % media.items.length];
    var el;
    if (item.kind === "video") {
      el = document.createElement("video");
      el.muted = true;  // a call's voice is the only sound the hall hears from here
      el.playsInline = true;
      el.src = item.url;
      el.onended = next;
      el.onerror = function () { media.timer = window.setTimeout(next, 2000); };
      if (!media.paused) { el.play().catch(function () {}); }
    } else {
      el = document.createElement("img");
      el.src = item.url;
      el.alt = "";
      media.timer = window.setTimeout(next, imageSeconds * 1000);
    }
    box.replaceChildren(el);
  }

  function next() {
    if (media.paused) { media.pending = true; return; }
    media.index += 1;
    showItem();
  }

  function pauseMedia(pause) {
    media.paused = pause;
    var box = field("media");
    box.setAttribute("data-paused", String(pause));
    var video = box.querySelector("video");
    if (video) { if (pause) { video.pause(); } else { video.play().catch(function () {}); } }
    if (!pause && media.pending) { media.pending = false; next(); }
  }
  setInterval(loadMedia, 5 * 60 * 1000);

  // ------------------------------------------------------------------ the token, once
  function setup(why) {
    var form = document.getElementById("setup");
    form.hidden = false;
    document.body.style.cursor = "auto";
    form.querySelector("[data-field=setup_why]").textContent = why || "";
    form.elements.token.value = token;
    form.elements.zone.value = zone;
    form.onsubmit = function (event) {
      event.preventDefault();
      localStorage.setItem(STORE + "token", form.elements.token.value.trim());
      localStorage.setItem(STORE + "zone", form.elements.zone.value.trim().toUpperCase());
      var clean = new URL(window.location.href);
      clean.searchParams.delete("token");
      clean.searchParams.delete("zone");
      window.location.replace(clean.toString());
    };
  }

  var api = {board: board, queue: [], heard: [], received: [], errors: [], connected: 0,
             waiting: function () { return waiting.slice(); },
             get lastSeq() { return lastSeq; }, get speaking() { return speaking; },
             get paused() { return media.paused; }};
  window.antreanDisplay = api;
  draw();
  if (token) { connect(); } else { setup(""); }
})();
