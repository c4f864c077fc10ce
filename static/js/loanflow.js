// LoanFlow's own behaviour in the page, from a static file: the content security policy allows
// no inline script and no inline event handler (docs/security.md).
(function () {
  "use strict";
  // A select marked data-submit-on-change submits its form when a choice is made (the language).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  // A button marked data-print prints the page (the approval memo, with its print stylesheet).
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
