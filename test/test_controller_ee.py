# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""PolicyController with an end-effector bundle, on simulated time: poses, workspace, gripper."""

from controller_harness import make_ee_spec, ScriptedPolicy
from imle_policy_ros.control.cartesian_executor import CartesianLimits
from imle_policy_ros.control.cartesian_invariants import CartesianRecord, check_cartesian_stream
from imle_policy_ros.control.clock import SimulatedClock
from imle_policy_ros.control.inference_runner import SimulatedLatencyRunner
from imle_policy_ros.control.policy_controller import ControllerConfig, PolicyController
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.runtime.policy_spec import PolicySpec
import numpy as np
import pytest

DT = 0.1
LAYOUT = EePoseLayout(
    'base_link', 'tool0', rotation='none', gripper=GripperSpec('finger', 0.04, 0.0)
)
LIMITS = CartesianLimits(
    workspace_lower=np.array([-1.0, -1.0, -0.5]),
    workspace_upper=np.array([1.0, 1.0, 0.5]),
    max_linear_speed=0.5,
    max_angular_speed=1.0,
    max_tracking_error=0.05,
)


def ee_spec(layout=LAYOUT) -> PolicySpec:
    return make_ee_spec(layout)


def relative_ramp(velocity, gripper=0.0, spec=None):
    """Relative targets moving at `velocity` (m/s) from the observed pose, + gripper value."""
    k = np.arange(16) - 1 + 1
    chunk = np.zeros((16, 4))
    chunk[:, :3] = np.outer(k * DT, velocity)
    chunk[:, 3] = gripper
    return chunk


class CartesianRig:
    """Controller + simulated clock + an arm whose tool goes where it is told (or not)."""

    def __init__(self, samples_fn, follows=True, config=None):
        self.clock = SimulatedClock(0.0)
        self.policy = ScriptedPolicy(ee_spec(), samples_fn)
        self.controller = PolicyController(
            self.policy,
            LIMITS,
            self.clock,
            SimulatedLatencyRunner(self.clock, 0.0),
            config or ControllerConfig(gripper_min_dwell=0.5),
        )
        self.pose = np.array([0.3, 0.0, 0.0, 0, 0, 0, 1.0])
        self.finger = 0.04  # open
        self.follows = follows
        self.commands = []

    def step(self):
        now = self.clock.now()
        if round(now / DT, 6) % 1 == 0:
            self.controller.on_frame(0, now, np.full((8, 8, 3), 100, np.uint8))
        self.controller.on_joint_state(now, ['finger'], [self.finger])
        self.controller.on_ee_pose(now, self.pose)
        command = self.controller.tick()
        self.commands.append(command)
        if self.follows and not command.holding and command.positions is not None:
            self.pose = np.array(command.positions)
        if command.gripper is not None:
            self.finger = 0.0 if command.gripper else 0.04
        self.clock.advance(0.01)
        return command

    def run(self, seconds):
        return [self.step() for _ in range(int(round(seconds / 0.01)))]

    def judged(self):
        """Return the invariant report of every command so far."""
        records = [
            CartesianRecord.of(c, seq=i, frame_id='base_link')
            for i, c in enumerate(self.commands)
            if c.positions is not None
        ]
        return check_cartesian_stream(
            records, LIMITS, self.controller.config.stale_observation_timeout, 'base_link', 0.5
        )


def test_relative_targets_move_the_tool_from_where_it_was_observed():
    rig = CartesianRig(lambda state, i: relative_ramp([0.2, 0.0, 0.0])[None])
    rig.controller.enable(True)
    commands = rig.run(3.0)
    moving = [c for c in commands if not c.holding]
    assert moving, 'the controller never moved'
    # it keeps moving in +x at about the chunk's speed, never faster than the limit
    assert rig.pose[0] > 0.3 + 0.2 * 2.0
    steps = np.diff([c.positions[:3] for c in moving], axis=0)
    assert np.max(np.linalg.norm(steps, axis=1)) <= 0.5 * 0.01 + 1e-9
    np.testing.assert_allclose([c.positions[3:] for c in moving], [[0, 0, 0, 1]] * len(moving))
    assert np.linalg.norm(moving[-1].twist[0] - [0.2, 0, 0]) < 0.02
    report = rig.judged()
    assert report.ok, str(report)


