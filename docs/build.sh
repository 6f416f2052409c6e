#!/usr/bin/env bash
# Build the documentation site into site/ in strict mode.
# KaTeX is taken from the npm registry (no CDN: the site works offline).
set -euo pipefail
cd "$(dirname "$0")/.."
KATEX_VERSION=0.16.22
cache=".cache/katex-$KATEX_VERSION"
if [ ! -f "$cache/node_modules/katex/dist/katex.min.js" ]; then
  mkdir -p "$cache"
  npm install --silent --no-audit --no-fund --prefix "$cache" "katex@$KATEX_VERSION" >/dev/null
fi
rm -rf docs/assets/katex
mkdir -p docs/assets
cp -r "$cache/node_modules/katex/dist" docs/assets/katex
export DISABLE_MKDOCS_2_WARNING=true
python -m mkdocs build --strict "$@"
echo "Built the site in site/ (open site/index.html)."
