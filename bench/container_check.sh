#!/usr/bin/env bash
# The container check by hand (CI runs the same script after `make test`): build the image with podman, start it,
# check /nnlive/health, train a Playground job in it through Chromium, validate compose.yaml. Run as root:
#   bash bench/container_check.sh            (KEEP=0 removes the image afterwards; see .ci/container_check)
exec "$(dirname "$0")/../.ci/container_check" "$@"
