#!/usr/bin/env bash
# Refresh the dashboard's third-party libraries from the npm registry, at pinned versions.
#
# The dashboard needs no build step and no network at run time: each library's prebuilt,
# self-contained browser file is copied into static/vendor/ with its licence, and so are the
# licences of the packages bundled inside those files. Every tarball is checked against the
# integrity the registry published for that version (pinned below) before anything is copied,
# and static/vendor/SHA256SUMS records what was copied (a test checks it).
#
# Usage: api/dashboard/vendor.sh        (needs npm and node; run from anywhere)
# To move to a new version: change it below, take the new integrity from
#   npm view PACKAGE@VERSION dist.integrity
# run this script, look at the page (docs/dashboard.md) and run the browser tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE VERSION INTEGRITY: unpack the verified tarball into $work/PACKAGE
fetch() {
  local package="$1" version="$2" integrity="$3" tarball actual
  tarball="$(cd "$work" && npm pack --silent "$package@$version")"
  actual="sha512-$(node -e '
    const data = require("fs").readFileSync(process.argv[1]);
    process.stdout.write(require("crypto").createHash("sha512").update(data).digest("base64"));
  ' "$work/$tarball")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $package@$version: expected $integrity, got $actual" >&2
    exit 1
  fi
  mkdir -p "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package" --strip-components=1
}

# copy PACKAGE SOURCE TARGET: a file of an unpacked package into static/vendor/
copy() {
  install -D -m 0644 "$work/$1/$2" "$vendor/$3"
}

rm -rf "$vendor"
mkdir -p "$vendor"

# Cytoscape.js: the tie graph.
fetch cytoscape 3.34.4 \
  sha512-msY99tMY8iWTg+sIPGfSqDcPNOt4xcj+v/K/7qUFaCUxxlqnMkUYLBjRUzn9W5CU/R2hrmtJa5+UtovrEM2ctg==
copy cytoscape dist/cytoscape.min.js cytoscape/cytoscape.min.js
copy cytoscape LICENSE cytoscape/LICENSE
# ... and what its bundle includes (versions: the lowest its package.json accepts).
fetch heap 0.2.7 \
  sha512-2bsegYkkHO+h/9MGbn6KWcE45cHZgPANo5LXF7EvWdT0yT2EguSVO1nDgU5c8+ZOPwp2vMNa7YFsJhVcDR9Sdg==
copy heap LICENSE cytoscape/bundled/heap-LICENSE
fetch lodash 4.17.21 \
  sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==
copy lodash LICENSE cytoscape/bundled/lodash-LICENSE
fetch gl-matrix 3.4.3 \
  sha512-wcCp8vu8FT22BnvKVPjXa/ICBWRq/zjFfdofZy1WSpQZpphblv12/bOQLBC1rMM7SGOFS9ltVmKOHil5+Ml7gA==
copy gl-matrix LICENSE.md cytoscape/bundled/gl-matrix-LICENSE.md

# Chart.js: the retention curve and the speaking-balance charts.
fetch chart.js 4.6.1 \
  sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==
copy chart.js dist/chart.umd.min.js chart.js/chart.umd.min.js
copy chart.js LICENSE.md chart.js/LICENSE.md
# ... and the colour library its bundle includes (the bundle names v0.3.2).
fetch @kurkle/color 0.3.2 \
  sha512-fuscdXJ9G1qb7W8VdHi+IwRqij3lBkosAm4ydQtEmbY58OzHXqQhvlxqEkoz0yssNVn38bcpRWgA9PP+OGoisw==
copy @kurkle/color LICENSE.md chart.js/bundled/kurkle-color-LICENSE.md

(cd "$vendor" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' \
  | xargs sha256sum > SHA256SUMS)
echo "vendored into $vendor:"
cat "$vendor/SHA256SUMS"
