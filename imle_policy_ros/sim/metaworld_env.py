# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World (Farama, MuJoCo, v3 tasks) as a robot: a Sawyer arm with a gripper.

The arm is driven through a mocap body: each env step (frame_skip 5 x 2.5 ms = 12.5 ms, 80
Hz) Meta-World moves the hand's mocap target by action[:3] x action_scale (0.01 m) and
applies action[3] as effort on the two fingers (-1 open, +1 close). The hand's orientation
is fixed. This wrapper gives it the inputs a real arm's controllers have instead:

- a Cartesian motion controller: `command_pose(pose)` sets a target; every step the hand is
  P-controlled toward it, action = clip(gain (target - hand) / action_scale, -1, 1). With
  gain 1 a target within 1 cm per axis is reached in one step; farther ones are approached
  at Meta-World's own speed cap, 0.01 m per axis per step (0.8 m/s).
- a twist input: `command_twist(linear)` (m/s, base frame) moves the target by linear x dt
  each step, for TWIST_TIMEOUT_S after the last twist (then the hand holds).
- a gripper: `command_gripper(value)`, 0 open .. 1 closed (effort 2 value - 1).

Measured: the hand position (`ee_pose`, the fixed orientation), the fingers' opening as
Meta-World reports it (obs[3]: the distance between the fingers / 0.1, 1 = wide open, about
0.3 shut on nothing) mapped to 0 open .. 1 closed (METAWORLD_GRIPPER), the arm's 7 joints and
2 finger joints, the task's objects (obs[4:18], padded with zeros) and goal. `success` is
Meta-World's `info["success"]`; an episode ends there or after max_path_length (500) steps.

Scenes: Meta-World ignores `reset(seed=)`; with `seeded_rand_vec` the placement is drawn
from the env's own generator, which `reset(seed)` seeds here, so a seed gives one scene.

Cameras are rendered on request at any size: `image(camera, width, height)`, rows flipped
for the `corner*` cameras (MuJoCo renders them upside down), shadows off (the 4096 shadow
map is most of the cost of a small frame). metaworld is an optional install
(`bash scripts/install_metaworld.sh`); it is imported on first use. MUJOCO_GL defaults to egl.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import Refusal

METAWORLD_RATE_HZ = 80.0  # one env step is frame_skip 5 x 0.0025 s
MAX_STEPS = 500  # Meta-World's max_path_length
TWIST_TIMEOUT_S = 0.1  # a twist older than this stops the hand, as a servo node would
BASE_FRAME = 'world'
EE_FRAME = 'hand'
# The hand's fixed orientation: MuJoCo's mocap quaternion (w x y z) = (1, 0, 1, 0) / sqrt 2,
# here as (x, y, z, w).
HAND_ORIENTATION = (0.0, np.sqrt(0.5), 0.0, np.sqrt(0.5))
# obs[3] wide open and shut on nothing (measured: 1.0 and 0.297 after 30 closing steps)
GRIPPER_OPEN_READING, GRIPPER_CLOSED_READING = 1.0, 0.3
ARM_JOINTS = tuple(f'right_j{i}' for i in range(7))
FINGER_JOINTS = ('r_close', 'l_close')
CAMERAS = ('corner', 'corner2', 'corner3', 'corner4', 'topview', 'behindGripper', 'gripperPOV')
FLIPPED_CAMERAS = ('corner', 'corner2', 'corner3', 'corner4')
INSTALL_HINT = 'bash scripts/install_metaworld.sh'


class MetaWorldMissing(Refusal, ImportError):
    """metaworld is not installed in this environment."""


class UnknownMetaWorldTask(Refusal, ValueError):
    """The task name is not one of Meta-World's."""


def load_metaworld():
    """Return the metaworld module, or refuse with the install command."""
    os.environ.setdefault('MUJOCO_GL', 'egl')
    try:
        import metaworld
        import metaworld.policies  # noqa: F401  (the experts: imported here, checked once)
    except ImportError as exc:
        raise MetaWorldMissing(
            f'Meta-World needs the metaworld package ({exc}); install it with `{INSTALL_HINT}`'
        ) from exc
    return metaworld


def metaworld_available() -> bool:
    try:
        load_metaworld()
    except MetaWorldMissing:
        return False
    return True


def task_names() -> tuple[str, ...]:
    """Return every Meta-World task name (the v3 set, 50 tasks)."""
    return tuple(load_metaworld().policies.ENV_POLICY_MAP)


def check_task(task: str) -> str:
    """Return the full task name (`push` -> `push-v3`), or refuse an unknown one."""
    names = task_names()
    full = task if task in names else f'{task}-v3'
    if full not in names:
        raise UnknownMetaWorldTask(
            f'{task!r} is not a Meta-World task; pick one of: {", ".join(names)}'
        )
    return full


