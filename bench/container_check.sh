#!/usr/bin/env bash
# Container check: build the Dockerfile and prove the app answers `ok` on /_stcore/health inside the image.
# Not run by the tests (it takes minutes and installs ~6 GB). Run as root from anywhere:  bash bench/container_check.sh
#
# For a machine WITHOUT a Docker engine or registry access (e.g. our dev boxes):
#   * podman/buildah build the Dockerfile with `--isolation chroot --pull=never`; `podman run` fails (rlimits), so the
#     app is started with `buildah from` + `buildah run --isolation chroot`.
#   * the base `python:3.11-slim` is made locally with debootstrap (Debian bookworm = python 3.11) plus what the
#     official image provides (python3, venv, pip on PATH, python-is-python3, ca-certificates, no PEP 668 lock).
#   * torch==2.14.1 / torchvision==0.29.1 (and the nvidia-* wheels) come from this machine's disk: the host's pip
#     indexes (/opt/wheels, /opt/pypi, /opt/pypi-more) and a pip.conf naming them are mounted into the build with
#     `--volume` (RUN steps only, nothing lands in the image). The Dockerfile is unchanged: a normal `docker build`
#     downloads everything from PyPI.
# Env: IMAGE (default nn-playground:check), KEEP=1 keeps the image afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-nn-playground:check}
WORK=${WORK:-/tmp/container_check}
mkdir -p "$WORK"

df -h /    # the image is ~7 GB (CUDA torch), the build needs about twice that free

# 1. tools
command -v podman >/dev/null && command -v buildah >/dev/null && command -v debootstrap >/dev/null ||
  apt-get install -y podman buildah debootstrap

# 2. the base image, only if it is not there yet
if ! podman image exists docker.io/library/python:3.11-slim; then
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
    bookworm "$WORK/rootfs" http://deb.debian.org/debian
  rm -f "$WORK/rootfs/usr/lib/python3.11/EXTERNALLY-MANAGED"   # the official image lets root `pip install`
  rm -rf "$WORK/rootfs/var/lib/apt/lists/"* "$WORK/rootfs/var/cache/apt/"*.bin
  tar -C "$WORK/rootfs" -c . |
    podman import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - docker.io/library/python:3.11-slim
fi

# 3. the host's pip sources, as a pip.conf the build's RUN steps see at /etc/xdg/pip/pip.conf
mkdir -p "$WORK/pipconf"
cp /etc/xdg/pip/constraints.txt "$WORK/pipconf/" 2>/dev/null || : > "$WORK/pipconf/constraints.txt"
cat > "$WORK/pipconf/pip.conf" <<'CONF'
[global]
cert = /run/host-ca.crt
timeout = 180
find-links = /opt/wheels
extra-index-url = file:///opt/pypi/simple file:///opt/pypi-more/simple
constraint = /etc/xdg/pip/constraints.txt
CONF

# 4. build (timed)
start=$(date +%s)
podman build --isolation chroot --pull=never --format docker -t "$IMAGE" \
  --volume "$WORK/pipconf:/etc/xdg/pip:ro" \
  --volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro \
  --volume /opt/wheels:/opt/wheels:ro \
  --volume /opt/pypi:/opt/pypi:ro \
  --volume /opt/pypi-more:/opt/pypi-more:ro \
  .
echo "build time: $(( $(date +%s) - start )) s"
podman images "$IMAGE"

# 5. what the image declares
# (--format docker above: the OCI image format has no HEALTHCHECK field, podman would drop it with a warning)
podman image inspect "$IMAGE" --format 'User={{.Config.User}} Ports={{.Config.ExposedPorts}} Workdir={{.Config.WorkingDir}}'
podman image inspect "$IMAGE" --format 'Healthcheck={{json .HealthCheck}}'
podman image inspect "$IMAGE" --format 'Cmd={{json .Config.Cmd}}'
test "$(podman image inspect "$IMAGE" --format '{{.Config.User}}')" = 1000
podman image inspect "$IMAGE" --format '{{json .HealthCheck}}' | grep -q /_stcore/health

# 6. start the image's own CMD as the image's user (buildah run uses the image's USER, WORKDIR, ENV) and, from inside
#    the same container, poll /_stcore/health, then run the image's own HEALTHCHECK command (the image has no curl)
health_cmd=$(podman image inspect "$IMAGE" --format '{{json .HealthCheck.Test}}' |
  python3 -c 'import json, shlex, sys; t = json.load(sys.stdin); print(shlex.join(t[1:]) if t[0] == "CMD" else t[1])')
app_cmd=$(podman image inspect "$IMAGE" --format '{{json .Config.Cmd}}' |
  python3 -c 'import json, shlex, sys; print(shlex.join(json.load(sys.stdin)))')
ctr=$(buildah from --pull=never "$IMAGE")
trap 'buildah rm "$ctr" >/dev/null; [ "${KEEP:-0}" = 1 ] || podman rmi "$IMAGE" >/dev/null' EXIT
buildah run --isolation chroot "$ctr" -- python -c "import torch, torchvision, nnlib, streamlit, os; \
print('uid', os.getuid(), 'torch', torch.__version__, 'torchvision', torchvision.__version__, 'streamlit', streamlit.__version__)"
buildah run --isolation chroot "$ctr" -- sh -c '
  id; echo "CMD: $1"
  sh -c "$1" > /tmp/streamlit.log 2>&1 &
  pid=$!; t0=$(date +%s); status=1
  for i in $(seq 90); do
    if python -c "import urllib.request as u, sys; r = u.urlopen(\"http://127.0.0.1:8501/_stcore/health\", timeout=4).read(); print(\"GET /_stcore/health ->\", r.decode()); sys.exit(r != b\"ok\")" 2>/dev/null
    then status=0; break; fi
    sleep 1
  done
  echo "healthy after $(( $(date +%s) - t0 )) s"
  if sh -c "$2"; then echo "image HEALTHCHECK command: exit 0"; else echo "image HEALTHCHECK command FAILED"; status=1; fi
  python -c "import urllib.request as u; print(\"GET / ->\", u.urlopen(\"http://127.0.0.1:8501/\", timeout=4).status)" || status=1
  kill $pid; wait $pid 2>/dev/null
  [ $status = 0 ] || cat /tmp/streamlit.log
  exit $status' sh "exec $app_cmd" "$health_cmd"
echo "container check passed"
