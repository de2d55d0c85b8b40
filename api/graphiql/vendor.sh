#!/usr/bin/env bash
# Refresh GraphiQL's libraries (React, ReactDOM, GraphiQL) from the npm registry, at pinned versions.
#
# The GraphiQL page at /graphql needs no build step and no network at run time: each library's
# prebuilt, minified browser file (UMD) is copied into static/vendor/ with its licence, and so
# are the licences of the packages bundled inside those files (graphiql.min.js carries about
# sixty: the names come from its source map). package.json names the exact versions and
# package-lock.json pins the integrity of every tarball; `npm ci` refuses a tarball that does
# not match. static/vendor/SHA256SUMS records what was copied (a test checks it).
#
# Usage: api/graphiql/vendor.sh        (needs npm and node; run from anywhere)
# To move to a new version: change it in package.json, run
#   npm install --package-lock-only --ignore-scripts   (in api/graphiql/)
# then this script, open /graphql and run the browser tests (tests/browser/test_graphiql.py).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --silent)
modules="$work/node_modules"

# copy PACKAGE SOURCE TARGET: a file of an installed package into static/vendor/
copy() {
  install -D -m 0644 "$modules/$1/$2" "$vendor/$3"
}

rm -rf "$vendor"
mkdir -p "$vendor"

copy react umd/react.production.min.js react/react.production.min.js
copy react LICENSE react/LICENSE
copy react-dom umd/react-dom.production.min.js react-dom/react-dom.production.min.js
copy react-dom LICENSE react-dom/LICENSE
# ... and the scheduler its bundle includes.
copy scheduler LICENSE react-dom/bundled/scheduler-LICENSE

copy graphiql graphiql.min.js graphiql/graphiql.min.js
copy graphiql graphiql.min.css graphiql/graphiql.min.css
copy graphiql LICENSE graphiql/LICENSE
# ... and every package its bundle includes, by the paths in its source map: the licence file
# where the package ships one, else the licence its package.json names (in bundled/NOTICE).
node - "$modules" "$vendor/graphiql/bundled" <<'EOF'
const fs = require("fs");
const path = require("path");
const [modules, target] = process.argv.slice(2);
const map = JSON.parse(fs.readFileSync(path.join(modules, "graphiql/graphiql.min.js.map")));
// GraphiQL's own packages appear by their folder in its monorepo.
const monorepo = {
  "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit",
  "codemirror-graphql": "codemirror-graphql",
  "graphql-language-service": "graphql-language-service",
};
const names = new Set();
for (const source of map.sources) {
  const installed = source.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const sibling = source.match(/^\.\.\/\.\.\/([^/]+)\//);
  if (installed) names.add(installed[1]);
  else if (sibling && monorepo[sibling[1]]) names.add(monorepo[sibling[1]]);
}
fs.mkdirSync(target, { recursive: true });
const notice = ["Packages bundled inside graphiql.min.js, with the licence each declares.", ""];
for (const name of [...names].sort()) {
  const dir = path.join(modules, name);
  if (!fs.existsSync(dir)) {
    console.error(`bundled package ${name} is not installed: add it to package.json`);
    process.exit(1);
  }
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json")));
  const licence = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  let line = `${name}@${meta.version}: ${meta.license}`;
  if (licence) {
    const copied = `${name.replace("/", "__")}-${licence}`;
    fs.copyFileSync(path.join(dir, licence), path.join(target, copied));
    line += ` (${copied})`;
  } else {
    line += " (the package ships no licence file)";
  }
  notice.push(line);
}
fs.writeFileSync(path.join(target, "NOTICE"), notice.join("\n") + "\n");
EOF

(cd "$vendor" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' \
  | xargs sha256sum > SHA256SUMS)
echo "vendored into $vendor:"
du -sh "$vendor"/react "$vendor"/react-dom "$vendor"/graphiql
