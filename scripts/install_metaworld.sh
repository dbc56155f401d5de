#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# Install Meta-World (sim/metaworld_env.py) into the active Python environment, and the
# Debian libraries MuJoCo needs to render headless (EGL, Mesa's software driver) where they
# are missing. metaworld 3.1.1 pins mujoco 3.3.0; `packaging` is needed by gymnasium's
# MuJoCo renderer but not declared by metaworld. The deploy host needs none of this.
# Usage: bash scripts/install_metaworld.sh
set -euo pipefail
python -m pip install --quiet 'metaworld==3.1.1' 'packaging'
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so.0'; then
  sudo=''
  if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl1 libegl-mesa0 >/dev/null
fi
MUJOCO_GL="${MUJOCO_GL:-egl}" python - <<'PY'
from imle_policy_ros.sim.metaworld_env import MetaWorldEnv

env = MetaWorldEnv('reach-v3', seed=0)
frame = env.image('corner3', 32, 32)
env.close()
print('metaworld ready, a frame of', frame.shape, 'rendered headless')
PY
