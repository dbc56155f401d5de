# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The level and message the policy node's /diagnostics gives for each controller state."""

from controller_harness import make_spec, ramp, ScriptedPolicy
from fault_rig import FaultRig
from imle_policy_ros.control.chunk_executor import JointLimits
from imle_policy_ros.control.controller_status import ControllerStatus
from imle_policy_ros.control.policy_controller import ControllerConfig
import numpy as np

SPEC = make_spec()


def summary(rig, status):
    ctrl = rig.controller
    return status.summarize(
        ctrl, ctrl.history.stale_inputs(rig.clock.now(), ctrl.config.stale_observation_timeout)
    )


def make_rig(samples=None, latency=0.0):
    policy = ScriptedPolicy(
        SPEC, samples or (lambda joints, i: ramp(joints[-1], [0.5, -0.25], SPEC)[None])
    )
    return FaultRig(
        policy,
        latency=latency,
        limits=JointLimits.create(2, -5, 5, velocity=2.0),
        config=ControllerConfig(stale_observation_timeout=0.5),
    )


def test_disabled_is_ok_and_running_is_ok():
    rig, status = make_rig(), ControllerStatus()
    rig.run(0.5)
    level, message, values = summary(rig, status)
    assert (level, message) == ('ok', 'holding: disabled') and values['enabled'] is False
    rig.controller.enable(True)
    rig.run(0.5)
    assert summary(rig, status)[:2] == ('ok', 'running')


def test_a_fault_hold_is_an_error_that_names_the_input():
    rig, status = make_rig(), ControllerStatus()
    rig.controller.enable(True)
    rig.run(0.5)
    rig.frame_stamps = lambda camera, now: []
    rig.run(1.0)
    level, message, values = summary(rig, status)
    assert level == 'error' and message == "holding: stale or missing input: camera 'top'"
    assert values['stale_inputs'] == "camera 'top'"


def test_refused_inputs_warn_once_while_the_arm_keeps_moving():
    rig, status = make_rig(), ControllerStatus()
    rig.controller.enable(True)
    rig.frame_stamps = lambda camera, now: [now, now]  # every frame twice: the copy is refused
    rig.run(0.5)
    level, message, values = summary(rig, status)
    assert (
        level == 'warn'
        and 'inputs refused since the last status' in message
        and 'duplicate' in message
    )
    assert values['rejected_inputs_by_source'].startswith("camera 'top': ")
    rig.frame_stamps = lambda camera, now: [now]
    rig.run(0.5)
    assert summary(rig, status)[:2] == ('ok', 'running')


def test_a_chunk_that_ran_out_warns_and_a_refused_chunk_is_an_error():
    latency = [0.05]
    rig, status = make_rig(latency=lambda result: latency[0]), ControllerStatus()
    rig.controller.enable(True)
    rig.run(1.0)
    latency[0] = 2.5  # slower than a chunk lasts
    rig.run(3.5)
    level, message, values = summary(rig, status)
    assert (
        level == 'warn'
        and 'no usable chunk in time' in message
        and values['chunk_ran_out'] is True
    )
    never = make_rig(latency=2.5)  # not even a first chunk: every result is too late
    never.controller.enable(True)
    never.run(3.0)
    assert summary(never, ControllerStatus())[0] == 'warn'
    bad = make_rig(samples=lambda joints, i: np.full((1, SPEC.pred_horizon, 2), np.nan))
    bad.controller.enable(True)
    bad.run(0.5)
    level, message, _ = summary(bad, ControllerStatus())
    assert level == 'error' and 'refused chunk: model output is not finite' in message
