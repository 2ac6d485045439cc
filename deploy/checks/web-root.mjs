// Where the Dockerfile puts the build's web root (the dashboard, t.js, the
// OpenAPI document and its reference page), which the gateway's
// SHOPSTREAM_STATIC_DIR must name in compose and in Kubernetes.
export const kWebRoot = "/usr/share/shopstream/www";
