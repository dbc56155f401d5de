# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Which solutions the policy holds at the start of an episode, before it has moved.

Closed-loop success does not show multimodality by itself: a regressor can succeed by
picking one side per scene. Here we sample many chunks from the very first observation of
each scene and look at which side of the obstacle each chunk heads for. A multimodal
policy offers both sides in the same scene; a regressor offers one.
"""

from __future__ import annotations

import numpy as np

from .closed_loop import EVAL_SEED_BASE
from ..runtime import OnnxPolicy, PolicyBundle
from ..sim.planar_arm import forward_kinematics
from ..sim.reach_env import ReachEnv


def start_mode_shares(
    bundle: PolicyBundle, scenes: int = 20, samples: int = 64, seed: int = 0
) -> dict:
    """
    Measure, per scene, the share of sampled chunks ending right of the obstacle.

    Ending right of the obstacle: the chunk's last waypoint has tool y < 0. Summarized as the
    mean share and the fraction of scenes offering both sides (each at least 10% of the
    samples).
    """
    policy = OnnxPolicy(bundle, seed=seed)
    spec = bundle.spec
    shares = []
    for i in range(scenes):
        env = ReachEnv(seed=EVAL_SEED_BASE + i, image_size=spec.cameras[0].height)
        env.reset(seed=EVAL_SEED_BASE + i)
        features = policy.encode(0, env.camera_frame())
        # the first observation of an episode: every history step is the same (edge padding)
        condition = policy.condition(
            np.stack([features[None]] * spec.obs_horizon),
            np.stack([_state(spec, env)] * spec.obs_horizon),
        )
        chunks = spec.action_stats.unnormalize(policy.sample(condition, samples))
        end_y = np.array([_tool_y_at_end(spec, env, chunk) for chunk in chunks])
        shares.append(float(np.mean(end_y < 0)))
    shares = np.array(shares)
    return {
        'start_share_right': float(shares.mean()),
        'scenes_offering_both_sides': float(np.mean((shares >= 0.1) & (shares <= 0.9))),
    }


def _state(spec, env: ReachEnv) -> np.ndarray:
    layout = spec.ee_layout
    if layout is None:
        return env.joint_positions
    gripper = [layout.gripper.normalize(env.gripper_position)] if layout.gripper else None
    return layout.state(env.ee_pose[None], gripper)[0]


def _tool_y_at_end(spec, env: ReachEnv, chunk: np.ndarray) -> float:
    if spec.ee_layout is None:
        return float(forward_kinematics(chunk[-1])[1])
    poses, _ = spec.ee_layout.decode(chunk, env.ee_pose)
    return float(poses[-1, 1])
