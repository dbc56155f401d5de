# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
An expert outside the simulator, reading the scene from the robot's topics only.

metaworld_teleop_node runs the experts on an ObservedScene built from one /joint_states and
one /ee_pose message. Over whole expert episodes it must give the experts exactly what the
env gives them (the finger opening included, from the finger joints), so the commands a
teleoperated recording holds are the commands of sim-demos on the same scene.
"""

import importlib.util

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('metaworld') is None,
    reason='metaworld not installed (bash scripts/install_metaworld.sh)',
)


def observed(env):
    from imle_policy_ros.sim.metaworld_demos import metaworld_live_state
    from imle_policy_ros.sim.metaworld_observed import ObservedScene

    names, positions = metaworld_live_state(env)
    return ObservedScene(env.task, names, positions, env.ee_pose)


@pytest.mark.parametrize(
    'task, two_way', [('pick-place-v3', False), ('push-wall-v3', True), ('door-open-v3', False)]
)
def test_the_topics_give_the_experts_what_the_env_gives_them(task, two_way):
    from imle_policy_ros.sim.metaworld_demos import expert_steps
    from imle_policy_ros.sim.metaworld_env import MetaWorldEnv
    from imle_policy_ros.sim.metaworld_experts import expert_for

    env = MetaWorldEnv(task)
    expert, twin = expert_for(task, two_way), expert_for(task, two_way)
    twin.reset(np.random.default_rng(4))
    closed_at = None
    for step, (target, gripper) in enumerate(
        expert_steps(env, expert, 4, np.random.default_rng(4))
    ):
        scene = observed(env)
        obs = env.expert_obs
        # what the experts read: the current frame and the goal (the previous frame is unused)
        np.testing.assert_allclose(scene.expert_obs[:18], obs[:18], atol=1e-12)
        np.testing.assert_allclose(scene.expert_obs[-3:], obs[-3:], atol=1e-12)
        assert scene.action_scale == env.action_scale
        twin_target, twin_gripper = twin.act(scene)
        np.testing.assert_allclose(twin_target, target, atol=1e-12)
        assert twin_gripper == gripper
        if closed_at is None and obs[3] < 0.9:
            closed_at = step
    assert env.success and closed_at is not None  # the fingers closed: the opening was read
    env.close()


def test_joint_states_without_the_objects_are_refused_by_name():
    from imle_policy_ros.sim.metaworld_env import MetaWorldEnv
    from imle_policy_ros.sim.metaworld_observed import NotObservable, ObservedScene

    env = MetaWorldEnv('push')
    with pytest.raises(NotObservable, match='object_state: true'):
        ObservedScene(env.task, env.joint_names, env.joint_positions, env.ee_pose)
    env.close()
