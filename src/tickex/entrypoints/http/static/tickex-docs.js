// Starts Swagger UI on the TickEx docs page. A file of its own (not an inline script) so
// that the Content-Security-Policy can forbid inline scripts everywhere.
(function () {
  "use strict";
  var script = document.currentScript;
  var specUrl = (script && script.getAttribute("data-spec-url")) || "/schema/openapi.json";
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
