# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Training loop: RS-IMLE (or the MSE regressor / Diffusion Policy baselines) on an episode store.

Plain PyTorch, no framework. Repeatability: the batch of step k and its noise are drawn
from generators seeded with (seed, k), so a run resumed from a checkpoint continues with
exactly the batches and noise the uninterrupted run would have used.

Several GPUs: launch with `torchrun --nproc_per_node G -m imle_policy_ros.cli train ...`;
each rank takes its share of every batch, gradients are averaged by DDP, rank 0 writes
checkpoints and the progress bar.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import asdict
import json
import math
import os
from pathlib import Path
import time

import numpy as np
import torch
from torch import nn

from .augment import random_crop
from .diffusion_loss import diffusion_loss, timestep_embed_dim
from .policy_network import ImlePolicyNetwork, NetworkConfig
from .rs_imle_loss import chosen_sample_loss, select_nearest_kept
from .train_config import OBJECTIVES, TrainConfig
from .windows import ChunkWindows
from ..data.episode_store import EpisodeStore
from ..errors import Refusal
from ..runtime.ee_layout import EePoseLayout

CHECKPOINT_DIR = 'checkpoints'
LATEST = 'latest.pt'


def resolve_device(name: str) -> torch.device:
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise Refusal(
            f'device {name!r} asked for, but torch sees no CUDA device; use --device cpu'
        )
    return device


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to zero at the last step (a factor on cfg.lr)."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


class EmaWeights:
    """
    Exponential moving average of the weights; the EMA copy is what gets exported.

    The decay ramps up from 0 (Diffusion Policy's warm-up idea) so early, poor weights are
    forgotten quickly instead of dominating the average for thousands of steps.
    """

    def __init__(self, model: nn.Module, decay: float):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for ema_p, p in zip(self.model.parameters(), model.parameters()):
            ema_p.lerp_(p.detach(), 1.0 - decay)
        for ema_b, b in zip(self.model.buffers(), model.buffers()):
            ema_b.copy_(b)


