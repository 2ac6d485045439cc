# Sourced by the check scripts: node and deploy/node_modules must be there
# (make deps runs npm ci in deploy/).
deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v node >/dev/null || { echo "node is not installed: run make deps" >&2; exit 1; }
[ -d "$deploy_dir/node_modules/kubernetes-models" ] ||
  { echo "deploy/node_modules is missing: run make deps (npm ci in deploy/)" >&2; exit 1; }
