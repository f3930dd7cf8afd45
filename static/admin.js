/* The admin's clicks that Flask-Admin does with inline handlers (onclick="..."), done here instead:
   the Content-Security-Policy (kit/security.py) runs no inline script, only files like this one. */
(function () {
  "use strict";

  // The kit checks every value and says beside the field what is wrong; the browser's own
  // popups (type="email", type="number") would stop the form before the kit could say it.
  document.querySelectorAll("form.admin-form").forEach(function (form) {
    form.noValidate = true;
  });

  // Filter menu items carry onclick="return false;"; dropping it before any click avoids a refusal.
  document.querySelectorAll("a.filter[onclick]").forEach(function (link) {
    link.removeAttribute("onclick");
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    // Links to "javascript:void(0)" only open menus: following one would be refused.
    if (target.closest('a[href^="javascript:"]')) {
      event.preventDefault();
    }
    var confirming = target.closest("[data-kit-confirm]");
    if (confirming && !window.confirm(confirming.getAttribute("data-kit-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var action = target.closest("[data-kit-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-kit-action"));
    }
  }, true);
})();
