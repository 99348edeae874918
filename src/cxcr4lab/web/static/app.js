// Draws the plotly figures of an analysis page from its JSON data block (no inline script: the
// CSP forbids it).
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
})();
