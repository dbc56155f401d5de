#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# Rebuilds models/reach_grasp_ee from nothing, with the package's own commands, the way a
# user with a Cartesian teleoperation setup would: the simulator's expert drives the arm
# through a target-pose topic and a gripper command, recorded as rosbag2 bags; `dataset`
# converts them with the end-effector flags; then train (relative end-effector targets),
# export, eval. Pass `mse` as the second argument for the regression baseline on the same
# demos (written to <work>/model_mse, not shipped).
# About 30 minutes on 2 CPU cores (training is single-threaded so the result does not
# depend on the machine's core count); a CUDA machine: add --device cuda to train.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/reach_grasp_ee}
objective=${2:-rs_imle}
model=models/reach_grasp_ee
if [ "$objective" = mse ]; then model=$work/model_mse; fi
mkdir -p "$work"
if [ ! -f "$work/demos/meta.json" ]; then
  imle-policy-ros sim-demos -n 200 -o "$work/bags" --format bag --image-size 64 --seed 0 \
    --task reach_and_grasp --action-space ee_pose --overwrite
  imle-policy-ros dataset "$work/bags" -o "$work/demos" --image-topic /camera/top/image_raw \
    --ee-pose-topic /ee_pose --action-topic /cartesian_motion_controller/target_frame \
    --gripper-joint gripper_finger --gripper-topic /gripper_controller/commands \
    --gripper-open 0.04 --gripper-closed 0.0 --rotation none --rate 10 --image-size 64 64 \
    --overwrite
fi
imle-policy-ros train "$work/demos" -o "$work/train_$objective" --objective "$objective" \
  --ee-actions relative --steps 3000 --batch-size 48 -m 16 --epsilon 0.01 \
  --encoder-width 8 --down-dims 32 64 128 --warmup-steps 200 --lr 1e-3 --ema-decay 0.995 \
  --checkpoint-every 500 --threads 1 --seed 0
imle-policy-ros export "$work/train_$objective/checkpoints/latest.pt" -o "$model" --overwrite
imle-policy-ros eval --model "$model" --episodes 100
