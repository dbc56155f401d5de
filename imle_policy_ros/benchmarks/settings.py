# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
How much of each measurement a run does: --quick or the full run.

--quick takes under two minutes on 2 CPU cores, paper configuration. Both time whole sampler
runs; quick times fewer.
"""

from __future__ import annotations

from dataclasses import dataclass

# torch_cuda: the networks in torch on a CUDA GPU (skipped, with the reason, without one).
SECTIONS = ('inference', 'torch_cuda', 'encoder_cache', 'memory', 'training', 'control_loop')


@dataclass
class Settings:
    quick: bool
    threads: int
    batches: tuple = (1, 8, 32)
    big_n: int = 32
    # IMLE generator, ORT vs torch eager, interleaved: rounds x block timed calls per case
    rounds: int = 10
    block: int = 5
    warmup: int = 2
    # whole sampler runs per N (ORT; torch eager: 0 skips it)
    ddpm_runs: int = 5
    ddpm_big_n_only: bool = False  # quick: DDPM100 (~100 generator calls a run) at N = big_n only
    ddim_runs: int = 10
    torch_ddpm_runs: int = 2
    torch_ddim_runs: int = 5
    # RS-IMLE training at the paper's batch and m
    train_batch: int = 128
    train_m: int = 20
    train_steps: int = 3
    train_warmup: int = 1
    # control loop over loopback
    loop_seconds: float = 30.0
    loop_switches: int = 6
    loop_anchor: bool = True
    # ORT worker threads: the node's setting (no spinning), unless asked otherwise
    ort_allow_spinning: bool = False

    @property
    def torch_diffusion(self) -> bool:
        return self.torch_ddpm_runs > 0 or self.torch_ddim_runs > 0

    def notes(self) -> list[str]:
        out = [
            f'ORT sessions as the policy node builds them: {self.threads} intra-op threads, '
            f'allow_spinning={self.ort_allow_spinning}',
            f'IMLE generator: {self.rounds * self.block} timed calls per case and N '
            f'(ORT and torch eager interleaved in blocks of {self.block})',
            f'DDPM100: {self.ddpm_runs} whole sampler run(s) '
            + (f'at N = {self.big_n} only' if self.ddpm_big_n_only else 'per N')
            + ' on ORT'
            + (
                f', {self.torch_ddpm_runs} in torch eager'
                if self.torch_ddpm_runs
                else ', none in torch eager'
            )
            + f'; DDIM10: {self.ddim_runs} (ORT)'
            + (f', {self.torch_ddim_runs} (torch eager)' if self.torch_ddim_runs else '')
            + '; with fewer than ~100 runs p99 is close to the slowest run',
            f'training: {self.train_steps} timed step(s) after {self.train_warmup} warm-up '
            f'step(s) at batch {self.train_batch}, m = {self.train_m}',
        ]
        if self.train_warmup == 0:
            out.append(
                'training: no warm-up step, so the timed step includes first-step allocations '
                '(about 5% on the paper nets)'
            )
        return out


def settings_for(quick: bool, threads: int, config: str) -> Settings:
    if config == 'tiny':  # the test configuration: every call is cheap, keep the run short anyway
        return Settings(
            quick,
            threads,
            rounds=2,
            block=2,
            warmup=1,
            ddpm_runs=1,
            ddim_runs=2,
            torch_ddpm_runs=1,
            torch_ddim_runs=1,
            train_batch=8,
            train_m=4,
            train_steps=1,
            train_warmup=1,
            loop_seconds=6.0,
            loop_switches=0,
            loop_anchor=False,
        )
    if quick:
        return Settings(
            quick,
            threads,
            rounds=3,
            block=3,
            warmup=1,
            ddpm_runs=1,
            ddpm_big_n_only=True,
            ddim_runs=3,
            torch_ddpm_runs=0,
            torch_ddim_runs=0,
            train_steps=1,
            train_warmup=0,
            loop_seconds=6.0,
            loop_switches=0,
            loop_anchor=False,
        )
    return Settings(quick, threads)
