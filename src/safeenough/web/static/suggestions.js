/* Suggested check-ins on the session report: copy, edit or dismiss each one.
 *
 * The report's HTML carries each suggestion's buttons hidden (they do nothing without this script);
 * here they are shown and wired up. In the app, an edit is kept with the session when the therapist
 * presses Done: the report and its downloads then show their words, marked as theirs, with the suggested
 * words beside them and a way back to those. Where nothing can be kept (a downloaded report, a
 * supervisor's read-only view, or the app could not be reached) an edit lasts for the page only, and
 * the page says so beside the editor and under the edited words, and points to Copy as the way to keep
 * them; leaving or reloading the page with such an edit not yet copied asks first. Edits never go into
 * the browser's storage (they are health data). A dismissal is stored with the session in the app (the
 * report then leaves it out, downloads too); in a downloaded report it lasts for the page. Nothing is
 * ever sent to the client. No inline script or style is used, so the app's Content-Security-Policy holds.
 */
(function () {
  "use strict";

  var STATUS_CLEAR_MS = 4000;
  var EDITING_NOTE = "Not saved: your edit is lost when you leave or reload this page. " +
    "To keep it, copy it (Copy) into your notes.";
  var EDITED_NOTE = "Edited on this page only, not saved: reloading brings back the suggestion as " +
    "written. Copy it to keep your words.";
  var COPIED_NOTE = "Edited on this page only, not saved; your words were copied.";
  var KEPT = "Kept with this session: the report and its downloads show your words.";

  function noteOf(card) {
    // The standing note about an unsaved edit: it stays until the page goes (unlike the status line).
    var note = card.querySelector(".suggestion-unsaved");
    if (!note) {
      var text = card.querySelector(".sr-suggestion__text");
      note = document.createElement("p");
      note.className = "suggestion-unsaved";
      note.id = text.id + "-unsaved";
      card.querySelector(".sr-suggestion__actions").parentNode.insertBefore(
        note, card.querySelector(".sr-suggestion__actions"));
    }
    return note;
  }

  function hasUncopiedEdit() {
    return document.querySelector('.sr-suggestion[data-edited="1"]:not([data-copied="1"])') !== null;
  }

  window.addEventListener("beforeunload", function (event) {
    if (hasUncopiedEdit()) {
      // Browsers show their own words ("Changes you made may not be saved"); the page already says why.
      event.preventDefault();
      event.returnValue = "";
    }
  });

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
    var copied = function () {
      say(card, "Copied");
      if (card.dataset.edited === "1") {
        card.dataset.copied = "1";
        if (!card.querySelector(".suggestion-editor")) {
          noteOf(card).textContent = COPIED_NOTE;
        }
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(copied, function () {
        if (copyWithSelection(text)) {
          copied();
        } else {
          failed();
        }
      });
    } else if (copyWithSelection(text)) {
      copied();
    } else {
      failed();
    }
  }

  function toggleEdit(card, button) {
    var text = card.querySelector(".sr-suggestion__text");
    var editor = card.querySelector(".suggestion-editor");
    if (editor) {
      // Done: keep the edited words (with the session in the app, else for this page), and go back to reading.
      var changed = editor.value.trim() !== (card.dataset.original || "").trim();
      text.textContent = editor.value;
      editor.parentNode.removeChild(editor);
      text.hidden = false;
      button.querySelector(".sr-button__label").textContent = "Edit";
      button.setAttribute("aria-expanded", "false");
      if (changed && canStore(card)) {
        keepWords(card, editor.value);
      } else if (changed) {
        card.dataset.edited = "1";
        text.classList.add("suggestion-edited");
        var note = noteOf(card);
        note.textContent = card.dataset.copied === "1" ? COPIED_NOTE : EDITED_NOTE;
        text.setAttribute("aria-describedby", note.id);
        say(card, "Not saved: copy it to keep it.");
      } else {
        delete card.dataset.edited;
        text.classList.remove("suggestion-edited");
        text.removeAttribute("aria-describedby");
        var old = card.querySelector(".suggestion-unsaved");
        if (old) {
          old.parentNode.removeChild(old);
        }
      }
      button.focus();
      return;
    }
    if (card.dataset.original === undefined || canStore(card)) {
      // In the app, "changed" is against the words kept now; on a page of its own, against the suggestion.
      card.dataset.original = text.textContent.trim();
    }
    editor = document.createElement("textarea");
    editor.className = "suggestion-editor";
    editor.id = text.id + "-editor";
    editor.rows = 5;
    editor.value = text.textContent.trim();
    editor.setAttribute("aria-label", "Edit the suggested check-in");
    if (!canStore(card)) {
      var editingNote = noteOf(card);
      editingNote.textContent = EDITING_NOTE;
      editor.setAttribute("aria-describedby", editingNote.id);
    }
    editor.addEventListener("input", function () {
      // Words changed since they were copied: they are not kept anywhere any more.
      card.dataset.edited = "1";
      delete card.dataset.copied;
    });
    text.hidden = true;
    text.parentNode.insertBefore(editor, text.nextSibling);
    button.querySelector(".sr-button__label").textContent = "Done";
    button.setAttribute("aria-controls", editor.id);
    button.setAttribute("aria-expanded", "true");
    editor.focus();
  }

  function canStore(card) {
    return card.closest("[data-suggestions-url]") !== null;
  }

  function store(card, action, fields) {
    // In the app, a dismissal or an edit is stored with the session (and shows in the report's
    // downloads); the standalone report file has no server to tell, so there it lasts for the page only.
    // Resolves to the answer's text; a refusal rejects with the app's own words where it gave them.
    var report = card.closest("[data-suggestions-url]");
    if (!report) {
      return null;
    }
    var body = new URLSearchParams();
    body.append(report.getAttribute("data-csrf-field"), report.getAttribute("data-csrf-token"));
    Object.keys(fields || {}).forEach(function (name) {
      body.append(name, fields[name]);
    });
    var url = report.getAttribute("data-suggestions-url") + "/" +
      encodeURIComponent(card.getAttribute("data-suggestion-id")) + "/" + action;
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          throw new Error(response.status === 422 && text ? text : "");
        }
        return text;
      });
    });
  }

  function ownLabelOf(card) {
    var label = card.querySelector(".sr-suggestion__own");
    if (!label) {
      var heading = card.querySelector(".sr-suggestion__label");
      heading.appendChild(document.createTextNode(" · "));
      label = document.createElement("span");
      label.className = "sr-suggestion__own";
      label.textContent = "in your words";
      heading.appendChild(label);
    }
    return label;
  }

  function showOwnWords(card) {
    // The card as the app renders one kept in the therapist's words: marked, with the suggested words
    // under them and a way back to those.
    var text = card.querySelector(".sr-suggestion__text");
    card.dataset.ownWords = "1";
    ownLabelOf(card);
    if (!card.querySelector(".sr-suggestion__suggested")) {
      var suggested = document.createElement("p");
      suggested.className = "sr-suggestion__suggested";
      suggested.id = text.id + "-suggested";
      // No quotation marks around the words: they often quote the client themselves.
      suggested.appendChild(document.createTextNode("As suggested: "));
      var words = document.createElement("span");
      words.className = "sr-suggestion__suggested-text";
      words.textContent = card.dataset.suggested;
      suggested.appendChild(words);
      text.parentNode.insertBefore(suggested, text.nextSibling);
    }
    if (!card.querySelector('button[data-action="suggested-words"]')) {
      var back = document.createElement("button");
      back.type = "button";
      back.className = "button button--quiet sr-button sr-button--quiet";
      back.setAttribute("data-action", "suggested-words");
      back.textContent = "Back to the suggested words";
      // Which suggestion, for screen readers, as on the card's other buttons ("… the suggested opening").
      var which = card.querySelector('button[data-action="copy"] .sr-visually-hidden');
      if (which) {
        var hidden = document.createElement("span");
        hidden.className = "sr-visually-hidden";
        hidden.textContent = " for" + which.textContent;
        back.appendChild(hidden);
      }
      var dismissButton = card.querySelector('button[data-action="dismiss"]');
      card.querySelector(".sr-suggestion__actions").insertBefore(back, dismissButton);
    }
  }

  function showSuggestedWords(card, words) {
    var text = card.querySelector(".sr-suggestion__text");
    text.textContent = words;
    delete card.dataset.ownWords;
    delete card.dataset.original;
    ["sr-suggestion__suggested", "suggestion-unsaved"].forEach(function (name) {
      var gone = card.querySelector("." + name);
      if (gone) {
        gone.parentNode.removeChild(gone);
      }
    });
    var label = card.querySelector(".sr-suggestion__own");
    if (label) {
      // with the " · " before it
      label.parentNode.removeChild(label.previousSibling);
      label.parentNode.removeChild(label);
    }
    var back = card.querySelector('button[data-action="suggested-words"]');
    if (back) {
      back.parentNode.removeChild(back);
    }
  }

  function keepWords(card, words) {
    say(card, "Keeping your words…");
    store(card, "words", { text: words }).then(function () {
      delete card.dataset.edited;
      delete card.dataset.copied;
      var unsaved = card.querySelector(".suggestion-unsaved");
      if (unsaved) {
        unsaved.parentNode.removeChild(unsaved);
      }
      var text = card.querySelector(".sr-suggestion__text");
      text.classList.remove("suggestion-edited");
      text.removeAttribute("aria-describedby");
      if (words.trim() === (card.dataset.suggested || "").trim()) {
        showSuggestedWords(card, card.dataset.suggested);
        say(card, "Back to the suggested words.");
      } else {
        showOwnWords(card);
        say(card, KEPT);
      }
    }, function (error) {
      // Not kept: the words stay on this page, said so, as where nothing can be stored.
      card.dataset.edited = "1";
      var note = noteOf(card);
      note.textContent = (error.message || "Could not keep your words just now.") + " " + EDITED_NOTE;
      card.querySelector(".sr-suggestion__text").setAttribute("aria-describedby", note.id);
      say(card, "Not kept: copy your words to keep them.");
    });
  }

  function backToSuggested(card) {
    store(card, "suggested-words").then(function (words) {
      showSuggestedWords(card, words);
      say(card, "Back to the suggested words.");
      card.querySelector('button[data-action="copy"]').focus();
    }, function (error) {
      say(card, (error.message || "Could not go back just now; nothing changed.") + " Try again, or reload the page.");
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
    var shownSuggested = card.querySelector(".sr-suggestion__suggested-text");
    card.dataset.suggested = (shownSuggested || card.querySelector(".sr-suggestion__text")).textContent.trim();
    if (card.dataset.ownWords === "1" && canStore(card)) {
      showOwnWords(card);
    }
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
      } else if (action === "suggested-words") {
        backToSuggested(card);
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
