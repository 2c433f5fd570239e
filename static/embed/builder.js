/* The embed builder's progressive enhancement: a choice updates the preview at once,
 * and Copy buttons appear. Without it the form and the text areas work as they are. */
(function () {
  'use strict';
  var form = document.querySelector('form');
  // The chosen page at its path form (data-path: voipdown/web/path_forms.py), which a static
  // build has too; a choice left at its default is not written. Without it, the form as it is.
  var open = function (event) {
    var path = form.getAttribute('data-path');
    if (!path) return event.type === 'change' && form.submit();
    if (event.preventDefault) event.preventDefault();
    location.href = path.replace(/\.\{(\w+)\}/g, function (all, name) {
      var field = form.elements[name];
      var value = field ? field.value : '';
      return value && value !== field.getAttribute('data-default') ? '.' + value : '';
    });
  };
  if (form) {
    form.addEventListener('change', open);
    form.addEventListener('submit', open);
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
