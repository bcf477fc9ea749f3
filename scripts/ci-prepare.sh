#!/usr/bin/env bash
# Install the system packages the test suite needs on a clean Debian machine:
# redis-server (throwaway servers for multi-host, outage and cluster tests),
# chromium (demo browser test), nginx (the deployment guide's proxy test), and the Django Channels stack for the
# channels_redis interop test. Each step is skipped when already present.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
/usr/bin/python3 -c 'import channels_redis, channels, daphne' >/dev/null 2>&1 || need+=(python3-django-channels python3-channels-redis daphne)
if [ ${#need[@]} -gt 0 ]; then
  echo "ci-prepare: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
