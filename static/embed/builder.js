/* The embed builder's progressive enhancement: a choice updates the preview at once,
 * and Copy buttons appear. Without it the form and the text areas work as they are. */
(function () {
  'use strict';
  var form = document.querySelector('form');
  if (form) {
    form.addEventListener('change', function () { form.submit(); });
  }
  if (!navigator.clipboard) return;
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var area = document.getElementById(button.getAttribute('data-copy'));
      navigator.clipboard.writeText(area.value).then(function () {
        button.textContent = button.getAttribute('data-done');
      });
    });
  });
})();
