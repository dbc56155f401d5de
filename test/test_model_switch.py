# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Swapping the policy while the controller runs (simulated time).

The running chunk goes on, the new policy takes over at the next inference once it has
seen a full observation window, and an incompatible one is refused without touching the
running one.
"""

import dataclasses

from controller_harness import DT, make_spec, ramp, Rig, ScriptedPolicy
from imle_policy_ros.control.model_switch import ModelSwitchRefused
from imle_policy_ros.control.policy_controller import ControllerConfig
from imle_policy_ros.settings import SettingError
import numpy as np
import pytest

SPEC = make_spec()


def constant_velocity_policy(velocity):
    return ScriptedPolicy(SPEC, lambda joints, i: ramp(joints[-1], velocity, SPEC)[None])


def test_staged_policy_takes_over_between_chunks_without_a_hold():
    old = constant_velocity_policy([0.2, 0.0])
    new = constant_velocity_policy([0.0, 0.2])
    rig = Rig(old, latency=0.03)
    rig.controller.enable(True)
    rig.run(1.0)
    calls_before = len(old.calls)
    rig.controller.stage_policy(new, label='new')
    assert rig.controller.switch_pending
    cmds = rig.run(2.0)
    assert not rig.controller.switch_pending
    assert rig.controller.policy is new and rig.controller.policy_label == 'new'
    assert rig.controller.stats.model_switches == 1
    assert len(new.calls) >= 2 and len(old.calls) <= calls_before + 1
    assert not any(c.holding for c in cmds)  # control went on through the switch
    # the new policy's motion (joint b) is what the arm does by the end
    assert rig.joints[1] > 0.1
    steps = np.diff(np.stack([c.positions for c in cmds]), axis=0)
    assert np.max(np.abs(steps)) <= 2.0 * rig.control_period + 1e-9  # within the velocity limit


def test_new_policy_waits_for_a_full_observation_window():
    rig = Rig(constant_velocity_policy([0.1, 0.0]), latency=0.0, frame_period=DT)
    rig.controller.enable(True)
    rig.run(0.5)
    new = constant_velocity_policy([0.0, 0.1])
    rig.controller.stage_policy(new)
    # one frame is not enough for obs_horizon = 2 at dt = 0.1: no edge-padded observation
    rig.run(0.05)
    assert rig.controller.switch_pending and not new.calls
    rig.run(1.5)
    assert not rig.controller.switch_pending and new.calls


@pytest.mark.parametrize(
    'change, reason',
    [
        ({'action_names': ('b', 'a')}, 'actions'),
        ({'action_kind': 'ee_pose'}, 'action kind'),
        ({'state_names': ('a', 'c')}, 'state joints'),
    ],
)
def test_incompatible_policy_is_refused_and_the_running_one_stays(change, reason):
    running = constant_velocity_policy([0.1, 0.0])
    rig = Rig(running)
    rig.controller.enable(True)
    rig.run(0.5)
    other = ScriptedPolicy(
        dataclasses.replace(SPEC, **change), lambda j, i: ramp(j[-1], [0, 0], SPEC)[None]
    )
    with pytest.raises(ModelSwitchRefused, match=reason):
        rig.controller.stage_policy(other)
    assert not rig.controller.switch_pending
    rig.run(0.5)
    assert rig.controller.policy is running


def test_other_cameras_are_refused():
    rig = Rig(constant_velocity_policy([0.1, 0.0]))
    two_cameras = make_spec(cameras=('top', 'wrist'))
    with pytest.raises(ModelSwitchRefused, match='cameras'):
        rig.controller.stage_policy(ScriptedPolicy(two_cameras, lambda j, i: None))


def test_shadow_mode_off_stops_inference_while_disabled():
    policy = constant_velocity_policy([0.1, 0.0])
    rig = Rig(policy, config=ControllerConfig(shadow_mode=False))
    rig.run(1.0)
    assert rig.controller.stats.inferences == 0
    rig.controller.enable(True)
    rig.run(0.5)
    assert rig.controller.stats.inferences >= 1


def test_state_in_another_joint_order_than_the_actions_holds_and_resumes_at_the_right_joints():
    """
    policy.json may list the state joints in another order (or more of them) than the actions.

    A hold must repeat each joint's own measured position.
    """
    spec = dataclasses.replace(SPEC, state_names=('b', 'extra', 'a'))
    policy = ScriptedPolicy(spec, lambda joints, i: ramp([0.3, -0.2], [0.0, 0.0], spec)[None])
    rig = Rig(policy, start=(0.3, -0.2))  # the rig reports joints (a, b) = (0.3, -0.2)

    def joint_state(now):
        rig.controller.on_joint_state(now, ('a', 'b', 'extra'), [0.3, -0.2, 9.0])

    rig.joints_on = False
    for _ in range(20):
        joint_state(rig.clock.now())
        rig.step()
    held = rig.commands[-1]
    assert held.holding and np.allclose(held.positions, [0.3, -0.2])  # (a, b), not (b, extra)


def test_num_samples_set_during_a_pending_switch_reaches_the_new_policy():
    """N belongs to the controller: the model that takes over samples as many as asked."""
    old = constant_velocity_policy([0.1, 0.0])
    rig = Rig(
        old, config=ControllerConfig(num_samples=32, consistency_reset_every=0), latency=0.03
    )
    rig.controller.enable(True)
    rig.run(1.5)
    assert set(old.num_samples_asked) == {1, 32}  # the first chunk has nothing to compare
    new = constant_velocity_policy([0.0, 0.1])
    rig.controller.stage_policy(new)
    rig.controller.update_config(num_samples=8)  # the operator changes N while the switch waits
    rig.run(1.5)
    assert rig.controller.policy is new and new.num_samples_asked
    assert set(new.num_samples_asked) <= {1, 8}  # 1: a choice without a reference
    assert 8 in new.num_samples_asked
    with pytest.raises(SettingError, match='num_samples'):
        rig.controller.update_config(num_samples=0)
    assert rig.controller.config.num_samples == 8  # a refused change changes nothing


def test_a_staged_model_with_the_joints_in_another_order_starts_with_them_in_its_own():
    """The joint states a staged model inherits are put in its order, by name."""
    from imle_policy_ros.control.observation_history import ObservationHistory

    running = ObservationHistory(['top'], ('a', 'b'), 2, 0.1, lambda c, f: np.zeros(4))
    staged = ObservationHistory(['top'], ('b', 'a'), 2, 0.1, lambda c, f: np.zeros(4))
    running.add_joint_state(1.0, ('a', 'b'), [0.3, -0.2])
    staged.copy_arm_state_from(running)
    np.testing.assert_allclose(staged.latest_joint_positions(), [-0.2, 0.3])
