// The deviation log: "select all" ticks every row of the page, and the count of selected rows is
// shown beside the bulk-review button. Without script, each row is ticked by hand.
(function () {
  "use strict";
  var form = document.getElementById("bulk-review");
  if (!form) {
    return;
  }
  var all = form.querySelector("[data-select-all]");
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-select-row]"));
  var count = form.querySelector("[data-selected-count]");
  var template = count ? count.textContent : "";

  function update() {
    var ticked = rows.filter(function (row) { return row.checked; }).length;
    if (all) {
      all.checked = ticked > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    if (count) {
      count.textContent = ticked ? form.dataset.selectedLabel.replace("%(count)s", ticked) : template;
    }
  }

  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (row) { row.checked = all.checked; });
      update();
    });
  }
  rows.forEach(function (row) { row.addEventListener("change", update); });
  update();
})();
