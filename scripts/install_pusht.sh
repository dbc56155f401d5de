#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# Install gym-pusht (the Push-T env, sim/pusht_env.py) into the active Python environment.
# --no-deps: gym-pusht 0.1.8 requires opencv-python, but this project uses
# opencv-python-headless; both install a `cv2` package and having both breaks it. So gym-pusht
# goes in without its dependencies and the others (all but OpenCV) are added by hand, with
# gym-pusht 0.1.8's own bounds.
# Usage: bash scripts/install_pusht.sh
set -euo pipefail
python -m pip install --quiet --no-deps 'gym-pusht==0.1.8'
python -m pip install --quiet 'gymnasium>=0.29.1,<2' 'pygame>=2.5.2,<2.7' 'pymunk>=6.6,<7' 'shapely>=2.0.3,<3'
python -c 'import cv2, gym_pusht; print("gym-pusht ready, cv2", cv2.__version__)'
