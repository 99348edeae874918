// Draws the plotly figures of an analysis page from its JSON data block, and fetches the report
// section when its <details> is first opened (no inline script: the CSP forbids it).
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
  var section = document.getElementById("report-section");
  var body = document.getElementById("report-section-body");
  if (section && body && section.dataset.src) {
    var loaded = false;
    section.addEventListener("toggle", function () {
      if (!section.open || loaded) {
        return;
      }
      loaded = true;
      fetch(section.dataset.src, {credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          body.innerHTML = html;  // the server's own section markup (escaped by its templates)
        })
        .catch(function (error) {
          loaded = false;
          body.textContent = "The report section could not be loaded (" + error.message + ").";
        });
    });
  }
})();
