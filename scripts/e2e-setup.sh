#!/usr/bin/env bash
# Installs what the end-to-end tests need: Debian's Chromium, and code-server (VS Code in the browser)
# into the git-ignored .e2e/ folder. Idempotent: each step is skipped when its result already exists.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="$ROOT/.e2e"
CODE_SERVER_VERSION="4.100.3"
CODE_SERVER_BIN="$E2E_DIR/code-server/node_modules/.bin/code-server"
# @vscode/ripgrep (a code-server dependency) looks for its archive here before trying to download it.
RIPGREP_CACHE_NAME="vscode-ripgrep-cache-1.15.11"
RIPGREP_ARCHIVE="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

say() { printf '[e2e-setup] %s\n' "$*"; }
fail() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'fail "step failed (line $LINENO): $BASH_COMMAND"' ERR

install_apt_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rg >/dev/null || missing+=(ripgrep)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if [ ${#missing[@]} -eq 0 ]; then
    say "apt packages present (chromium, ripgrep, libkrb5-dev)"
    return
  fi
  [ "$(id -u)" -eq 0 ] || fail "need root to install: ${missing[*]}"
  say "installing apt packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Offline, @vscode/ripgrep's postinstall would fail to download; hand it the system rg instead.
seed_ripgrep_cache() {
  local cache="$TMPDIR/$RIPGREP_CACHE_NAME"
  [ -s "$cache/$RIPGREP_ARCHIVE" ] && return
  say "seeding the @vscode/ripgrep cache from $(command -v rg)"
  local stage="$E2E_DIR/rgpkg"
  mkdir -p "$stage" "$cache"
  cp "$(command -v rg)" "$stage/rg"
  tar czf "$cache/$RIPGREP_ARCHIVE" -C "$stage" rg
}

install_code_server() {
  if [ -x "$CODE_SERVER_BIN" ]; then
    say "code-server present: $CODE_SERVER_BIN"
    return
  fi
  seed_ripgrep_cache
  say "installing code-server@$CODE_SERVER_VERSION into $E2E_DIR/code-server (about a minute)"
  mkdir -p "$E2E_DIR/code-server"
  # Native modules build against the system Node headers (no header download); root needs unsafe-perm.
  # node-pty's postinstall calls `npx node-gyp`, which without a TTY cancels unless told yes.
  npm_config_nodedir=/usr npm_config_yes=true npm install --prefix "$E2E_DIR/code-server" --no-audit --no-fund \
    --unsafe-perm "code-server@$CODE_SERVER_VERSION" > "$E2E_DIR/code-server-install.log" 2>&1 \
    || { tail -n 40 "$E2E_DIR/code-server-install.log" >&2
         fail "npm install code-server failed (full log: $E2E_DIR/code-server-install.log)"; }
  [ -x "$CODE_SERVER_BIN" ] || fail "code-server binary missing after install: $CODE_SERVER_BIN"
}

main() {
  mkdir -p "$E2E_DIR"
  # One real temp folder for install and later runs, as @vscode/ripgrep reads its cache from TMPDIR.
  export TMPDIR="$E2E_DIR/tmp"
  mkdir -p "$TMPDIR"
  install_apt_packages
  install_code_server
  [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium not found"
  # Read the version from package.json: running code-server without --config writes into $HOME.
  say "ready: code-server $(node -p "require('$E2E_DIR/code-server/node_modules/code-server/package.json').version")"
}

main "$@"
