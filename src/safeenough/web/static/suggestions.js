/* Suggested check-ins on the session report: copy, edit or dismiss each one.
 *
 * The report's HTML carries each suggestion's buttons hidden (they do nothing without this script);
 * here they are shown and wired up. An edit lasts for this page only. A dismissal is stored with the
 * session in the app (the report then leaves it out, downloads too); in a downloaded report it lasts for
 * the page. Nothing is ever sent to the client. No inline script or style is used, so the app's
 * Content-Security-Policy holds.
 */
(function () {
  "use strict";

  var STATUS_CLEAR_MS = 4000;

  function textOf(card) {
    var editor = card.querySelector(".suggestion-editor");
    if (editor) {
      return editor.value;
    }
    var text = card.querySelector(".sr-suggestion__text");
    return text ? text.textContent.trim() : "";
  }

  function statusOf(card) {
    var status = card.querySelector(".suggestion-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "suggestion-status";
      status.setAttribute("role", "status");
      card.querySelector(".sr-suggestion__actions").appendChild(status);
    }
    return status;
  }

  function say(card, message) {
    var status = statusOf(card);
    status.textContent = message;
    window.clearTimeout(status.clearTimer);
    status.clearTimer = window.setTimeout(function () {
      status.textContent = "";
    }, STATUS_CLEAR_MS);
  }

  function copyWithSelection(text) {
    // For pages served over plain http from another machine, where the clipboard API is not offered.
    var scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.className = "suggestion-scratch";
    document.body.appendChild(scratch);
    scratch.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(scratch);
    return copied;
  }

  function copy(card) {
    var text = textOf(card);
    var failed = function () {
      say(card, "Could not copy: select the text and press Ctrl+C (⌘C on a Mac).");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        say(card, "Copied");
      }, function () {
        if (copyWithSelection(text)) {
          say(card, "Copied");
        } else {
          failed();
        }
      });
    } else if (copyWithSelection(text)) {
      say(card, "Copied");
    } else {
      failed();
    }
  }

  function toggleEdit(card, button) {
    var text = card.querySelector(".sr-suggestion__text");
    var editor = card.querySelector(".suggestion-editor");
    if (editor) {
      // Done: keep the edited words in the card (for this page only), and go back to reading.
      text.textContent = editor.value;
      editor.parentNode.removeChild(editor);
      text.hidden = false;
      button.querySelector(".sr-button__label").textContent = "Edit";
      button.setAttribute("aria-expanded", "false");
      say(card, "Edited for this page; it is not saved.");
      button.focus();
      return;
    }
    editor = document.createElement("textarea");
    editor.className = "suggestion-editor";
    editor.id = text.id + "-editor";
    editor.rows = 5;
    editor.value = text.textContent.trim();
    editor.setAttribute("aria-label", "Edit the suggested check-in");
    text.hidden = true;
    text.parentNode.insertBefore(editor, text.nextSibling);
    button.querySelector(".sr-button__label").textContent = "Done";
    button.setAttribute("aria-controls", editor.id);
    button.setAttribute("aria-expanded", "true");
    editor.focus();
  }

  function store(card, action) {
    // In the app, a dismissal is stored with the session (and leaves the report's downloads); the
    // standalone report file has no server to tell, so there it lasts for the page only.
    var report = card.closest("[data-suggestions-url]");
    if (!report) {
      return null;
    }
    var body = new URLSearchParams();
    body.append(report.getAttribute("data-csrf-field"), report.getAttribute("data-csrf-token"));
    var url = report.getAttribute("data-suggestions-url") + "/" +
      encodeURIComponent(card.getAttribute("data-suggestion-id")) + "/" + action;
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
    });
  }

  function showDismissed(card, stored) {
    card.hidden = true;
    var note = document.createElement("p");
    note.className = "suggestion-dismissed";
    note.setAttribute("role", "status");
    // The live region goes into the page empty and its words follow, so screen readers announce them.
    var words = document.createTextNode("");
    note.appendChild(words);
    window.setTimeout(function () {
      words.textContent = stored
        ? "Suggestion dismissed: it stays out of this report and its downloads. "
        : "Suggestion dismissed for this page: it shows again when you reload. ";
    }, 50);
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "button button--quiet sr-button sr-button--quiet";
    undo.textContent = "Undo";
    undo.addEventListener("click", function () {
      var back = function () {
        card.hidden = false;
        note.parentNode.removeChild(note);
        var first = card.querySelector(".sr-suggestion__actions button");
        if (first) {
          first.focus();
        }
      };
      var restoring = stored ? store(card, "restore") : null;
      if (restoring) {
        restoring.then(back, function () {
          note.firstChild.textContent = "Could not undo just now; reload the page and use “Show them again”. ";
        });
      } else {
        back();
      }
    });
    note.appendChild(undo);
    card.parentNode.insertBefore(note, card.nextSibling);
    undo.focus();
  }

  function dismiss(card) {
    var storing = store(card, "dismiss");
    if (!storing) {
      showDismissed(card, false);
      return;
    }
    storing.then(function () {
      showDismissed(card, true);
    }, function () {
      say(card, "Could not dismiss it just now; nothing changed. Try again, or reload the page.");
    });
  }

  function wire(card) {
    var actions = card.querySelector(".sr-suggestion__actions");
    if (!actions || card.dataset.suggestionsReady === "1") {
      return;
    }
    card.dataset.suggestionsReady = "1";
    if (card.closest("[data-read-only]")) {
      // A supervisor reads the report; dismissing is the therapist's decision.
      var dismissButton = actions.querySelector('button[data-action="dismiss"]');
      if (dismissButton) {
        dismissButton.parentNode.removeChild(dismissButton);
      }
    }
    actions.hidden = false;
    actions.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button || !actions.contains(button)) {
        return;
      }
      var action = button.getAttribute("data-action");
      if (action === "copy") {
        copy(card);
      } else if (action === "edit") {
        toggleEdit(card, button);
      } else if (action === "dismiss") {
        dismiss(card);
      }
    });
  }

  function start() {
    document.querySelectorAll(".sr-suggestion[data-suggestion-id]").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
