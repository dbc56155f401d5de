# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated stack the fault tests and `imle-policy-ros soak` break.

It is sim_robot_node and policy_node as separate processes on a domain of their own, a
probe that watches and drives them as a user would, and a recorder that judges every
command: a SafetyRecorder for the joint interfaces, a CartesianRecorder for pose and twist
(an end-effector bundle, e.g. config/sim_ee.yaml).

Parameters come from config/sim.yaml (or the `config` given) with the given overrides on
top (one parameters file per stack, written to its work folder), so the limits and timeout
the invariants are judged with are the ones the node runs with.
"""

from __future__ import annotations

from pathlib import Path
import time

import yaml

from .cartesian_recorder import CartesianRecorder, CartesianSetup
from .safety_recorder import SafetyRecorder
from .stack_probe import new_domain_id, NodeProcess, Probe, SIM_CONFIG
from ..command_layout import POSE_NAMES
from ..command_outputs import COMMAND_OUTPUTS
from ..policy_parameters import PolicyNodeConfig
from ...control.chunk_executor import JointLimits
from ...resources import resolve_model_path
from ...runtime.policy_spec import PolicySpec

POLICY, SIM = 'imle_policy', 'sim_robot'


def is_cartesian(config: Path) -> bool:
    """Tell whether a parameters file's policy commands an end effector (pose, twist)."""
    with open(config) as f:
        values = yaml.safe_load(f)[POLICY]['ros__parameters']
    interface = values.get('command_interface', PolicyNodeConfig.command_interface)
    return COMMAND_OUTPUTS[interface].action_kind == 'ee_pose'


class FaultStack:
    def __init__(
        self,
        workdir: Path,
        policy_params: dict | None = None,
        sim_params: dict | None = None,
        config: Path = SIM_CONFIG,
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(config) as f:
            sections = yaml.safe_load(f)
        sections[POLICY]['ros__parameters'].update(policy_params or {})
        sections[SIM]['ros__parameters'].update(sim_params or {})
        self.policy_config = sections[POLICY]['ros__parameters']
        self.sim_config = sections[SIM]['ros__parameters']
        self.params_file = self.workdir / 'params.yaml'
        self.params_file.write_text(yaml.safe_dump(sections))
        self.domain = new_domain_id()
        self._robot_starts = 0
        self.robot_started: float | None = None  # wall time of the last restart_robot()
        self.sim = self._start_robot()
        self.policy = NodeProcess(
            'imle_policy_ros.ros.policy_node',
            # -r __node: what launch_ros passes for Node(name=...)
            ['--params-file', str(self.params_file), '-r', f'__node:={POLICY}'],
            self.domain,
            self.workdir / 'policy.log',
        )
        # what the node runs with: the file's values, the rest from the config's defaults
        cfg = self.node_config = PolicyNodeConfig.from_values(self.policy_config)
        self.stale_timeout = cfg.controller.stale_observation_timeout
        # the recorder judges commands, keeping none
        self.probe = Probe(self.domain, command_topic=None)
        self.refusal_bundles: dict = {}  # fault_injector: kind -> a bundle the node must refuse
        self.last_refusal = ''
        # pose or twist: an end-effector bundle, judged in the base frame
        self.cartesian = COMMAND_OUTPUTS[cfg.command_interface].action_kind == 'ee_pose'
        self.recorder: SafetyRecorder
        info_topic = f'/{POLICY}/command_info'
        if self.cartesian:
            spec = PolicySpec.read(resolve_model_path(cfg.model_path))
            self.setup = CartesianSetup.of(cfg, spec)
            self.joint_names, self.limits = POSE_NAMES, self.setup.limits
            self.recorder = CartesianRecorder(self.probe.node, self.setup, info_topic)
        else:
            self.joint_names = cfg.joint_names
            self.limits = JointLimits.create(
                len(self.joint_names),
                cfg.position_lower_limits,
                cfg.position_upper_limits,
                cfg.velocity_limits,
            )
            self.recorder = SafetyRecorder(
                self.probe.node,
                self.limits,
                self.stale_timeout,
                self.joint_names,
                cfg.image_topics,
                cfg.joint_state_topic,
                cfg.command_topic,
                cfg.command_interface,
                info_topic,
            )

    # ---- processes ----------------------------------------------------------------------
    def _start_robot(self) -> NodeProcess:
        self._robot_starts += 1
        return NodeProcess(
            'imle_policy_ros.ros.sim_robot_node',
            ['--params-file', str(self.params_file)],
            self.domain,
            self.workdir / f'sim_{self._robot_starts}.log',
        )

    def kill_robot(self) -> None:
        self.sim.kill()

    def restart_robot(self) -> None:
        if self.sim.proc.poll() is None:
            self.sim.kill()
        self.robot_started = time.time()  # it cannot publish anything before this
        self.recorder.mark_blind(self.robot_started)
        self.sim = self._start_robot()

    def prepare_model_refusals(self) -> None:
        from .fault_injector import refusal_bundles

        good = resolve_model_path(self.policy_config['model_path'])
        self.refusal_bundles = refusal_bundles(good, self.workdir / 'bundles')

    def close(self) -> tuple[int, int]:
        """Stop everything; return the exit codes of the policy and the (last) robot process."""
        self.probe.close()
        return self.policy.stop(), self.sim.stop()

    # ---- driving ------------------------------------------------------------------------
    def wait_moving(self, timeout: float = 60.0, since: float | None = None) -> None:
        """
        Wait until the policy commands motion (not holds) on inputs stamped after `since`.

        `since` is wall time; default: now.
        """
        since = time.time() if since is None else since
        self.probe.wait_for(
            lambda p: any(not r.holding for r in self.recorder.records_since(since)),
            timeout,
            'the policy to command motion',
        )

    def set_sim(self, **values) -> None:
        for result in self.probe.set_parameters(f'/{SIM}', values):
            if not result.successful:
                raise AssertionError(f'sim_robot refused {values}: {result.reason}')

    def set_policy(self, **values):
        """Return the parameter results: a refusal is an answer here, not an error."""
        return self.probe.set_parameters(f'/{POLICY}', values)

    def diagnostics(self) -> dict:
        return self.probe.policy_diagnostics()

    def rss_mb(self) -> float | None:
        """Resident memory of the policy process (from /proc), None once it is gone."""
        try:
            for line in Path(f'/proc/{self.policy.pid}/status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            return None
        return None
