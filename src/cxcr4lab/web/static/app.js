// Draws the plotly figures of an analysis page from its JSON data block, and on the upload
// page shows only the options of the chosen assay (no inline script: the CSP forbids it).
(function () {
  var block = document.getElementById("figures");
  if (block && typeof Plotly !== "undefined") {
    var figures = JSON.parse(block.textContent);
    Object.keys(figures).forEach(function (name) {
      var target = document.getElementById("plot-" + name);
      if (target) {
        Plotly.newPlot(target, figures[name].data, figures[name].layout, {responsive: true});
      }
    });
  }

  var kind = document.getElementById("kind");
  if (!kind) { return; }
  function show() {
    var chosen = kind.value;
    document.querySelectorAll("[data-kinds]").forEach(function (el) {
      var on = el.getAttribute("data-kinds").split(" ").indexOf(chosen) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
    });
  }
  kind.addEventListener("change", show);
  show();
})();
