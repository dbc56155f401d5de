# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Two defects PolicyController had with end-effector bundles, kept fixed on simulated time.

Found by the fault suite through the nodes (test_ros_ee_faults.py): a measured pose that
arrived late was compared with the newest command, so the tracking check fired and the hold
pulled a following arm back by max_tracking_error; and a resume after a hold reset the
gripper channel to the finger still travelling toward the last decision, undoing it within
the dwell.
"""

from controller_harness import make_ee_spec, ScriptedPolicy
from imle_policy_ros.control.cartesian_executor import CartesianLimits
from imle_policy_ros.control.clock import SimulatedClock
from imle_policy_ros.control.inference_runner import SimulatedLatencyRunner
from imle_policy_ros.control.policy_controller import ControllerConfig, PolicyController
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
import numpy as np

DT, PERIOD = 0.1, 0.01
LAYOUT = EePoseLayout(
    'base_link', 'tool0', rotation='none', gripper=GripperSpec('finger', 0.04, 0.0)
)
LIMITS = CartesianLimits(
    workspace_lower=[-1.0, -1.0, -0.5],
    workspace_upper=[1.0, 1.0, 0.5],
    max_linear_speed=0.4,
    max_angular_speed=1.0,
    max_tracking_error=0.05,
)


def chunk(velocity, gripper=0.0) -> np.ndarray:
    """Relative targets [16, 4] moving at `velocity` (m/s), and a gripper value per waypoint."""
    out = np.zeros((16, 4))
    out[:, :3] = np.outer(np.arange(16) * DT, velocity)
    out[:, 3] = gripper
    return out


class Arm:
    """A controller and an arm that follows every command; its finger takes 0.5 s to close."""

    def __init__(self, samples):
        self.clock = SimulatedClock(0.0)
        self.controller = PolicyController(
            ScriptedPolicy(make_ee_spec(LAYOUT), samples),
            LIMITS,
            self.clock,
            SimulatedLatencyRunner(self.clock, 0.0),
            ControllerConfig(gripper_min_dwell=0.5),
        )
        self.controller.enable(True)
        self.pose = np.array([0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
        self.finger, self.finger_target = 0.04, 0.04
        self.commands = []

    def run(self, seconds: float, report_pose=True) -> None:
        for _ in range(int(round(seconds / PERIOD))):
            now = self.clock.now()
            if round(now / DT, 6) % 1 == 0:
                self.controller.on_frame(0, now, np.full((8, 8, 3), 100, np.uint8))
            self.controller.on_joint_state(now, ['finger'], [self.finger])
            if report_pose:
                self.controller.on_ee_pose(now, self.pose)
            command = self.controller.tick()
            self.commands.append(command)
            if command.positions is not None:
                self.pose = np.array(command.positions)  # it follows, holds included
            if command.gripper is not None:
                self.finger_target = 0.0 if command.gripper else 0.04
            self.finger += np.clip(self.finger_target - self.finger, -0.08 * PERIOD, 0.08 * PERIOD)
            self.clock.advance(PERIOD)


def test_a_late_measured_pose_does_not_pull_an_arm_that_follows_back():
    arm = Arm(lambda state, i: chunk([0.3, 0.0, 0.0])[None])
    arm.run(1.0)
    start = len(arm.commands) - 1
    arm.run(0.3, report_pose=False)  # the pose stream stops for 0.3 s; the arm follows on
    during = [c.positions[:3] for c in arm.commands[start:] if c.positions is not None]
    steps = np.linalg.norm(np.diff(during, axis=0), axis=1)
    assert arm.controller.stats.not_following == 0
    assert steps.max() <= LIMITS.max_linear_speed * PERIOD + 1e-9, steps.max()


def test_a_hold_right_after_a_grasp_decision_does_not_reopen_the_gripper():
    def samples(state, i):
        out = chunk([0.05, 0.0, 0.0], gripper=float(i >= 5))
        if i == 3:
            out[6:, 3] = 1.0  # decides to close late in this chunk
        if i == 4:
            out[:, 0] += 5.0  # the next chunk is refused (outside the workspace): a hold
        return out[None]

    arm = Arm(samples)
    arm.run(4.0)
    changes = [
        b.time
        for a, b in zip(arm.commands, arm.commands[1:])
        if None not in (a.gripper, b.gripper) and a.gripper != b.gripper
    ]
    assert len(changes) >= 1
    assert np.all(np.diff(changes) >= 0.5 - 1e-9), np.diff(changes)
