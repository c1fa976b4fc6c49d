/* safeenough: draw the trajectory charts of the case page.
 *
 * Each chart is a <div data-chart-spec="ID"> next to a <script type="application/json" id="ID"> holding
 * a Vega-Lite spec made on the server. We render it with vega-embed, using the CSP-safe expression
 * interpreter (vega-interpreter, `ast: true`), so nothing is compiled with eval/Function and the strict
 * Content-Security-Policy holds. The table under each chart has the same numbers, for screen readers and
 * for when scripts do not run. Runs again for content htmx swaps in (htmx.onLoad).
 */
(function () {
  "use strict";

  function ready() {
    return typeof window.vegaEmbed === "function" && window.vega && window.vega.expressionInterpreter;
  }

  function draw(element) {
    if (element.getAttribute("data-chart-drawn") === "true") {
      return;
    }
    // Trajectory charts use data-chart-spec; the session report's timeline uses data-vega-spec.
    var source = document.getElementById(
      element.getAttribute("data-chart-spec") || element.getAttribute("data-vega-spec")
    );
    if (!source || !ready()) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      element.textContent = "The chart could not be read; the table below has the same numbers.";
      return;
    }
    element.setAttribute("data-chart-drawn", "true");
    window
      .vegaEmbed(element, spec, {
        ast: true,
        expr: window.vega.expressionInterpreter,
        actions: false,
        renderer: "svg",
        defaultStyle: false,
        // No vega-tooltip (it styles its box inline, which the CSP forbids); Vega's own handler puts a
        // point's tooltip fields (client, session, total as the table shows it) in the chart's title.
        tooltip: false,
        logLevel: window.vega.Error
      })
      .then(function () {
        element.classList.add("chart--drawn");
        element.hidden = false;
      })
      .catch(function () {
        element.setAttribute("data-chart-drawn", "failed");
        element.textContent = "The chart could not be drawn; the table below has the same numbers.";
      });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var found = scope.querySelectorAll("[data-chart-spec], [data-vega-spec]");
    for (var i = 0; i < found.length; i += 1) {
      draw(found[i]);
    }
  }

  if (window.htmx && typeof window.htmx.onLoad === "function") {
    window.htmx.onLoad(drawAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll(document);
    });
  } else {
    drawAll(document);
  }
})();
