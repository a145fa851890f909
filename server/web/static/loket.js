// The officer's counter in a browser: what the pygame counter (counter_client/) does, by keys.
//
// The officer logs in (POST /api/v1/auth/token; a 429 says when to try again), picks a counter
// of their agency (or ?counter=N), and works it with the keys the hall's design gives the
// browser (1 … 0 along the pygame F1 … F10 row, L for the language; F-keys reload or search in
// a browser). The server is the truth: the page shows what it answered or pushed (the event
// stream of the counter, resumed from the last sequence after a drop), one command in flight
// at a time, each with an Idempotency-Key kept through every retry, so it never acts twice.
// window.antreanCounter exposes the state for tests.
(function () {
  "use strict";
  var design = JSON.parse(document.getElementById("design").textContent);
  var C = design.counter;
  var params = new URLSearchParams(window.location.search);
  var STORE = "antrean.loket.";
  var NO_SHOW_MEMORY = 5;

  Object.keys(design.palette).forEach(function (name) {
    document.body.style.setProperty("--" + name, design.palette[name]);
  });
  document.body.style.setProperty("--off_fill", C.off_fill);

  var state = {
    language: localStorage.getItem(STORE + "language") === "en" ? "en" : "id",
    token: sessionStorage.getItem(STORE + "token"), officer: null, site: null,
    counter: null, counters: [], services: [], current: null, queues: {}, served: 0,
    noShows: [], pending: null, modal: null, error: null, notice: null, online: false,
    lastSeq: null, loginRetryAt: 0
  };

  function el(name) { return document.querySelector("[data-field=" + name + "]"); }
  function pick(pair) { return state.language === "en" ? pair[1] : pair[0]; }
  // {call_next}, {pause}: the key of that button here (the pygame window names its F-key)
  function withKeys(text) {
    return text.replace(/\{(\w+)\}/g, function (_, action) { return C.keys[action] || action; });
  }
  function say(key) { return withKeys(pick(C.texts[key])); }
  function message(idText, enText) { return [idText, enText]; }

  // ---------------------------------------------------------------- the server
  function uuid() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function ApiError(status, body, headers) {
    var error = (body && body.error) || {};
    this.status = status;
    this.code = error.code || "http_" + status;
    this.text = [error.message || "Server menolak (" + status + ").",
                 error.message_en || "The server refused (" + status + ")."];
    this.retryAfter = Number(headers && headers.get("Retry-After")) || 0;
  }

  function request(method, path, body, key) {
    var headers = {"Accept": "application/json"};
    if (state.token) { headers.Authorization = "Bearer " + state.token; }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (key) { headers["Idempotency-Key"] = key; }
    return fetch(path, {method: method, headers: headers,
                        body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        if (response.status === 204) { return null; }
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) { throw new ApiError(response.status, data, response.headers); }
          return data;
        });
      });
  }

  // A command, retried with its key while the network or the server is away (as the pygame
  // counter's `retrying`): the screen says offline meanwhile; a refusal ends it.
  function command(action, path, body, number, key) {
    var cmd = {action: action, path: path, body: body, key: key || uuid(), number: number || ""};
    state.pending = cmd;
    state.error = null;
    state.notice = null;
    render();
    var delay = 200;
    function attempt() {
      return request("POST", path, body, cmd.key).then(function (answer) {
        if (!state.online) { state.online = true; }
        return answer;
      }, function (error) {
        var unreachable = !(error instanceof ApiError) || error.status >= 502;
        if (unreachable) {
          state.online = false;
          render();
          return new Promise(function (resolve) { window.setTimeout(resolve, delay); })
            .then(function () { delay = Math.min(5000, delay * 2); return attempt(); });
        }
        throw error;
      });
    }
    return attempt().then(function (answer) {
      state.pending = null;
      answered(cmd, answer);
      render();
    }, function (error) {
      state.pending = null;
      if (error.status === 401) { return sessionEnded(cmd); }
      state.error = error.text;
      render();
      refresh();
    });
  }

  function answered(cmd, body) {
    var a = cmd.action;
    if (a === "open" || a === "pause" || a === "resume" || a === "close") {
      state.counter.state = body.state;
      state.counter.pause_reason = body.pause_reason;
    } else if (a === "call_next" || a === "call") {
      if (state.current) { state.served += 1; }
      if (body === null) {
        state.current = null;
        state.notice = message("Tidak ada yang menunggu di layanan loket ini.",
                               "Nobody is waiting for this counter's services.");
      } else { state.current = body; }
    } else if (a === "recall" || a === "start") {
      state.current = body;
    } else if (a === "finish") {
      state.current = null;
      state.served += 1;
    } else if (a === "no_show") {
      state.noShows = [[body.id, body.number]].concat(state.noShows.filter(function (n) {
        return n[0] !== body.id; })).slice(0, NO_SHOW_MEMORY);
      state.current = null;
    } else if (a === "return") {
      state.noShows = state.noShows.filter(function (n) { return n[0] !== body.id; });
      state.notice = message(body.number + " kembali ke antrean.", body.number + " is back in the line.");
    } else if (a === "transfer") {
      state.current = null;
      var names = serviceNames(cmd.body.service);
      state.notice = message(cmd.number + " dipindah ke " + names[0] + ".",
                             cmd.number + " moved to " + names[1] + ".");
    }
  }

  function serviceNames(code) {
    var s = state.services.filter(function (x) { return x.code === code; })[0];
    return s ? [s.name, s.name_en || s.name] : [code, code];
  }

  function refresh() {
    if (!state.site) { return Promise.resolve(); }
    return request("GET", "/api/v1/sites/" + encodeURIComponent(state.site) + "/snapshot")
      .then(applySnapshot, function () { /* offline: the stream's snapshot will come */ });
  }

  function applySnapshot(snapshot) {
    if (!state.counter) { return; }
    var mine = snapshot.counters.filter(function (c) { return c.counter.id === state.counter.id; })[0];
    state.queues = {};
    snapshot.queues.forEach(function (q) { state.queues[q.service] = q; });
    if (mine) {
      state.counter.state = mine.counter.state;
      state.counter.pause_reason = mine.counter.pause_reason;
      state.served = mine.counter.served_today;
      state.current = mine.ticket && (mine.ticket.status === "called" || mine.ticket.status === "serving")
        ? mine.ticket : null;
    }
    state.lastSeq = Math.max(state.lastSeq || 0, snapshot.seq);
    render();
  }

  // ---------------------------------------------------------------- logging in
  function showLogin(note) {
    var dialog = el("login");
    dialog.hidden = false;
    el("login_note").textContent = note || "";
    var form = el("login_form");
    var saved = localStorage.getItem(STORE + "username") || "";
    if (saved && !form.elements.username.value) { form.elements.username.value = saved; }
    (form.elements.username.value ? form.elements.password : form.elements.username).focus();
  }

  el("login_form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    if (Date.now() < state.loginRetryAt) { return; }
    var username = form.elements.username.value.trim();
    var password = form.elements.password.value;
    if (!username || !password) {
      el("login_error").textContent = pick(message("Isi nama pengguna dan kata sandi.",
                                                   "Fill in the username and the password."));
      return;
    }
    el("login_button").disabled = true;
    el("login_error").textContent = say("logging_in");
    state.token = null;
    request("POST", "/api/v1/auth/token", {username: username, password: password}).then(function (answer) {
      state.token = answer.access_token;
      state.officer = answer.officer;
      sessionStorage.setItem(STORE + "token", state.token);
      localStorage.setItem(STORE + "username", username);
      form.elements.password.value = "";
      el("login_error").textContent = "";
      el("login_button").disabled = false;
      el("login").hidden = true;
      start();
    }, function (error) {
      form.elements.password.value = "";
      el("login_button").disabled = false;
      if (!(error instanceof ApiError)) {
        el("login_error").textContent = pick(message("Server tidak dapat dihubungi. Coba lagi.",
                                                     "The server cannot be reached. Try again."));
        return;
      }
      if (error.status === 429) { return tooMany(error.retryAfter || 30); }
      el("login_error").textContent = pick(error.text);
    });
  });

  // The server limits login attempts: say plainly when the next one is allowed, and wait.
  function tooMany(seconds) {
    state.loginRetryAt = Date.now() + seconds * 1000;
    var button = el("login_button");
    button.disabled = true;
    function tick() {
      var left = Math.ceil((state.loginRetryAt - Date.now()) / 1000);
      if (left <= 0) {
        button.disabled = false;
        el("login_error").textContent = pick(message("Silakan coba masuk lagi.", "You may try again now."));
        return;
      }
      el("login_error").textContent = pick(message(
        "Terlalu banyak percobaan masuk. Coba lagi dalam " + left + " detik.",
        "Too many login attempts. Try again in " + left + " seconds."));
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function sessionEnded(cmd) {
    state.token = null;
    sessionStorage.removeItem(STORE + "token");
    state.error = C.texts.login_again;
    render();
    showLogin(say("login_again"));
    if (cmd) { state.afterLogin = cmd; }
  }

  // ---------------------------------------------------------------- the counter
  function start() {
    var me = request("GET", "/api/v1/auth/me");
    var sites = request("GET", "/api/v1/sites");
    return Promise.all([me, sites]).then(function (answers) {
      state.officer = answers[0];
      var site = state.officer.site || (answers[1][0] || {}).code;
      state.site = site;
      state.timezone = (answers[1].filter(function (s) { return s.code === site; })[0] || {}).timezone;
      return Promise.all([request("GET", "/api/v1/sites/" + encodeURIComponent(site) + "/counters"),
                          request("GET", "/api/v1/sites/" + encodeURIComponent(site) + "/services")]);
    }).then(function (answers) {
      state.counters = answers[0];
      state.services = answers[1];
      var wanted = Number(params.get("counter") || localStorage.getItem(STORE + "counter") || 0);
      var found = state.counters.filter(function (c) { return c.number === wanted; })[0];
      if (found && mayWork(found)) { return use(found); }
      if (found) {
        el("choose_error").textContent = pick(message(
          "Loket " + found.number + " milik " + found.agency.name + "; Anda petugas " +
            (state.officer.agency || "instansi lain") + ". Pilih loket instansi Anda.",
          "Counter " + found.number + " belongs to " + (found.agency.name_en || found.agency.name) +
            "; you are an officer of " + (state.officer.agency || "another agency") +
            ". Choose a counter of your agency."));
      } else if (wanted) {
        el("choose_error").textContent = pick(message("Loket " + wanted + " tidak ada di gedung ini.",
          "There is no counter " + wanted + " at this site."));
      }
      chooseCounter();
    }, function (error) {
      if (error instanceof ApiError && error.status === 401) { return sessionEnded(null); }
      state.online = false;
      render();
      window.setTimeout(start, 2000);
    });
  }

  // An officer works only at a counter of their own agency (the server refuses anything else).
  function mayWork(counter) {
    return state.officer.role !== "officer" || counter.agency.code === state.officer.agency;
  }

  var chooser = {index: 0, list: []};
  function chooseCounter() {
    chooser.list = state.counters.filter(mayWork);
    chooser.index = 0;
    el("choose").hidden = false;
    el("choose_title").textContent = pick(message("Pilih loket", "Choose the counter"));
    drawChooser();
  }

  function drawChooser() {
    var list = el("choose_list");
    list.replaceChildren.apply(list, chooser.list.map(function (c, i) {
      var li = document.createElement("li");
      li.textContent = c.name + " · " + c.agency.name;
      li.className = i === chooser.index ? "chosen" : "";
      li.addEventListener("click", function () { chooser.index = i; use(chooser.list[i]); });
      return li;
    }));
    if (!chooser.list.length) {
      el("choose_error").textContent = pick(message("Tidak ada loket untuk instansi Anda.",
                                                    "There is no counter of your agency."));
    }
  }

  function use(counter) {
    el("choose").hidden = true;
    state.counter = counter;
    localStorage.setItem(STORE + "counter", String(counter.number));
    state.noShows = [];
    el("work").hidden = false;
    render();
    return refresh().then(function () {
      connect();
      if (state.afterLogin) {
        var cmd = state.afterLogin;
        state.afterLogin = null;
        command(cmd.action, cmd.path, cmd.body, cmd.number, cmd.key);  // the same key: never twice
      }
    });
  }

  // ---------------------------------------------------------------- the event stream
  var socket = null;
  var attempt = 0;
  function connect() {
    if (!state.counter || !state.token) { return; }
    var query = "token=" + encodeURIComponent(state.token) + "&site=" + encodeURIComponent(state.site) +
      "&topics=" + encodeURIComponent("counter:" + state.counter.id);
    if (state.lastSeq !== null) { query += "&since=" + state.lastSeq; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/api/v1/ws?" + query);
    heardAt = performance.now();
    socket.onmessage = function (raw) {
      heardAt = performance.now();
      var data = JSON.parse(raw.data);
      if (data.type === "welcome") { state.online = true; attempt = 0; heartbeat = data.heartbeat_seconds || 15; }
      else if (data.type === "snapshot") { applySnapshot(data.snapshot); state.lastSeq = data.seq; }
      else if (data.type === "synced" || data.type === "ping") {
        if (typeof data.seq === "number") { state.lastSeq = Math.max(state.lastSeq || 0, data.seq); }
        if (data.type === "ping") { socket.send('{"type":"pong"}'); }
      } else if (typeof data.seq === "number" && data.type !== "pong") {
        if (state.lastSeq !== null && data.seq <= state.lastSeq) { return; }
        state.lastSeq = data.seq;
        pushed(data);
      }
      render();
    };
    socket.onclose = function (event) {
      lost();
      if (event.code === 4401) { return sessionEnded(null); }
      reconnect();
    };
  }

  function lost() {
    if (socket) { socket.onclose = null; socket.onmessage = null; }
    socket = null;
    state.online = false;
    render();
  }

  function reconnect() {
    var delay = Math.random() * Math.min(4000, 200 * Math.pow(2, attempt));  // an officer waits
    attempt += 1;
    window.setTimeout(connect, delay);
  }

  // silence for two and a half heartbeats: the network is gone; say so and connect anew
  var heartbeat = 15, heardAt = 0, lastPing = 0;
  setInterval(function () {
    if (!socket || socket.readyState !== 1) { return; }
    var now = performance.now();
    if (now - heardAt > heartbeat * 2500) {
      var quiet = socket;
      lost();
      quiet.close();
      reconnect();
    } else if (now - lastPing > heartbeat * 1000) {
      lastPing = now;
      socket.send('{"type":"ping"}');
    }
  }, 1000);

  function mine(event) { return event.counter && event.counter.id === state.counter.id; }

  function pushed(event) {
    var type = event.type;
    var ticket = event.ticket;
    var holding = state.current && ticket && state.current.id === ticket.id;
    if (type === "queue.summary") {
      event.queues.forEach(function (q) { state.queues[q.service] = q; });
    } else if (type === "counter.state" && mine(event)) {
      state.counter.state = event.state;
      state.counter.pause_reason = event.pause_reason;
    } else if ((type === "ticket.cancelled" || type === "ticket.transferred") && holding) {
      state.current = null;
    } else if (!mine(event)) {
      return;
    } else if (type === "ticket.called" || type === "ticket.recalled") {
      if (holding) {
        state.current.status = ticket.status;
        if (event.call_count) { state.current.call_count = event.call_count; }
      } else if (!state.pending) {
        refresh();  // called here by the keypad or another screen: ask for the whole ticket
      }
    } else if (type === "ticket.serving" && holding) {
      state.current.status = "serving";
      state.current.started_at = state.current.started_at || event.at;
    } else if ((type === "ticket.finished" || type === "ticket.no_show") && holding && !state.pending) {
      if (type === "ticket.finished") { state.served += 1; }
      else { state.noShows = [[ticket.id, ticket.number]].concat(state.noShows).slice(0, NO_SHOW_MEMORY); }
      state.current = null;
    }
  }

  // ---------------------------------------------------------------- keys and buttons
  function ready() {
    return state.online && !state.pending && state.counter && state.token && !state.modal;
  }

  function enabled(action) {
    if (action === "language") { return true; }
    if (!ready()) { return false; }
    var holding = !!state.current;
    if (["recall", "finish", "no_show", "transfer"].indexOf(action) >= 0) { return holding; }
    if (action === "start") { return holding && state.current.status === "called"; }
    if (action === "call_next" || action === "call") { return state.counter.state === "open"; }
    if (action === "return") { return state.noShows.length > 0; }
    if (action === "close") { return state.counter.state !== "closed" && !holding; }
    return action === "pause";
  }

  function whyNot(action) {
    if (!state.online) { return message("Tidak terhubung ke server. Menyambung kembali…",
                                        "Not connected to the server. Reconnecting…"); }
    if (state.pending) { return message("Tunggu, perintah sebelumnya masih dikirim.",
                                        "Wait, the previous command is still on its way."); }
    if (["recall", "start", "finish", "no_show", "transfer"].indexOf(action) >= 0 && !state.current) {
      return message("Tidak ada nomor di loket ini. Tekan " + C.keys.call_next + " untuk memanggil.",
                     "No ticket at this counter. Press " + C.keys.call_next + " to call one."); }
    if (action === "start") { return message(state.current.number + " sudah dilayani.",
                                             state.current.number + " is already being served."); }
    if (action === "call_next" || action === "call") {
      return C.texts[state.counter.state === "paused" ? "paused_hint" : "closed_hint"].map(withKeys);
    }
    if (action === "return") { return message("Belum ada nomor yang tidak hadir di loket ini.",
                                              "No ticket has been marked absent at this counter."); }
    if (action === "close" && state.current) {
      return message("Selesaikan " + state.current.number + " dulu sebelum menutup loket.",
                     "Finish " + state.current.number + " before closing the counter."); }
    return message("Loket sudah tutup.", "The counter is already closed.");
  }

  function press(action) {
    if (action === "language") {
      state.language = state.language === "en" ? "id" : "en";
      localStorage.setItem(STORE + "language", state.language);
      fixedTexts();
      render();
      return;
    }
    if (!enabled(action)) {
      state.error = whyNot(action);
      state.notice = null;
      render();
      return;
    }
    var id = state.counter.id;
    var cur = state.current;
    if (action === "call_next") { return command("call_next", "/api/v1/counters/" + id + "/call-next", undefined); }
    if (["recall", "start", "finish", "no_show"].indexOf(action) >= 0) {
      return command(action, "/api/v1/tickets/" + cur.id + "/" + action.replace("_", "-"), undefined, cur.number);
    }
    if (action === "transfer") {
      var others = state.services.filter(function (s) { return s.code !== cur.service; });
      others.sort(function (a, b) {
        var mineA = a.agency.code === state.counter.agency.code ? 0 : 1;
        var mineB = b.agency.code === state.counter.agency.code ? 0 : 1;
        return mineA - mineB || a.agency.code.localeCompare(b.agency.code) || a.name.localeCompare(b.name);
      });
      return openPicker("transfer", others.map(function (s) {
        return [s.code, s.prefix + " · " + s.name, s.prefix + " · " + (s.name_en || s.name)];
      }));
    }
    if (action === "return") {
      if (state.noShows.length === 1) { return giveBack(state.noShows[0]); }
      return openPicker("return", state.noShows.map(function (n) { return [String(n[0]), n[1], n[1]]; }));
    }
    if (action === "call") { return openPrompt("call_number"); }
    if (action === "close") { return command("close", "/api/v1/counters/" + id + "/close", undefined); }
    // the state key: opens a closed counter, pauses an open one (asking why), resumes a paused one
    if (state.counter.state === "closed") { return command("open", "/api/v1/counters/" + id + "/open", undefined); }
    if (state.counter.state === "paused") { return command("resume", "/api/v1/counters/" + id + "/resume", undefined); }
    openPicker("pause", C.pause_reasons.map(function (r) { return [r[0], r[0], r[1]]; })
      .concat([["", "Lainnya…", "Other…"]]));
  }

  function giveBack(noShow) {
    return command("return", "/api/v1/tickets/" + noShow[0] + "/return", {reason: null}, noShow[1]);
  }

  function openPicker(kind, choices) {
    state.modal = {kind: kind, choices: choices, index: 0};
    render();
  }

  function openPrompt(kind, extra) {
    state.modal = Object.assign({kind: kind, prompt: true}, extra || {});
    render();
    var input = el("modal_input");
    input.value = "";
    input.focus();
  }

  function pickerEnter() {
    var m = state.modal;
    var value = m.choices[m.index][0];
    state.modal = null;
    if (m.kind === "transfer") {
      return command("transfer", "/api/v1/tickets/" + state.current.id + "/transfer",
                     {service: value, reason: null}, state.current.number);
    }
    if (m.kind === "return") { return giveBack([Number(value), m.choices[m.index][1]]); }
    if (!value) { return openPrompt("pause"); }
    return command("pause", "/api/v1/counters/" + state.counter.id + "/pause", {reason: value});
  }

  var NUMBER = /^\s*([A-Za-z]{1,3})\s*-?\s*(\d{1,4})\s*$/;
  function promptEnter() {
    var m = state.modal;
    var text = el("modal_input").value.trim();
    if (m.kind === "call_number") {
      var match = NUMBER.exec(text);
      if (!match) {
        el("modal_error").textContent = pick(message("Ketik nomor seperti A-013.", "Type a number such as A-013."));
        return;
      }
      var number = match[1].toUpperCase() + "-" + ("00" + Number(match[2])).slice(-Math.max(3, String(Number(match[2])).length));
      return openPrompt("call_reason", {number: number});
    }
    if (text.length < (m.kind === "call_reason" ? 3 : 2)) {
      el("modal_error").textContent = pick(message("Tuliskan alasannya (dicatat dalam jejak audit).",
                                                   "Write the reason (it is kept in the audit trail)."));
      return;
    }
    state.modal = null;
    if (m.kind === "call_reason") {
      return command("call", "/api/v1/counters/" + state.counter.id + "/call",
                     {number: m.number, reason: text}, m.number);
    }
    return command("pause", "/api/v1/counters/" + state.counter.id + "/pause", {reason: text});
  }

  var BY_KEY = {};
  C.buttons.forEach(function (b) { BY_KEY[b.key] = b.action; });
  BY_KEY[C.keys.language.toLowerCase()] = "language";

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (!el("login").hidden) { return; }  // the form takes its keys (Tab, Enter)
    if (!el("choose").hidden) {
      return listKey(event, chooser, function () { use(chooser.list[chooser.index]); }, drawChooser);
    }
    if (state.modal) {
      if (event.key === "Escape") { state.modal = null; render(); event.preventDefault(); return; }
      if (state.modal.prompt) {
        if (event.key === "Enter") { event.preventDefault(); promptEnter(); }
        return;  // typing goes to the field
      }
      return listKey(event, state.modal, pickerEnter, render);
    }
    if (event.key === "Escape") { state.error = null; state.notice = null; render(); return; }
    var action = BY_KEY[event.key.toLowerCase()];
    if (action) {
      event.preventDefault();
      press(action);
    }
  });

  function listKey(event, holder, enter, redraw) {
    var count = (holder.choices || holder.list).length;
    if (!count) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      holder.index = (holder.index + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      event.preventDefault();
      redraw();
    } else if (event.key === "Enter") {
      event.preventDefault();
      enter();
    }
  }

  // ---------------------------------------------------------------- drawing
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function duration(since) {
    if (!since) { return "—"; }
    var seconds = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return two(minutes) + ":" + two(seconds % 60); }
    return Math.floor(minutes / 60) + ":" + two(minutes % 60) + ":" + two(seconds % 60);
  }

  // "06.04" in the hall's time zone, as the pygame counter shows it (common/formats.clock_time)
  function clock() {
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {timeZone: state.timezone || undefined, hour: "2-digit",
        minute: "2-digit", hourCycle: "h23"}).formatToParts(new Date())
        .forEach(function (p) { parts[p.type] = p.value; });
    } catch (error) { return ""; }
    return (parts.hour === "24" ? "00" : parts.hour) + "." + parts.minute;
  }

  function fixedTexts() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (node) {
      node.textContent = say(node.getAttribute("data-text"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-key]"), function (node) {
      node.textContent = C.keys[node.getAttribute("data-key")];
    });
    var keys = el("keys");
    var parts = C.buttons.map(function (b) {
      var label = b.action === "pause" ? say("pause") + "/" + say("resume") : say(b.action);
      return "<kbd>" + b.key + "</kbd>" + label;
    });
    parts.push("<kbd>" + C.keys.language + "</kbd>" + say("language"), "<kbd>Esc</kbd>" +
               pick(message("batal", "cancel")));
    keys.innerHTML = parts.join(" · ");
  }

  function stateLabel() {
    if (state.counter && state.counter.state === "closed") { return say("open"); }
    if (state.counter && state.counter.state === "paused") { return say("resume"); }
    return say("pause");
  }

  function render() {
    var counter = state.counter;
    var pill = el("state");
    el("clock").textContent = clock();
    if (counter) {
      pill.textContent = say("state_" + counter.state);
      pill.style.background = C.state_colors[counter.state];
      el("title").textContent = [counter.name, state.officer && state.officer.name].filter(Boolean).join(" · ");
    } else {
      pill.textContent = "";
      el("title").textContent = "Antrean · " + say("login_title");
    }
    var banners = [];
    if (!state.online && state.token) {
      banners.push([say(counter ? "offline" : "connecting"), design.palette.danger]);
    }
    if (counter && counter.state === "paused" && counter.pause_reason) {
      banners.push([say("state_paused") + ": " + counter.pause_reason, design.palette.warn]);
    }
    if (state.pending) {
      var label = C.texts[state.pending.action] ? say(state.pending.action) : state.pending.action;
      banners.push([say("sending") + ": " + label + (state.pending.number ? " " + state.pending.number : "") + "…",
                    state.online ? design.palette.muted : design.palette.warn]);
    }
    var box = el("banners");
    box.replaceChildren.apply(box, banners.map(function (b) {
      var div = document.createElement("div");
      div.textContent = b[0];
      div.style.background = b[1];
      return div;
    }));
    if (!counter) { return; }
    drawTicket();
    var line = el("message");
    line.className = "message" + (state.error ? " error" : state.notice ? " notice" : "");
    line.textContent = state.error ? withKeys(pick(state.error)) : state.notice ? pick(state.notice) : "";
    drawQueues();
    drawButtons();
    drawModal();
  }

  function drawTicket() {
    var box = el("ticket");
    var cur = state.current;
    var lang = state.language;
    if (!cur) {
      var hint = state.counter.state === "closed" ? "closed_hint" : state.counter.state === "paused"
        ? "paused_hint" : "no_ticket_hint";
      box.innerHTML = "";
      var empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = say("no_ticket");
      var p = document.createElement("p");
      p.className = "hint";
      p.textContent = say(hint);
      box.append(empty, p);
      box.removeAttribute("data-number");
      return;
    }
    box.setAttribute("data-number", cur.number);
    box.setAttribute("data-status", cur.status);
    var serving = cur.status === "serving";
    var status = say(serving ? "serving" : "called") + (cur.call_count > 1 ? " · " + cur.call_count + " " + say("times_called") : "");
    var waited = cur.issued_at && cur.called_at
      ? Math.max(0, Math.floor((Date.parse(cur.called_at) - Date.parse(cur.issued_at)) / 1000)) : null;
    box.innerHTML = "";
    var head = document.createElement("div");
    var badge = document.createElement("span");
    badge.className = "status";
    badge.style.background = serving ? design.palette.ok : design.palette.accent;
    badge.textContent = status;
    head.appendChild(badge);
    if (cur.priority) {
      var prio = document.createElement("span");
      prio.className = "priority";
      prio.textContent = say("priority");
      head.appendChild(prio);
    }
    var number = document.createElement("div");
    number.className = "number";
    number.textContent = cur.number;
    var service = document.createElement("div");
    service.className = "service";
    service.textContent = lang === "en" && cur.service_name_en ? cur.service_name_en : cur.service_name;
    var times = document.createElement("div");
    times.className = "times";
    var waitedText = waited === null ? "—" : two(Math.floor(waited / 60)) + ":" + two(waited % 60);
    [[say("waited"), waitedText],
     serving ? [say("served_for"), duration(cur.started_at)] : [say("since_call"), duration(cur.called_at)]]
      .forEach(function (pair) {
        var span = document.createElement("span");
        var small = document.createElement("small");
        small.textContent = pair[0];
        var b = document.createElement("b");
        b.textContent = pair[1];
        span.append(small, b);
        times.appendChild(span);
      });
    box.append(head, number, service, times);
  }

  function drawQueues() {
    var table = el("queues");
    var codes = Object.keys(state.counter.services).sort(function (a, b) {
      return state.counter.services[b] - state.counter.services[a] || a.localeCompare(b);
    });
    table.replaceChildren.apply(table, codes.map(function (code) {
      var q = state.queues[code] || {waiting: 0, waiting_priority: 0};
      var s = state.services.filter(function (x) { return x.code === code; })[0];
      var tr = document.createElement("tr");
      tr.setAttribute("data-service", code);
      var name = document.createElement("td");
      name.textContent = (s ? s.prefix + "  " + (state.language === "en" && s.name_en ? s.name_en : s.name) : code);
      var n = document.createElement("td");
      n.className = "n";
      n.textContent = (q.waiting_priority ? q.waiting_priority + " " + say("priority_short") + " · " : "") + q.waiting;
      tr.append(name, n);
      return tr;
    }));
    el("served").textContent = say("served_today") + ": " + state.served;
  }

  function drawButtons() {
    var box = el("buttons");
    if (!box.children.length) {
      C.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("data-action", b.action);
        button.style.background = b.color;
        button.innerHTML = "<kbd></kbd><span></span>";
        button.querySelector("kbd").textContent = b.key;
        button.addEventListener("click", function () { press(b.action); });
        box.appendChild(button);
      });
    }
    Array.prototype.forEach.call(box.children, function (button) {
      var action = button.getAttribute("data-action");
      button.querySelector("span").textContent = action === "pause" ? stateLabel() : say(action);
      button.disabled = !enabled(action);
    });
  }

  function drawModal() {
    var m = state.modal;
    var dialog = el("modal");
    dialog.hidden = !m;
    if (!m) { return; }
    el("modal_title").textContent = say((m.prompt ? "prompt_" : "pick_") + m.kind);
    el("modal_hint").textContent = say(m.prompt ? "prompt_hint" : "picker_hint");
    el("modal_input").hidden = !m.prompt;
    var list = el("modal_list");
    list.hidden = !!m.prompt;
    if (!m.prompt) {
      el("modal_error").textContent = "";
      list.replaceChildren.apply(list, m.choices.map(function (c, i) {
        var li = document.createElement("li");
        li.textContent = state.language === "en" ? c[2] : c[1];
        li.className = i === m.index ? "chosen" : "";
        li.addEventListener("click", function () { m.index = i; pickerEnter(); });
        return li;
      }));
    }
  }

  setInterval(render, 1000);
  el("buttons").addEventListener("click", function () { el("buttons").blur(); });
  document.querySelector("[data-action=language]").addEventListener("click", function () { press("language"); });

  window.antreanCounter = {state: state, press: press};
  fixedTexts();
  render();
  if (state.token) { start(); } else { showLogin(""); }
})();
