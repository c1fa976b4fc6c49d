/* safeenough: what every form needs once it has been sent and came back with a problem.
 *
 * 1. History stays sane. A form that cannot be saved comes back as the answer to its POST, with what was
 *    typed and the problem beside its field; nothing is kept anywhere else (no health data in addresses,
 *    cookies or browser storage). Left as it is, that history entry is a POST: going Back (or Forward)
 *    to it, or reloading it, makes the browser ask to "confirm form resubmission". The page names the
 *    address of the form it belongs to (`<meta name="safeenough-form-page">`), and the entry is replaced
 *    by that address: Back and reload then show the form's page afresh, with no resubmission question.
 * 2. Focus goes to the first field marked invalid, when `autofocus` did not (a part of a page swapped in
 *    by htmx, a field inside folded `<details>`).
 * 3. A choice list that must leave out what another choice took (`data-leaves-out="NAME"` on a fieldset
 *    of checkboxes: the item whose value is the checked radio button NAME is hidden and unticked), e.g.
 *    on "who is who" in a transcript the speaker chosen as the therapist is not offered as "not a client".
 * No inline script or style is used, so the Content-Security-Policy holds.
 */
(function () {
  "use strict";

  function settleHistory() {
    var page = document.querySelector('meta[name="safeenough-form-page"]');
    var address = page && page.getAttribute("content");
    if (address && address.charAt(0) === "/" && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", address);
    }
  }

  function focusFirstProblem(root) {
    var scope = root || document;
    var field = scope.querySelector('form [aria-invalid="true"]');
    if (!field) {
      return;
    }
    // The field the page chose to focus (`autofocus`, e.g. the password to type again on the login page,
    // where both fields are marked) wins over the first one marked: the browser may not have applied
    // `autofocus` yet when this runs.
    field = scope.querySelector("form [autofocus]") || field;
    var target = field.matches("fieldset, [role=radiogroup]")
      ? field.querySelector("input:checked, input") : field;
    var details = target && target.closest("details");
    if (details && !details.open) {
      details.open = true;
    }
    var active = document.activeElement;
    if (target && (active === null || active === document.body || !active.closest("form"))) {
      target.focus();
    }
  }

  function leaveOut(group) {
    var form = group.closest("form");
    var name = group.getAttribute("data-leaves-out");
    if (!form || !name) {
      return;
    }
    var update = function () {
      var chosen = form.querySelector('input[type="radio"][name="' + name + '"]:checked');
      group.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        var item = box.closest(".check") || box;
        var taken = chosen !== null && box.value === chosen.value;
        if (taken) {
          box.checked = false;
        }
        box.disabled = taken;
        item.hidden = taken;
      });
    };
    form.addEventListener("change", function (event) {
      if (event.target.name === name) {
        update();
      }
    });
    update();
  }

  function start() {
    settleHistory();
    focusFirstProblem(document);
    document.querySelectorAll("fieldset[data-leaves-out]").forEach(leaveOut);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      focusFirstProblem(event.target);
      event.target.querySelectorAll("fieldset[data-leaves-out]").forEach(leaveOut);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
