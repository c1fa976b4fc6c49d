/* safeenough: keep the keyboard's place when an alert changes.
 *
 * Acknowledge, resolve and reopen post with htmx and get the whole alert list back; the button that had
 * focus is gone with the old list, so focus would drop to the start of the page. Move it to the status
 * line that says what changed ("Alert acknowledged."), which screen readers also announce.
 */
(function () {
  "use strict";

  // Only the alert actions swap the list, so a settled new "#alerts" means one of them was used.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!(event.target instanceof Element) || event.target.id !== "alerts") {
      return;
    }
    var status = document.getElementById("alerts-status");
    if (status) {
      status.focus();
    }
  });
})();
