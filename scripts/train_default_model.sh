#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# Rebuilds models/reach_default from nothing, with the package's own commands, through the
# same path as a user's data: demonstrations recorded as rosbag2 bags, converted by
# `dataset`, then train, export, eval.
# About 30 minutes on 2 CPU cores (training is single-threaded so the result does not
# depend on the machine's core count); a CUDA machine: add --device cuda to train.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/reach_default}
mkdir -p "$work"
imle-policy-ros sim-demos -n 200 -o "$work/bags" --format bag --image-size 64 --seed 0 --overwrite
imle-policy-ros dataset "$work/bags" -o "$work/demos" --image-topic /camera/top/image_raw \
  --joint-state-topic /joint_states --action-topic /joint_trajectory_controller/joint_trajectory \
  --rate 10 --image-size 64 64 --overwrite
imle-policy-ros train "$work/demos" -o "$work/train" --steps 3000 --batch-size 48 -m 16 --epsilon 0.01 \
  --encoder-width 8 --down-dims 32 64 128 --warmup-steps 200 --lr 1e-3 --ema-decay 0.995 \
  --checkpoint-every 500 --threads 1 --seed 0
imle-policy-ros export "$work/train/checkpoints/latest.pt" -o models/reach_default --overwrite
imle-policy-ros eval --model models/reach_default --episodes 100
