# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
IMLE Policy for ROS 2 arms: train from demonstrations, export to ONNX, deploy at control rate.

The layers, each importing only the ones below it (test/test_layers.py holds this map and
checks every import against it):

    cli, cli_evaluation,  the command line: options from configs, one-line refusals
    cli_pusht, cli_metaworld
    benchmarks            speed and memory figures (bench)
    studies               demos -> train -> export -> eval end to end (EVAL.md's figures)
    quantization          int8 / fp16 bundles from fp32 ones, behind a quality gate
    ros                   rclpy nodes, the launch plan, `run`; ros.harness drives and judges
                          the nodes from outside (probe, faults, soak) and no node imports it
    evaluation            closed-loop eval and replay on simulated time
    learning              torch: networks, RS-IMLE, training, export
    sim                   the built-in simulator, its scripted expert and demos; Push-T
                          (gym-pusht) and its planning expert; Meta-World as a robot and
                          its experts
    control               PolicyController: every decision on what the arm does (no ROS)
    data                  rosbag2 bags and the episode store on disk
    runtime, cameras      the model bundle on ONNX Runtime; camera drivers and image codecs
    settings, cli_settings, errors, resources, simulators
                          leaves: how settings are declared and checked, the one kind of
                          user-facing error, where the package's files are, which
                          simulators a command can run

`runtime` needs numpy + onnxruntime only, `control` adds nothing, so a deploy host needs
neither torch nor (outside ros) rclpy.
"""

__version__ = '0.1.0'