class MetaWorldEnv:
    """`reset(seed)`, then commands and `step()` until `done`; see the module docstring."""

    def __init__(self, task: str, seed: int | None = None, gain: float = 1.0):
        if not (np.isfinite(gain) and 0.0 < gain <= 1.0):
            raise ValueError(f'gain {gain} must be in (0, 1] (1: reach a near target in a step)')
        metaworld = load_metaworld()
        self.task = check_task(task)
        benchmark = metaworld.MT1(self.task)
        self._env = benchmark.train_classes[self.task](render_mode='rgb_array')
        self._env.set_task(benchmark.train_tasks[0])
        self._env._freeze_rand_vec = False  # a new placement at every reset...
        self._env.seeded_rand_vec = True  # ...drawn from the env's generator, seeded by reset
        self._env._partially_observable = False  # the goal is in obs[-3:] (the experts need it)
        self._env.model.light_castshadow[:] = 0
        self.gain = float(gain)
        self.workspace = (self._env.mocap_low.copy(), self._env.mocap_high.copy())
        self._renderers: dict = {}
        self.reset(seed)

    # ---- episode ------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Start an episode; the same seed gives the same placement of objects and goal."""
        if seed is not None:
            self._env.seed(int(seed))
        self.obs, _ = self._env.reset()
        self.steps, self.success = 0, False
        self._target = self.hand_position.copy()
        self._twist, self._twist_age = np.zeros(3), np.inf
        self._effort = -1.0  # open, as Meta-World's own reset leaves the fingers

    def step(self) -> bool:
        """Advance the env by one 12.5 ms step toward the commanded targets; return success."""
        if self.done:
            raise RuntimeError('MetaWorldEnv.step after the episode ended; call reset()')
        dt = 1.0 / METAWORLD_RATE_HZ
        if self._twist_age < TWIST_TIMEOUT_S:
            self._target = self._clip(self._target + self._twist * dt)
            self._twist_age += dt
        scale = self._env.action_scale
        move = np.clip(self.gain * (self._target - self.hand_position) / scale, -1.0, 1.0)
        self.obs, _, _, _, info = self._env.step(np.append(move, self._effort))
        self.steps += 1
        self.success = self.success or bool(info['success'])
        return self.success

    @property
    def done(self) -> bool:
        return self.success or self.steps >= MAX_STEPS

    # ---- commands -----------------------------------------------------------------------
    def command_pose(self, pose) -> None:
        """Aim the hand at pose [7] (x y z, then a quaternion: ignored, the hand cannot turn)."""
        pose = np.asarray(pose, dtype=np.float64).reshape(-1)
        if pose.size not in (3, 7) or not np.all(np.isfinite(pose)):
            raise ValueError(f'a pose target needs 3 or 7 finite values, got {pose.tolist()}')
        self._target = self._clip(pose[:3])
        self._twist_age = np.inf

    def command_twist(self, linear) -> None:
        """Move the target at linear [3] m/s (base frame) until TWIST_TIMEOUT_S passes."""
        linear = np.asarray(linear, dtype=np.float64).reshape(3)
        if not np.all(np.isfinite(linear)):
            raise ValueError(f'a twist needs finite values, got {linear.tolist()}')
        self._twist, self._twist_age = linear, 0.0

    def command_gripper(self, value: float) -> None:
        """Set the gripper: 0 open .. 1 closed (finger effort 2 value - 1)."""
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f'a gripper command must be finite, got {value}')
        self._effort = float(np.clip(2.0 * value - 1.0, -1.0, 1.0))

    def _clip(self, position) -> np.ndarray:
        return np.clip(np.asarray(position, dtype=np.float64), *self.workspace)

    # ---- measurements -------------------------------------------------------------------
    @property
    def hand_position(self) -> np.ndarray:
        return np.array(self.obs[:3], dtype=np.float64)

    @property
    def ee_pose(self) -> np.ndarray:
        """(7,) the hand: x y z (m, world frame), then HAND_ORIENTATION."""
        return np.concatenate([self.hand_position, HAND_ORIENTATION])

    @property
    def target_pose(self) -> np.ndarray:
        """(7,) where the Cartesian controller is taking the hand now."""
        return np.concatenate([self._target, HAND_ORIENTATION])

    @property
    def gripper_reading(self) -> float:
        """Meta-World's finger opening, obs[3] (1 wide open .. about 0.3 shut)."""
        return float(self.obs[3])

    @property
    def joint_names(self) -> tuple[str, ...]:
        return ARM_JOINTS + FINGER_JOINTS

    @property
    def joint_positions(self) -> np.ndarray:
        """(9,) the arm's joints (rad) and the two fingers (m), as /joint_states has them."""
        return np.array(self._env.data.qpos[:9], dtype=np.float64)

    @property
    def object_state(self) -> np.ndarray:
        """(14,) obs[4:18]: the task's objects, position and quaternion each (zero-padded)."""
        return np.array(self.obs[4:18], dtype=np.float64)

    @property
    def goal(self) -> np.ndarray:
        """(3,) the task's goal position (m)."""
        return np.array(self.obs[-3:], dtype=np.float64)

    @property
    def expert_obs(self) -> np.ndarray:
        """Return the 39-value observation that Meta-World's scripted experts read."""
        return np.array(self.obs, dtype=np.float64)

    @property
    def action_scale(self) -> float:
        return float(self._env.action_scale)

    def image(self, camera: str = 'corner3', width: int = 96, height: int | None = None):
        """uint8 [height, width, 3] RGB from `camera` (one of CAMERAS), the right way up."""
        from gymnasium.envs.mujoco.mujoco_rendering import MujocoRenderer

        height = width if height is None else height
        if camera not in CAMERAS:
            raise ValueError(f'camera {camera!r} is not one of {", ".join(CAMERAS)}')
        key = (camera, int(width), int(height))
        if key not in self._renderers:
            env = self._env
            self._renderers[key] = MujocoRenderer(
                env.model, env.data, None, int(width), int(height), camera_name=camera
            )
        frame = self._renderers[key].render('rgb_array')
        if camera in FLIPPED_CAMERAS:
            frame = frame[::-1]
        return np.ascontiguousarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Free the renderers (EGL contexts); an unclosed one prints an error at exit."""
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
        self._env.close()
