# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated stack from outside: node processes, and a probe that watches and drives them.

Used by the end-to-end tests, the loopback benchmark and the soak run. Each run takes
its own ROS_DOMAIN_ID, so parallel runs on one machine (or a developer's own nodes) do
not see each other. The probe subscribes to what a user would watch (commands, joint
diagnostics, predicted chunks, the simulator's status) and calls services and
parameter services as `ros2 service call` / `ros2 param set` do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import random
import signal
import subprocess
import sys
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient
from std_msgs.msg import String
from trajectory_msgs.msg import JointTrajectory

from .. import messages
from ...resources import resolve_config_path

SIM_CONFIG = resolve_config_path('sim.yaml')
COMMAND_TOPIC = '/joint_trajectory_controller/joint_trajectory'
LEVEL_NAMES = {0: 'ok', 1: 'warn', 2: 'error', 3: 'stale'}  # diagnostic_msgs/DiagnosticStatus


def new_domain_id() -> int:
    return random.Random(os.getpid() ^ time.time_ns()).randint(1, 100)


class NodeProcess:
    """`python -m <module> --ros-args ...` with the given domain; output kept in a log file."""

    def __init__(
        self, module: str, ros_args: list[str], domain: int, log_path: Path, argv_prefix=()
    ):
        self.log_path = log_path
        env = dict(os.environ, ROS_DOMAIN_ID=str(domain), PYTHONUNBUFFERED='1')
        self._log = open(log_path, 'w')
        self.proc = subprocess.Popen(
            [
                sys.executable,
                '-X',
                'faulthandler',
                '-m',
                module,
                *argv_prefix,
                '--ros-args',
                *ros_args,
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid  # the same process after the ROS wheels' re-exec (os.execve)

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> int:
        """SIGKILL, as a crash or the OOM killer would: no shutdown of any kind."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class Probe:
    """A node that watches and drives the stack as a user would (see the module docstring)."""

    def __init__(self, domain: int, command_topic: str | None = COMMAND_TOPIC):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node('e2e_probe', context=self.context)
        self.lock = threading.RLock()  # predicates of wait_for call the query methods
        self.status: dict = {}
        self.diagnostics: dict[str, dict] = {}
        self.commands: list[tuple[float, np.ndarray]] = []  # (receive time, first point)
        self.predictions: list[tuple[float, float]] = []  # (receive wall time, observation stamp)
        self._parameter_clients: dict[str, AsyncParameterClient] = {}
        n = self.node
        n.create_subscription(String, '/sim_robot/status', self._on_status, 10)
        n.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        if (
            command_topic
        ):  # None: commands are judged elsewhere (the soak's SafetyRecorder), not kept
            n.create_subscription(JointTrajectory, command_topic, self._on_command, 100)
        n.create_subscription(
            JointTrajectory, '/imle_policy/predicted_trajectory', self._on_prediction, 10
        )
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(n)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:
            pass

    # ---- subscriptions ------------------------------------------------------------------
    def _on_status(self, msg):
        with self.lock:
            self.status = json.loads(msg.data)

    def _on_diagnostics(self, msg):
        with self.lock:
            for status in msg.status:
                values = messages.status_values(status)
                values['_level'] = LEVEL_NAMES.get(values['_level'], '?')
                self.diagnostics[status.name] = values

    def _on_command(self, msg):
        with self.lock:
            self.commands.append((time.monotonic(), np.array(msg.points[0].positions)))

    def _on_prediction(self, msg):
        with self.lock:
            self.predictions.append((time.time(), messages.stamp_seconds(msg.header.stamp)))

    # ---- queries ------------------------------------------------------------------------
    def policy_diagnostics(self) -> dict:
        with self.lock:
            return dict(self.diagnostics.get('imle_policy: controller', {}))

    def commands_since(self, t: float) -> list[tuple[float, np.ndarray]]:
        with self.lock:
            return [c for c in self.commands if c[0] >= t]

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                value = predicate(self)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(
            f'timed out after {timeout} s waiting for {what}; sim status {self.status}; '
            f'policy diagnostics {self.policy_diagnostics()}'
        )

    # ---- services and parameters --------------------------------------------------------
    def _answer(self, send, timeout: float, what: str, resend_every: float = 8.0):
        """
        Return the result of the request that `send()` makes, sending it again if need be.

        It is sent again when no answer has come within `resend_every`: Fast DDS can drop the
        response to a client whose response reader the server has not matched yet (seen here
        as a set_parameters that never answered). The requests made here are harmless to
        repeat.
        """
        deadline = time.monotonic() + timeout
        while True:
            future = send()
            resend_at = min(deadline, time.monotonic() + resend_every)
            while not future.done():
                now = time.monotonic()
                if now >= deadline:
                    raise AssertionError(f'no answer from {what} within {timeout} s')
                if now >= resend_at:
                    break
                time.sleep(0.01)
            else:
                return future.result()

    def call(self, srv_type, name: str, request, timeout: float = 20.0):
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise AssertionError(f'service {name} not available')
            return self._answer(lambda: client.call_async(request), timeout, name)
        finally:
            self.node.destroy_client(client)

    def set_parameters(self, node_name: str, values: dict, timeout: float = 30.0):
        """
        Set parameters as `ros2 param set` does: through the node's parameter services.

        One client per node, kept: rclpy's AsyncParameterClient cannot be destroyed, and every
        new one adds six service clients whose endpoints every participant of the domain
        discovers and keeps (the policy node's memory grew by 50-70 kB per call in a soak
        before this).
        """
        with self.lock:
            client = self._parameter_clients.get(node_name)
            if client is None:
                client = self._parameter_clients[node_name] = AsyncParameterClient(
                    self.node, node_name
                )
        if not client.wait_for_services(timeout_sec=timeout):
            raise AssertionError(f'parameter services of {node_name} not available')
        parameters = [Parameter(k, value=v) for k, v in values.items()]
        return self._answer(
            lambda: client.set_parameters(parameters), timeout, f'{node_name} set_parameters'
        ).results

    def close(self):
        rclpy.try_shutdown(context=self.context)  # wakes the executor
        self.executor.shutdown(timeout_sec=1.0)
        self._thread.join(timeout=5.0)
        self.node.destroy_node()