def batch_indices(step: int, num_windows: int, batch_size: int, seed: int) -> np.ndarray:
    """
    Return the windows of step `step`.

    They are consecutive slices of a per-epoch permutation (seeded by (seed, epoch)), so every
    window is seen once per epoch and resume needs no sampler state.
    """
    per_epoch = max(1, num_windows // batch_size)
    epoch, pos = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(num_windows)
    if num_windows < batch_size:  # tiny datasets: draw with replacement
        return np.random.default_rng([seed, step]).integers(0, num_windows, batch_size)
    start, stop = pos * batch_size, (pos + 1) * batch_size
    return order[start:stop]


def collate(
    windows: ChunkWindows,
    indices: np.ndarray,
    device: torch.device,
    crop_hw=None,
    rng: np.random.Generator | None = None,
):
    """
    Stack the windows of one batch.

    With crop_hw, each example gets its own random crop (the same for all its frames, so its
    observation history stays aligned).
    """
    items = [windows[int(i)] for i in indices]
    images = {}
    for name in items[0]['images']:
        frames = [it['images'][name] for it in items]
        if crop_hw:
            frames = [random_crop(f, crop_hw, rng) for f in frames]
        images[name] = torch.stack(frames).to(device)
    state = torch.stack([it['state'] for it in items]).to(device)
    actions = torch.stack([it['actions'] for it in items]).to(device)
    return images, state, actions


def compute_loss(
    net: nn.Module, cfg: TrainConfig, images, state, actions, noise_gen: torch.Generator
):
    batch = actions.shape[0]
    if cfg.objective == 'mse':
        noise = torch.zeros(batch, 1, *actions.shape[1:], device=actions.device)
        pred = net(images, state, noise)[:, 0]
        return nn.functional.mse_loss(pred, actions)
    if cfg.objective == 'diffusion':
        return diffusion_loss(net, images, state, actions, noise_gen)
    # RS-IMLE's gradient reaches only the nearest kept sample of each example, so the m
    # samples are made without a graph, and only the chosen noise is run again with one:
    # the same gradient as backpropagating through all m (GroupNorm and the encoder see each
    # example alone), for about a third of the work and a fraction of the memory at m = 20.
    noise = torch.randn(batch, cfg.samples_per_example, *actions.shape[1:], generator=noise_gen)
    noise = noise.to(actions.device)
    with torch.no_grad():
        samples = net(images, state, noise)
    index, valid = select_nearest_kept(actions, samples, cfg.epsilon)
    chosen_noise = noise[torch.arange(batch, device=noise.device), index].unsqueeze(1)
    chosen = net(images, state, chosen_noise)[:, 0]
    return chosen_sample_loss(actions, chosen, valid)


def _distributed() -> tuple[int, int, int]:
    """(rank, local_rank, world) from torchrun's environment; (0, 0, 1) when run alone."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    return int(os.environ.get('RANK', '0')), int(os.environ.get('LOCAL_RANK', '0')), world


def train(cfg: TrainConfig, resume: str | None = None) -> Path:
    """Trains, writes checkpoints under cfg.output_dir/checkpoints, returns the last one."""
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f'objective must be one of {OBJECTIVES}, got {cfg.objective!r}')
    rank, local_rank, world = _distributed()
    device = resolve_device(cfg.device)
    if world > 1:
        if device.type == 'cuda':
            device = torch.device('cuda', local_rank)
            torch.cuda.set_device(device)
        torch.distributed.init_process_group('nccl' if device.type == 'cuda' else 'gloo')
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    store = EpisodeStore.open(cfg.dataset)
    meta = store.meta
    windows = ChunkWindows(
        store,
        cfg.obs_horizon,
        cfg.pred_horizon,
        cfg.action_horizon,
        ee_layout=learned_layout(meta, cfg),
        cameras=() if cfg.state_only else None,
        state_extras=cfg.state_extras,
        relative_to_ee=cfg.relative_to_ee,
    )
    image_hw = tuple(cfg.crop) if cfg.crop else _stored_image_hw(windows)
    # Diffusion Policy's noise predictor takes the diffusion step too; the others do not.
    step_embed = timestep_embed_dim(cfg.down_dims) if cfg.objective == 'diffusion' else 0
    net_cfg = NetworkConfig(
        camera_names=list(windows.camera_names),
        image_hw=image_hw,
        state_dim=windows.state_dim,
        action_dim=len(meta.action_names),
        obs_horizon=cfg.obs_horizon,
        pred_horizon=cfg.pred_horizon,
        action_horizon=cfg.action_horizon,
        encoder_width=cfg.encoder_width,
        down_dims=list(cfg.down_dims),
        timestep_embed_dim=step_embed,
    )
    net = ImlePolicyNetwork(net_cfg).to(device)
    ema = EmaWeights(net, cfg.ema_decay)
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_at(s, cfg))

    out = Path(cfg.output_dir)
    ckpt_dir = out / CHECKPOINT_DIR
    start_step = 0
    if resume:
        ckpt = torch.load(
            _resolve_resume(resume, ckpt_dir), map_location=device, weights_only=False
        )
        _check_same_schedule(ckpt['train_config'], cfg)
        net.load_state_dict(ckpt['model'])
        ema.model.load_state_dict(ckpt['ema'])
        optimizer.load_state_dict(ckpt['optimizer'])
        scheduler.load_state_dict(ckpt['scheduler'])
        start_step = ckpt['step']
    model = net
    if world > 1:
        model = nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == 'cuda' else None
        )

    data_hash = store.content_hash() if rank == 0 else ''
    if rank == 0:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        (out / 'train_config.json').write_text(json.dumps(asdict(cfg), indent=2) + '\n')
    progress = _progress(cfg, start_step, rank)
    log_path = out / 'train_log.jsonl'
    last_ckpt = ckpt_dir / LATEST
    started, running = time.monotonic(), None
    model.train()
    for step in range(start_step, cfg.steps):
        indices = batch_indices(step, len(windows), cfg.batch_size, cfg.seed)[rank::world]
        crop_rng = np.random.default_rng([cfg.seed, step, 1])
        images, state, actions = collate(windows, indices, device, cfg.crop, crop_rng)
        noise_gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step + 7)
        loss = compute_loss(model, cfg, images, state, actions, noise_gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        ema.update(net, step)

        value = float(loss.detach())
        running = value if running is None else 0.95 * running + 0.05 * value
        if rank != 0:
            continue
        progress.update(1)
        progress.set_postfix(loss=f'{running:.4f}', lr=f'{scheduler.get_last_lr()[0]:.2e}')
        if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
            with log_path.open('a') as f:
                f.write(
                    json.dumps(
                        {
                            'step': step + 1,
                            'loss': value,
                            'loss_avg': running,
                            'grad_norm': float(grad_norm),
                            'lr': scheduler.get_last_lr()[0],
                            'elapsed_s': round(time.monotonic() - started, 2),
                        }
                    )
                    + '\n'
                )
        if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
            last_ckpt = save_checkpoint(
                ckpt_dir,
                step + 1,
                net,
                ema,
                optimizer,
                scheduler,
                cfg,
                net_cfg,
                windows,
                store,
                data_hash,
            )
    if rank == 0:
        progress.close()
    if world > 1:
        torch.distributed.destroy_process_group()
    return last_ckpt


def learned_layout(meta, cfg: TrainConfig) -> EePoseLayout | None:
    """Return the end-effector layout the policy learns (the dataset's, in cfg's reference)."""
    if meta.ee_layout is None:
        return None
    return dataclasses.replace(meta.ee_layout, reference=cfg.ee_actions)


def save_checkpoint(
    ckpt_dir: Path,
    step: int,
    net,
    ema,
    optimizer,
    scheduler,
    cfg,
    net_cfg,
    windows: ChunkWindows,
    store: EpisodeStore,
    data_hash: str,
) -> Path:
    """
    Save everything export and resume need.

    That is: weights, EMA weights, optimizer state, configs, normalization stats and the
    dataset's description. Written then renamed, so a crash mid-write never leaves a corrupt
    latest.pt.
    """
    state = {
        'step': step,
        'model': net.state_dict(),
        'ema': ema.model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'scheduler': scheduler.state_dict(),
        'train_config': asdict(cfg),
        'network_config': net_cfg.to_dict(),
        'state_stats': windows.state_stats.to_dict(),
        'action_stats': windows.action_stats.to_dict(),
        'dataset_meta': store.meta.to_dict(),
        'state_names': list(windows.state_names),
        'relative_to_ee': list(windows.relative_to_ee),
        'ee_layout': layout.to_dict() if (layout := learned_layout(store.meta, cfg)) else None,
        'data_hash': data_hash,
    }
    path = ckpt_dir / f'step_{step:07d}.pt'
    tmp = path.with_suffix('.tmp')
    torch.save(state, tmp)
    os.replace(tmp, path)
    latest_tmp = ckpt_dir / (LATEST + '.tmp')
    torch.save(state, latest_tmp)
    os.replace(latest_tmp, ckpt_dir / LATEST)
    return path


# What the learning-rate schedule is made of: lr_at reads them at every step, so a resume
# that changed one would not continue the run, it would jump to another schedule's point.
SCHEDULE_SETTINGS = ('steps', 'warmup_steps', 'lr')


def _check_same_schedule(saved: dict, cfg: TrainConfig) -> None:
    changed = [k for k in SCHEDULE_SETTINGS if saved.get(k) != getattr(cfg, k)]
    if changed:
        was = ', '.join(f'--{k.replace("_", "-")} {saved.get(k)}' for k in changed)
        now = ', '.join(f'{getattr(cfg, k)}' for k in changed)
        raise Refusal(
            f'--resume: the checkpoint was trained with {was}, not {now}; resuming would '
            'jump to another point of the cosine schedule (with more steps, the learning rate '
            'rises again from near 0). Resume with the same settings, or start a new run'
        )


def _resolve_resume(resume: str, ckpt_dir: Path) -> Path:
    path = Path(resume)
    if path.is_dir():
        path = (
            path / CHECKPOINT_DIR / LATEST if (path / CHECKPOINT_DIR).is_dir() else path / LATEST
        )
    if not path.is_file():
        raise Refusal(
            f'--resume: no checkpoint at {path}; give a .pt file or a training output dir'
        )
    return path


def _stored_image_hw(windows: ChunkWindows) -> tuple[int, int]:
    sizes = {tuple(windows.image_hw(name)) for name in windows.camera_names}
    if not sizes:  # a state policy: no encoder, so no image size
        return (0, 0)
    if len(sizes) != 1:
        raise Refusal(
            f'cameras have different image sizes {sorted(sizes)}; the shared encoder '
            'needs one size: resize them when building the dataset'
        )
    return sizes.pop()


def _progress(cfg: TrainConfig, start: int, rank: int):
    from tqdm import tqdm

    return tqdm(
        total=cfg.steps,
        initial=start,
        desc=f'train {cfg.objective}',
        unit='step',
        disable=(rank != 0) or not cfg.progress,
        dynamic_ncols=True,
    )
