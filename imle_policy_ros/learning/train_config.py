# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
TrainConfig: every setting of a training run, defined once.

`imle-policy-ros train` builds its options from these fields and `train()` takes the
object, so a script trains exactly as the command does (`train(TrainConfig(...))`). No
torch here: the command line must describe training on a host without it. Defaults
follow the paper (ResNet-18 at width 64, UNet [256, 512, 1024], m = 20, epsilon 0.03,
AdamW 1e-4, batch 128); small CPU models use e.g. encoder_width 8, down_dims (32, 64, 128).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.policy_spec import OBJECTIVES
from ..settings import check_settings, setting, SettingError


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = setting(
        description='dataset directory (meta.json + episodes/)', positional=True
    )
    output_dir: str = setting(description='where checkpoints and logs go', short='-o')
    objective: str = setting(
        'rs_imle',
        'rs_imle (the policy); the baselines on the same networks: mse (a plain regressor) '
        'or diffusion (Diffusion Policy: the UNet as a DDPM noise predictor, sampled with '
        'DDIM-10 or DDPM-100 at run time)',
        choices=OBJECTIVES,
    )
    ee_actions: str = setting(
        'relative',
        'ee_pose datasets: learn targets relative to the end-effector pose at the observation, '
        'or absolute in the base frame',
        choices=('relative', 'absolute'),
    )
    state_only: bool = setting(
        False,
        'train without cameras: the policy sees the low-dim state alone (with --state-extras, '
        "e.g. Push-T's block keypoints); its bundle has no encoder",
    )
    state_extras: tuple[str, ...] = setting(
        (),
        'dataset extras appended to the state, flattened (named NAME_0, NAME_1, ...): the '
        'running policy then needs them live under those names, beside the joint states',
    )
    relative_to_ee: tuple[str, ...] = setting(
        (),
        'state positions the policy sees as offsets from the end effector, by state name in '
        'x y z triples (e.g. object_state_0 object_state_1 object_state_2 goal_0 goal_1 '
        'goal_2): object and goal positions generalize far better from the hand; ee_pose only',
        metavar='NAME',
    )
    steps: int = setting(20000, 'optimizer steps', min=1, max=100_000_000)
    batch_size: int = setting(128, 'examples per step', min=1, max=65536)
    lr: float = setting(1e-4, 'AdamW learning rate (after warm-up; cosine decay to 0)', min=0.0)
    weight_decay: float = setting(1e-6, 'AdamW weight decay', min=0.0)
    warmup_steps: int = setting(500, 'linear learning-rate warm-up', min=0)
    ema_decay: float = setting(
        0.999, 'decay of the EMA weights (what export writes)', min=0.0, max=1.0
    )
    grad_clip: float = setting(1.0, 'gradient norm clip (0: none)', min=0.0)
    epsilon: float = setting(0.03, 'RS-IMLE rejection radius (normalized action space)', min=0.0)
    samples_per_example: int = setting(
        20, 'RS-IMLE m: latents drawn per example', min=1, max=4096, short='-m'
    )
    obs_horizon: int = setting(2, 'observation steps the policy sees', min=1, max=64)
    pred_horizon: int = setting(16, 'action steps predicted per chunk', min=1, max=1024)
    action_horizon: int = setting(8, 'action steps executed per chunk', min=1, max=1024)
    encoder_width: int = setting(
        64, 'ResNet-18 base width (64 gives 512-d features, the paper)', min=1, max=1024
    )
    down_dims: tuple[int, ...] = setting(
        (256, 512, 1024), 'UNet channels per level', min=1, max=65536
    )
    crop: tuple[int, int] | None = setting(
        None, 'random crop in training, center crop at run time', min=1, metavar=('H', 'W')
    )
    seed: int = setting(0, 'seeds the weights, the batches and the noise', min=0)
    device: str = setting('auto', 'auto, cpu, cuda or cuda:N')
    checkpoint_every: int = setting(1000, 'steps between checkpoints', min=1)
    log_every: int = setting(50, 'steps between log lines', min=1)
    threads: int = setting(0, "torch CPU threads (0: torch's default)", min=0, max=1024)
    progress: bool = setting(True, 'show a progress bar')

    def __post_init__(self) -> None:
        check_settings(self)
        if self.action_horizon > self.pred_horizon:
            raise SettingError(
                f'action_horizon {self.action_horizon} exceeds pred_horizon {self.pred_horizon}: '
                'a chunk cannot execute more steps than it predicts'
            )
