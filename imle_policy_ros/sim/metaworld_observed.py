# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A Meta-World scene as the robot's topics carry it, for an expert outside the simulator.

metaworld_teleop_node drives metaworld_robot_node with a task's expert through the command
topics, as a person with a teleop device would, and knows only what those topics say: the
joint states (the arm, the fingers r_close / l_close, and the objects and goal by name, as
metaworld_robot lists them for a tracker-fed state policy) and the hand pose. ObservedScene
rebuilds from them what the experts of sim/metaworld_experts.py read of a MetaWorldEnv, so
the same expert code runs in the simulator's process (sim-demos) and beside it (record_demos).

The one value the topics do not carry as such is Meta-World's finger opening (obs[3]), the
distance between the finger pads over 0.1 m; the pads ride on the finger joints, 0.1 m
apart when both are at 0, so it is 1 - 10 (r_close - l_close), clipped to 0..1 (exact:
test/test_metaworld_teleop.py compares it with the env's over expert episodes).
"""

from __future__ import annotations

import numpy as np

from .metaworld_demos import METAWORLD_EXTRAS, TRACKED_NAMES
from .metaworld_env import FINGER_JOINTS

# Meta-World's mocap action scale: an action of 1 moves the hand 1 cm (env.action_scale).
ACTION_SCALE = 0.01
PAD_GAP_OPEN = 0.1  # m between the finger pads with both finger joints at 0
OBJECT_VALUES = METAWORLD_EXTRAS['object_state'][0]  # TRACKED_NAMES: these, then the goal


class NotObservable(ValueError):
    """The joint states lack a name the expert needs (another robot, or object_state off)."""


def finger_opening(r_close: float, l_close: float) -> float:
    """Return Meta-World's finger opening (1 open .. about 0.3 shut) from the finger joints."""
    gap = PAD_GAP_OPEN - (float(r_close) - float(l_close))
    return float(np.clip(gap / PAD_GAP_OPEN, 0.0, 1.0))


class ObservedScene:
    """
    What an expert reads of a MetaWorldEnv, from one joint state and one hand pose.

    names / positions: a /joint_states message's (the fingers and TRACKED_NAMES among
    them); hand_pose: the measured hand, x y z then a quaternion (m, base frame).
    """

    action_scale = ACTION_SCALE

    def __init__(self, task: str, names, positions, hand_pose):
        by_name = dict(zip(names, np.asarray(positions, dtype=np.float64)))
        needed = (*FINGER_JOINTS, *TRACKED_NAMES)
        missing = [n for n in needed if n not in by_name]
        if missing:
            raise NotObservable(
                f'the joint states lack {missing[:4]}{" ..." if len(missing) > 4 else ""}: '
                'the expert needs the fingers and the objects and goal by name '
                '(metaworld_robot with object_state: true)'
            )
        hand_pose = np.asarray(hand_pose, dtype=np.float64).reshape(-1)
        if hand_pose.size != 7 or not np.all(np.isfinite(hand_pose)):
            raise NotObservable(f'a hand pose needs 7 finite values, got {hand_pose.tolist()}')
        self.task = task
        self.ee_pose = hand_pose
        self._tracked = np.array([by_name[n] for n in TRACKED_NAMES])
        self._opening = finger_opening(*(by_name[j] for j in FINGER_JOINTS))

    @property
    def hand_position(self) -> np.ndarray:
        return self.ee_pose[:3].copy()

    @property
    def object_state(self) -> np.ndarray:
        return self._tracked[:OBJECT_VALUES].copy()

    @property
    def goal(self) -> np.ndarray:
        return self._tracked[OBJECT_VALUES:].copy()

    @property
    def expert_obs(self) -> np.ndarray:
        """
        Return the 39 values Meta-World's experts read.

        The previous frame's block (obs[18:36]) repeats this frame: no expert reads it.
        """
        frame = np.concatenate([self.hand_position, [self._opening], self.object_state])
        return np.concatenate([frame, frame, self.goal])
