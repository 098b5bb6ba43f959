// Filtering for the brief library. Without this script the page shows every brief; with it, the
// filter form appears and hides the briefs that don't match. Filters are kept in the address
// (?audience=...&use-case=...&language=...) so a filtered view can be shared.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var items = Array.prototype.slice.call(document.querySelectorAll("#briefs > .brief"));
  var count = document.getElementById("count");
  var empty = document.getElementById("empty");
  var fields = { audience: "audience", "use-case": "useCases", language: "language" };

  function matches(item, values) {
    if (values.audience && item.dataset.audience !== values.audience) return false;
    if (values["use-case"] && item.dataset.useCases.split(" ").indexOf(values["use-case"]) < 0) return false;
    if (values.language && item.dataset.language !== values.language) return false;
    return true;
  }

  function apply(updateAddress) {
    var values = {};
    Object.keys(fields).forEach(function (name) { values[name] = form.elements[name].value; });
    var shown = 0;
    items.forEach(function (item) {
      var visible = matches(item, values);
      item.hidden = !visible;
      if (visible) shown += 1;
    });
    // The wording comes from the page, in its own language: {count} and {shown} are filled in.
    var wording = shown === items.length ? count.dataset.all : count.dataset.some;
    count.textContent = wording.replace("{count}", items.length).replace("{shown}", shown);
    empty.hidden = shown !== 0;
    if (updateAddress && window.history && window.history.replaceState) {
      var query = Object.keys(values).filter(function (k) { return values[k]; })
        .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(values[k]); }).join("&");
      window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
    }
  }

  var params = new URLSearchParams(window.location.search);
  Object.keys(fields).forEach(function (name) {
    var select = form.elements[name];
    var wanted = params.get(name);
    if (wanted && select.querySelector('option[value="' + CSS.escape(wanted) + '"]')) select.value = wanted;
    select.addEventListener("change", function () { apply(true); });
  });
  form.addEventListener("reset", function () { window.setTimeout(function () { apply(true); }, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply(false);
})();
