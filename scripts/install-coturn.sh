#!/usr/bin/env bash
# The TURN tests start Debian's coturn on loopback (tests/streaming/test_turn.py).
set -euo pipefail
if command -v turnserver >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq coturn >/dev/null
