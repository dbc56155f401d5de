# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
metaworld_robot_node driven by policy_node with the bundled Meta-World model, over ROS 2.

Both nodes run in processes of their own with config/metaworld.yaml, as `imle-policy-ros run
--config config/metaworld.yaml` starts them: the policy reads the hand pose, the finger and
the objects from the robot's topics and commands pose targets and the gripper; the episode
is judged by Meta-World's own success on an evaluation scene. A target in another frame
must be refused and counted, and move nothing. The robot counts an episode's steps from its
first command, so the first scene is the policy's from the start however long it takes to
load, and must be solved.
"""

import importlib.util
import json
import threading
import time

import pytest

pytest.importorskip('rclpy')
pytestmark = [
    pytest.mark.ros,
    pytest.mark.skipif(
        importlib.util.find_spec('metaworld') is None,
        reason='metaworld not installed (bash scripts/install_metaworld.sh)',
    ),
]

from geometry_msgs.msg import PoseStamped  # noqa: E402, I100
from imle_policy_ros.resources import resolve_config_path  # noqa: E402
from imle_policy_ros.ros.harness.stack_probe import new_domain_id, NodeProcess  # noqa: E402
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from std_msgs.msg import String  # noqa: E402

CONFIG = resolve_config_path('metaworld.yaml')


class StatusWatcher:
    """Keeps every /metaworld_robot/status and publishes stray pose targets."""

    def __init__(self, domain: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node('metaworld_watcher', context=self.context)
        self.statuses: list[dict] = []
        self.node.create_subscription(String, '/metaworld_robot/status', self._on_status, 10)
        self.targets = self.node.create_publisher(
            PoseStamped, '/cartesian_motion_controller/target_frame', 10
        )
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _on_status(self, msg):
        self.statuses.append(json.loads(msg.data))

    def wait_for(self, predicate, timeout: float, what: str) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.statuses and predicate(self.statuses[-1]):
                return self.statuses[-1]
            time.sleep(0.05)
        last = self.statuses[-1] if self.statuses else None
        raise AssertionError(f'no {what} within {timeout} s; last status {last}')

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def test_the_bundled_model_solves_a_metaworld_episode_through_the_nodes(tmp_path):
    domain = new_domain_id()
    watcher = StatusWatcher(domain)
    robot = NodeProcess(
        'imle_policy_ros.ros.metaworld_robot_node',
        ['--params-file', str(CONFIG), '-r', '__node:=metaworld_robot'],
        domain,
        tmp_path / 'robot.log',
    )
    policy = None
    try:
        # The robot holds its first scene until the first command: start the policy once the
        # watcher hears the robot, so that no status of that scene goes unheard.
        watcher.wait_for(lambda s: s['waiting_for_command'], 60, 'the robot waiting')
        policy = NodeProcess(
            'imle_policy_ros.ros.policy_node',
            ['--params-file', str(CONFIG), '-p', 'providers:=[cpu]', '-r', '__node:=imle_policy'],
            domain,
            tmp_path / 'policy.log',
        )
        solved = watcher.wait_for(lambda s: s['done'], 90, 'the first scene done')
        assert solved['success'] and solved['episode'] == 0, solved
        assert solved['scene_seed'] == 100_000, solved
        assert solved['task'] == 'button-press-topdown-v3' and solved['steps'] < 500
        assert solved['refused_commands'] == {'pose': 0, 'twist': 0, 'gripper': 0}, solved

        # The next scene starts by itself; a target in another frame is refused there (sent
        # until it is: the first tenths of a second after a reset ignore every command).
        watcher.wait_for(lambda s: s['episode'] > solved['episode'], 10, 'the next scene')
        stray = PoseStamped()
        stray.header.frame_id = 'base_link'
        stray.pose.position.x, stray.pose.orientation.w = 0.3, 1.0

        def refused_yet(status):
            watcher.targets.publish(stray)
            return status['refused_commands']['pose'] >= 1

        refused = watcher.wait_for(refused_yet, 10, 'the stray target refused')
        assert refused['refused_commands']['gripper'] == 0
        assert "frame 'base_link'" in robot.log()
    finally:
        watcher.close()
        codes = (policy.stop() if policy else None), robot.stop()
        print('robot log:\n', robot.log()[-2000:])
        print('policy log:\n', policy.log()[-2000:] if policy else '(not started)')
    assert codes == (0, 0)


def _section(node: str) -> dict:
    import yaml

    return yaml.safe_load(CONFIG.read_text())[node]['ros__parameters']


def test_the_config_sets_only_declared_parameters_and_meta_worlds_own_workspace():
    from imle_policy_ros.ros.metaworld_robot_node import MetaWorldRobotConfig
    from imle_policy_ros.ros.node_parameters import parameter_fields
    from imle_policy_ros.ros.policy_parameters import PolicyNodeConfig
    from imle_policy_ros.sim.metaworld_env import MetaWorldEnv

    robot, policy = _section('metaworld_robot'), _section('imle_policy')
    assert not set(robot) - set(parameter_fields(MetaWorldRobotConfig))
    MetaWorldRobotConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in robot.items()})
    cfg = PolicyNodeConfig.from_values(policy)
    env = MetaWorldEnv(robot['task'])
    try:  # the policy may send the hand exactly where Meta-World's mocap can go
        assert list(cfg.workspace_lower) == env.workspace[0].tolist()
        assert list(cfg.workspace_upper) == env.workspace[1].tolist()
    finally:
        env.close()
