// Swagger UI for the pushadmin API, from a file of our own: the CSP allows no inline script.
SwaggerUIBundle({
  url: document.body.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