def test_targets_outside_the_workspace_are_refused_and_the_arm_holds():
    rig = CartesianRig(lambda state, i: relative_ramp([0.0, 0.0, 0.0])[None] + [5.0, 0, 0, 0])
    rig.controller.enable(True)
    commands = rig.run(1.0)
    assert all(c.holding for c in commands[1:])  # the first: at the measured pose, no chunk yet
    assert 'outside the workspace' in rig.controller.stats.last_error
    np.testing.assert_allclose(rig.pose[:3], [0.3, 0.0, 0.0])


def test_an_arm_that_does_not_follow_is_held_where_it_is():
    rig = CartesianRig(lambda state, i: relative_ramp([0.3, 0.0, 0.0])[None], follows=False)
    rig.controller.enable(True)
    commands = rig.run(2.0)
    assert rig.controller.stats.not_following >= 1
    holds = [c for c in commands if c.holding and 'not following' in c.reason]
    assert holds and holds[0].from_measured
    np.testing.assert_allclose(holds[0].positions[:3], [0.3, 0.0, 0.0])  # the measured pose
    # never more than max_tracking_error (plus one step) away from where the arm really is
    moving = [c for c in commands if not c.holding]
    assert max(abs(c.positions[0] - 0.3) for c in moving) <= 0.05 + 0.5 * 0.01 + 1e-9
    report = rig.judged()
    assert report.ok, str(report)


def test_gripper_values_at_the_threshold_do_not_chatter():
    def wobble(state, i):
        return relative_ramp([0.05, 0, 0], gripper=0.45 + 0.1 * (i % 2))[None]

    rig = CartesianRig(wobble)
    rig.controller.enable(True)
    commands = rig.run(5.0)
    assert sum(c.gripper_changed for c in commands) <= 2  # the first decision, at most one more
    changes = [c.time for c in commands if c.gripper_changed]
    assert all(b - a >= 0.5 - 1e-9 for a, b in zip(changes, changes[1:]))
    report = rig.judged()
    assert report.ok, str(report)


def test_the_gripper_closes_when_the_policy_says_so_and_holds_keep_it():
    rig = CartesianRig(lambda state, i: relative_ramp([0.05, 0, 0], gripper=float(i >= 3))[None])
    rig.controller.enable(True)
    commands = rig.run(3.0)
    states = [c.gripper for c in commands if c.gripper is not None]
    assert states[0] == 0.0 and states[-1] == 1.0
    assert sum(c.gripper_changed for c in commands if c.gripper == 1.0) == 1
    rig.controller.enable(False)
    assert all(c.gripper == 1.0 for c in rig.run(0.5))
    report = rig.judged()
    assert report.ok, str(report)


def test_a_stale_pose_holds_the_arm():
    rig = CartesianRig(lambda state, i: relative_ramp([0.1, 0, 0])[None])
    rig.controller.enable(True)
    rig.run(1.0)
    # the pose stops arriving:
    rig.controller.on_ee_pose = lambda *a: None
    commands = rig.run(1.5)
    assert commands[-1].holding and 'ee_pose' in commands[-1].reason
    report = rig.judged()
    assert report.ok, str(report)


def test_a_non_unit_quaternion_is_refused_as_input():
    rig = CartesianRig(lambda state, i: relative_ramp([0.1, 0, 0])[None])
    why = rig.controller.on_ee_pose(0.0, [0.3, 0, 0, 0, 0, 0, 2.0])
    assert 'unit length' in why and rig.controller.stats.rejected_by_source == {'ee_pose': 1}


def test_an_ee_bundle_needs_cartesian_limits():
    from imle_policy_ros.control.chunk_executor import JointLimits

    clock = SimulatedClock(0.0)
    with pytest.raises(ValueError, match='CartesianLimits'):
        PolicyController(
            ScriptedPolicy(ee_spec(), None),
            JointLimits.create(4),
            clock,
            SimulatedLatencyRunner(clock, 0.0),
        )
