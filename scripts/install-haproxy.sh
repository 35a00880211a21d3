#!/usr/bin/env bash
# The deploy test runs two workers behind Debian's HAProxy (deploy/haproxy.cfg), as a
# site with more than one process runs.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
