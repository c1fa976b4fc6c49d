/* safeenough: focus the message about the change just made, when the page came back to a part of itself.
 *
 * A page that comes back after a change (`?done=…&at=…#part`) shows what was done beside that part, in an
 * element marked `autofocus`. Browsers skip autofocus when the address names a part of the page (the
 * `#part`), so we move focus here: the keyboard carries on from the change, and screen readers read it.
 * Without scripts the browser still scrolls to the part, where the message is.
 */
(function () {
  "use strict";

  function focusMessage() {
    var message = document.querySelector("[data-focus-on-load]");
    if (message && (document.activeElement === null || document.activeElement === document.body)) {
      message.focus();
    }
  }

  // After the browser has gone to `#part`: going there resets focus, so focusing earlier would not last.
  function afterLoad() {
    window.setTimeout(focusMessage, 0);
  }

  if (document.readyState === "complete") {
    afterLoad();
  } else {
    window.addEventListener("load", afterLoad);
  }
})();
