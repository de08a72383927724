// Hands a signed-in member's widget session to the widget frame that opened
// this window (same origin only), then closes.
(function () {
  "use strict";
  var token = document.body.getAttribute("data-token");
  if (token && window.opener) {
    window.opener.postMessage({ type: "wayfinder-widget-session", token: token }, location.origin);
    window.close();
  }
})();
