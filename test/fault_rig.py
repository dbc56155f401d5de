# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A controller rig on simulated time whose inputs can be broken on purpose.

It keeps what an outside observer needs to judge it: every command, and the stamps of the
valid inputs it was fed (for the independent freshness check of control.safety_invariants).

Faults are hooks the test replaces while the rig runs:
  frame_stamps(camera, now) -> stamps of the frames sent at `now` ([] : none sent)
  joint_state(now, joints)  -> (names, positions) sent, or None (nothing sent)
"""

from __future__ import annotations

from collections import defaultdict

from controller_harness import JOINTS, Rig
from imle_policy_ros.control.safety_invariants import (
    check_command_stream,
    check_input_freshness,
    CommandRecord,
    InvariantReport,
)
import numpy as np


def fresh_frames(camera, now):
    return [now]


def fresh_joint_state(now, joints):
    return JOINTS, np.array(joints)


class FaultRig(Rig):
    """A Rig fed through the fault hooks; it keeps its command records and valid input stamps."""

    def __init__(self, policy, cameras: int = 1, **kwargs):
        super().__init__(policy, **kwargs)
        self.camera_names = [c.name for c in policy.spec.cameras]
        assert len(self.camera_names) == cameras
        self.frame_stamps = fresh_frames
        self.joint_state = fresh_joint_state
        self.fed = defaultdict(list)  # input name -> stamps of valid inputs fed
        self.seq = 0
        self.records: list[CommandRecord] = []

    def step(self):
        now = self.clock.now()
        ctrl = self.controller
        if now >= self._next_frame - 1e-9:
            for camera, name in enumerate(self.camera_names):
                for stamp in self.frame_stamps(camera, now):
                    ctrl.on_frame(camera, stamp, np.full((8, 8, 3), 100, np.uint8))
                    self.fed[f'camera {name!r}'].append(stamp)
            self._next_frame = now + self.frame_period
        sent = self.joint_state(now, self.joints)
        if sent is not None:
            names, positions = sent
            ctrl.on_joint_state(now, names, positions)
            index = {n: i for i, n in enumerate(names)}
            if all(n in index for n in JOINTS) and np.all(
                np.isfinite([positions[index[n]] for n in JOINTS])
            ):
                self.fed['joint_states'].append(now)
        cmd = ctrl.tick()
        self.commands.append(cmd)
        if cmd.positions is not None:
            self.records.append(CommandRecord.of(cmd, seq=self.seq))
        self.seq += 1
        if not cmd.holding and cmd.positions is not None:
            self.joints = np.array(cmd.positions)
        self.clock.advance(self.control_period)
        return cmd

    def invariants(self) -> InvariantReport:
        """
        Every invariant over everything so far.

        The rig saw every input, so the independent freshness check needs no tolerance.
        """
        limits, timeout = (
            self.controller.executor.limits,
            self.controller.config.stale_observation_timeout,
        )
        report = check_command_stream(self.records, limits, timeout)
        return report.extend(check_input_freshness(self.records, self.fed, timeout, tolerance=0.0))

    def since(self, t: float):
        return [c for c in self.commands if c.time >= t - 1e-9]
