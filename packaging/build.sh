#!/usr/bin/env bash
# npm run package: builds, from this checkout, the Debian package dist/provisiond_<version>_all.deb
# and the same file tree as dist/provisiond_<version>_all.tar.gz (for Yocto, Buildroot and other
# images that are not Debian-based). Needs node_modules (npm ci) and dpkg-deb; nothing else.
# The tree: compiled JavaScript without the demo, the production dependencies only (copied from
# node_modules by package-lock.json's dev flags), the systemd unit and snippets, /etc/provisiond.
set -euo pipefail
cd "$(dirname "$0")/.."
here=packaging
version=$(node -p 'require("./package.json").version')
name=provisiond_${version}_all
out=${PROVISIOND_PACKAGE_OUT:-dist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
lib=$root/usr/lib/provisiond
mkdir -p "$lib" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" \
  "$root/etc/provisiond/certs/avaya" "$root/usr/share/doc/provisiond" "$root/DEBIAN" "$out"

# Compiled fresh (no stale files from an older dist/), then only daemon/ without the demo.
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$work/tsc"
mkdir -p "$lib/dist"
cp -a "$work/tsc/daemon" "$lib/dist/daemon"
rm -rf "$lib/dist/daemon/demo"

# package.json: the daemon reads its version from it, and "type": "module" makes .js ESM.
node -e '
const p = require("./package.json");
const keep = { name: p.name, version: p.version, description: p.description, license: p.license, private: true,
  type: p.type, engines: p.engines, bin: p.bin, dependencies: p.dependencies };
require("fs").writeFileSync(process.argv[1], JSON.stringify(keep, null, 2) + "\n");' "$lib/package.json"
mkdir -p "$lib/config"
cp config/provisiond.schema.json "$lib/config/"

# Production dependencies: every package-lock entry not marked dev, copied at its top-level path
# (nested node_modules come along with their parent). @types/* hold no code.
node -e '
const lock = require("./package-lock.json");
for (const [key, entry] of Object.entries(lock.packages)) {
  if (!key || entry.dev || entry.link) continue;
  const rest = key.slice("node_modules/".length);
  if (rest.includes("/node_modules/") || rest.startsWith("@types/")) continue;
  console.log(key);
}' | while read -r dep; do
  mkdir -p "$lib/$(dirname "$dep")"
  cp -a "$dep" "$lib/$dep"
done
# What no running program reads: TypeScript sources and declarations, source maps of dependencies, docs, bin links.
find "$lib/node_modules" \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -type f -delete
find "$lib/node_modules" -name .bin -prune -exec rm -rf {} +
find "$lib/node_modules" -name .github -prune -exec rm -rf {} +
# A package's own docs and examples folders (not deeper: a module may be named so).
find "$lib/node_modules" -mindepth 2 -maxdepth 3 -type d \( -name docs -o -name doc -o -name examples -o -name example \) \
  -exec sh -c 'test -f "$(dirname "$1")/package.json"' _ {} \; -prune -exec rm -rf {} +
# Browser bundles: Node loads mqtt's build/ and node-forge's lib/ (their "exports"/"main").
rm -rf "$lib/node_modules/mqtt/dist" "$lib/node_modules/node-forge/dist" "$lib/node_modules/node-forge/flash"

# The two programs: wrappers that find the tree relative to themselves, so the tarball works
# under any prefix.
for prog in provisiond:main.js provisionctl:cli/main.js; do
  cat >"$root/usr/bin/${prog%%:*}" <<WRAPPER
#!/bin/sh
# ${prog%%:*} (provisiond package): runs the compiled JavaScript with the system's Node (>= 20).
lib=\$(dirname "\$(readlink -f "\$0")")/../lib/provisiond
exec node --enable-source-maps "\$lib/dist/daemon/${prog#*:}" "\$@"
WRAPPER
done

cp systemd/provisiond.service "$root/usr/lib/systemd/system/provisiond.service"
cp systemd/provisiond.sysusers "$root/usr/lib/sysusers.d/provisiond.conf"
cp systemd/provisiond.tmpfiles "$root/usr/lib/tmpfiles.d/provisiond.conf"
cp config/provisiond.json "$root/etc/provisiond/provisiond.json"
# Next to the settings for editors; the daemon reads the copy that matches its code.
ln -s /usr/lib/provisiond/config/provisiond.schema.json "$root/etc/provisiond/provisiond.schema.json"
cp "$here/certs-avaya-README" "$root/etc/provisiond/certs/avaya/README"
cp README.md "$root/usr/share/doc/provisiond/README.md"
# The MQTT contract (AsyncAPI 3) for whoever builds a dashboard against the phones.
cp docs/asyncapi.json "$root/usr/share/doc/provisiond/asyncapi.json"
cp "$here/copyright" "$root/usr/share/doc/provisiond/copyright"

# root:root, 0755 directories, 0644 files, executables 0755.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/usr/bin/provisiond" "$root/usr/bin/provisionctl"

installed=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed/" "$here/control" >"$root/DEBIAN/control"
echo /etc/provisiond/provisiond.json >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done

# Reproducible: every timestamp is the last commit's (or SOURCE_DATE_EPOCH when given).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

dpkg-deb --root-owner-group -Zxz --build "$root" "$out/$name.deb" >/dev/null
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --exclude=./DEBIAN \
  -C "$root" -czf "$out/$name.tar.gz" .
echo "$out/$name.deb ($(du -k "$out/$name.deb" | cut -f1) KiB, installed $installed KiB)"
echo "$out/$name.tar.gz ($(du -k "$out/$name.tar.gz" | cut -f1) KiB)"
