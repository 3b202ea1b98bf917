// Starts Swagger UI on this HireDB's own OpenAPI document.
declare const SwaggerUIBundle: (opts: Record<string, unknown>) => unknown;
SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });
