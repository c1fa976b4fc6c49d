/* safeenough: keep the keyboard's place when htmx replaces part of a case page.
 *
 * Acknowledge, resolve and reopen post with htmx and get the whole alert list back; "Add session" gets the
 * whole sessions area back, its form included. The button that had focus is gone with the old content,
 * so focus would drop to the start of the page. Move it to the status line that says what changed
 * ("Alert acknowledged.", "Session 4 added.", "Saved: …" for what check-ins ask), which screen readers also announce, or to the problem
 * when the change was refused.
 */
(function () {
  "use strict";

  // The part htmx replaced (by id) → where focus goes in its place, first one present and not empty.
  var FOCUS_AFTER_SWAP = {
    alerts: ["alerts-status"],
    "sessions-area": ["add-session-error", "sessions-status"],
    "checkin-questionnaires": ["questionnaires-error", "questionnaires-status"]
  };

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!(event.target instanceof Element)) {
      return;
    }
    var candidates = FOCUS_AFTER_SWAP[event.target.id];
    if (!candidates) {
      return;
    }
    for (var i = 0; i < candidates.length; i += 1) {
      var element = document.getElementById(candidates[i]);
      if (element && element.textContent.trim() !== "") {
        element.focus();
        return;
      }
    }
  });
})();
