// The chat inside a Wayfinder widget's frame: an anonymous visitor's session
// (or a member's, after signing in through a Wayfinder window) kept in this
// origin's storage, the conversation so far, and questions answered with
// their sources.
(function () {
  "use strict";
  var body = document.body;
  var id = body.getAttribute("data-widget");
  var audience = body.getAttribute("data-audience");
  var api = "/api/v1/widgets/" + encodeURIComponent(id);
  var key = "wayfinder-widget-" + id;
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var status = document.getElementById("status");
  var signin = document.getElementById("signin");

  function token() {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function keep(value) {
    try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); } catch (e) { /* storage off */ }
  }
  function call(method, path, data) {
    var headers = { "Content-Type": "application/json" };
    var t = token();
    if (t) headers.Authorization = "Bearer " + t;
    return fetch(api + path, { method: method, headers: headers, body: data ? JSON.stringify(data) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          if (!r.ok) {
            var error = new Error((json.error && json.error.message) || "Something went wrong (" + r.status + ").");
            error.status = r.status;
            throw error;
          }
          return json;
        });
      });
  }
  function say(text, isError) {
    status.textContent = text || "";
    status.className = isError ? "status error" : "status";
  }
  function show(message) {
    var item = document.createElement("li");
    item.className = message.role === "user" ? "msg user" : "msg coach";
    var text = document.createElement("p");
    text.textContent = message.content;
    item.appendChild(text);
    if (message.sources && message.sources.length) {
      var list = document.createElement("ol");
      list.className = "sources";
      list.setAttribute("aria-label", "Sources");
      message.sources.forEach(function (s) {
        var li = document.createElement("li");
        li.value = s.number;
        li.textContent = s.title + (s.section ? " › " + s.section : "") + (s.page ? ", p. " + s.page : "");
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }
  function ready(enabled) {
    input.disabled = !enabled;
    send.disabled = !enabled;
  }
  function load() {
    return call("GET", "/messages").then(function (messages) {
      messages.forEach(show);
      ready(true);
    });
  }
  function start() {
    if (token()) {
      return load().catch(function (e) {
        if (e.status === 401) { keep(null); return start(); }
        say(e.message, true);
      });
    }
    if (audience === "members") {
      signin.hidden = false;
      ready(false);
      return Promise.resolve();
    }
    return call("POST", "/sessions").then(function (session) {
      keep(session.token);
      ready(true);
    }, function (e) { say(e.message, true); });
  }

  signin.addEventListener("click", function () {
    window.open("/widget/" + encodeURIComponent(id) + "/connect", "wayfinder-signin", "width=480,height=640");
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || !event.data || event.data.type !== "wayfinder-widget-session") return;
    keep(event.data.token);
    signin.hidden = true;
    load().catch(function (e) { say(e.message, true); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question) return;
    ready(false);
    say("Thinking…");
    call("POST", "/messages", { content: question }).then(function (exchange) {
      input.value = "";
      show(exchange.question);
      show(exchange.answer);
      say("");
    }, function (e) {
      say(e.message, true);
    }).then(function () { ready(true); input.focus(); });
  });
  start();
})();
