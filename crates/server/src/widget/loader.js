// Wayfinder website widget: <script src="https://wayfinder.example/widget.js" data-widget="ID" async></script>
// Checks in with the server (which answers only sites the widget allows), then
// adds a launcher button in a shadow root (the page's styles do not reach it)
// that opens the chat in a frame served by Wayfinder.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var id = script.getAttribute("data-widget");
  if (!id) return;
  var base = new URL(script.src, location.href).origin;
  var prefix = "Wayfinder widget: ";

  fetch(base + "/api/v1/widgets/" + encodeURIComponent(id) + "/config", { credentials: "omit" })
    .then(function (r) {
      if (!r.ok) throw new Error("the server refused (" + r.status + ")");
      return r.json();
    })
    .then(mount, function (e) {
      console.warn(prefix + "not shown on " + location.origin + ": " + (e && e.message ? e.message : e) +
        ". An administrator lists the sites it may appear on.");
    });

  function mount(config) {
    var host = document.createElement("div");
    host.setAttribute("data-wayfinder-widget", id);
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent =
      ":host{all:initial}" +
      ".wf{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.4 system-ui,sans-serif}" +
      ".launch{border:0;border-radius:28px;padding:12px 18px;background:#1f5fbf;color:#fff;cursor:pointer;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.25);font:inherit}" +
      ".launch:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
      ".panel{position:absolute;right:0;bottom:60px;width:min(380px,calc(100vw - 40px));" +
      "height:min(560px,calc(100vh - 100px));border-radius:12px;overflow:hidden;background:#fff;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.3)}" +
      ".panel[hidden]{display:none}iframe{border:0;width:100%;height:100%}";
    var wrap = document.createElement("div");
    wrap.className = "wf";
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.hidden = true;
    var button = document.createElement("button");
    button.className = "launch";
    button.type = "button";
    button.textContent = "Ask " + config.coach_name;
    button.setAttribute("aria-expanded", "false");
    var frame = null;
    button.addEventListener("click", function () {
      var open = panel.hidden;
      if (open && !frame) {
        frame = document.createElement("iframe");
        frame.title = "Chat with " + config.coach_name;
        frame.src = base + "/widget/" + encodeURIComponent(id);
        frame.allow = "clipboard-write";
        panel.appendChild(frame);
      }
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Close chat" : "Ask " + config.coach_name;
    });
    wrap.appendChild(panel);
    wrap.appendChild(button);
    root.appendChild(style);
    root.appendChild(wrap);
    document.body.appendChild(host);
  }
})();
