// The REST API's reference, from the document the gateway serves beside
// this page: /v1/openapi.json, made at build time from the protos'
// google.api.http annotations. "Try it out" calls this gateway; a key
// given to "Authorize" lives as long as the page.
window.ui = SwaggerUIBundle({
  url: "/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // No request to swagger.io's online validator from an operator's page.
  validatorUrl: null,
});
