/* safeenough: copy a check-in link.
 *
 * The link is in a read-only text field; focusing it selects the whole link, so it can always be copied
 * by hand. The Copy button (shown only when scripts run) uses the clipboard API and says what happened;
 * where the clipboard is not available (a plain-http address on the network, say), it selects the link
 * and asks the person to press Ctrl+C. Event delegation, so links swapped in by htmx work too.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function say(status, text) {
    if (status) {
      status.textContent = text;
    }
  }

  function selectAll(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) {
      target.select();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!input) {
      return;
    }
    function fallback() {
      selectAll(input);
      say(status, "The link is selected: press Ctrl+C (or ⌘+C) to copy it.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say(status, "Link copied.");
      }, fallback);
    } else {
      fallback();
    }
  });
})();
