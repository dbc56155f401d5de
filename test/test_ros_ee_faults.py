# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Faults of an end-effector setup, injected into the running ROS 2 nodes end to end.

sim_robot_node and policy_node run as separate processes with config/sim_ee.yaml: the
bundled reach_grasp_ee model commanding PoseStamped targets and the gripper's forward
command in the reach_and_grasp task. They are broken the ways
ros/harness/fault_injector.py's EE_FAULTS list (the measured pose stopped, NaN, in
another frame; an arm that does not follow) and asked to switch to a joint-space bundle,
which a node with these parameters also refuses to start with. A second stack commands
MoveIt Servo twists (config/sim_ee_twist.yaml) in a workspace too small for any of the
model's chunks. After every test, every invariant is judged over everything recorded
since its stack started (ros/harness/cartesian_recorder.py), with zero violations allowed.

As in test_ros_faults.py, waits are on behaviour with generous timeouts (the machine is
shared); the time bound asserted is an ordering of stamps: no motion later than
stale_observation_timeout after the last valid input was published.
"""

import time

import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

from bundle_factory import make_tiny_bundle  # noqa: E402, I100
from imle_policy_ros.resources import resolve_config_path  # noqa: E402
from imle_policy_ros.ros.harness.fault_injector import EE_FAULTS  # noqa: E402
from imle_policy_ros.ros.harness.fault_stack import FaultStack  # noqa: E402
from imle_policy_ros.ros.harness.stack_probe import new_domain_id, NodeProcess  # noqa: E402
from imle_policy_ros.runtime.policy_spec import CameraSpec  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

# Slack for the last valid input to reach the node after the fault switch answered.
ARRIVAL = 0.05
POLICY = {'diagnostics_rate_hz': 5.0, 'providers': ['cpu']}
HOME = np.array([0.35, 0.0, 0.0])  # the tool's home in every scene (sim/reach_task.py)
LOG_LINES = {  # the policy's log says what it refused (one line per 2 s at most)
    'ee_pose_nan': 'input refused: ee_pose: not a finite pose',
    'ee_pose_wrong_frame': "is in frame 'world', not the base frame 'base_link'",
}
# A workspace 2 cm wide around home: every chunk of the model leaves it.
TIGHT_BOX = {'workspace_lower': [0.34, -0.01, -0.02], 'workspace_upper': [0.36, 0.01, 0.02]}


def start_stack(work, config: str, **policy) -> FaultStack:
    stack = FaultStack(
        work, policy_params={**POLICY, **policy}, config=resolve_config_path(config)
    )
    stack.probe.wait_for(lambda p: p.policy_diagnostics(), 60, "the policy's diagnostics")
    return stack


def close_stack(stack: FaultStack):
    codes = stack.close()
    print('policy log:\n', stack.policy.log()[-3000:], '\nsim log:\n', stack.sim.log()[-1500:])
    assert codes == (0, 0), f'nodes did not exit cleanly on SIGINT: {codes}'


@pytest.fixture(scope='class')
def pose_stack(tmp_path_factory):
    work = tmp_path_factory.mktemp('ee_faults')
    # Made first: an export holds this process's GIL for a while, and the recorder's
    # best-effort inputs would overflow their queues meanwhile.
    # A joint-space bundle with the same camera: only its action kind stops the switch.
    joint_bundle = make_tiny_bundle(work, 'joints', cameras=(CameraSpec('top', 16, 16),))
    stack = start_stack(work / 'stack', 'sim_ee.yaml')
    stack.joint_bundle = joint_bundle
    try:
        stack.wait_moving(60)
        yield stack
    finally:
        close_stack(stack)


@pytest.fixture(scope='class')
def twist_stack(tmp_path_factory):
    work = tmp_path_factory.mktemp('ee_twist_faults')
    stack = start_stack(work / 'stack', 'sim_ee_twist.yaml', **TIGHT_BOX)
    try:
        yield stack
    finally:
        close_stack(stack)


@pytest.fixture(autouse=True)
def every_invariant_holds(request):
    yield
    for name in ('pose_stack', 'twist_stack'):
        if name in request.fixturenames:
            stack = request.getfixturevalue(name)
            report = stack.recorder.report()
            print(f'{name}: {report}')
            assert not report.violations, str(report)
            assert report.checked > 0 and stack.recorder.command_messages > 0


def new_episode(stack) -> tuple[float, int]:
    """
    Start a new scene and wait until the arm moves in it; return when it began, and its number.

    The simulator resets the policy too (policy_reset_service).
    """
    episode = stack.probe.call(Trigger, '/sim_robot/reset', Trigger.Request()).message
    number = int(episode.split()[1])  # 'episode N (seed S)'
    began = stack.probe.wait_for(
        lambda p: p.status.get('episode') == number and time.time(), 10, f'episode {number}'
    )
    stack.wait_moving(30, since=began)
    return began, number


def diagnostics_say(stack, check, what: str, timeout: float = 10.0) -> dict:
    return stack.probe.wait_for(lambda p: check(d := stack.diagnostics()) and d, timeout, what)


class TestPoseTargets:
    """config/sim_ee.yaml: PoseStamped targets and the gripper's forward command."""

    def test_a_healthy_episode_grasps_once_and_the_gripper_never_chatters(self, pose_stack):
        stack, recorder = pose_stack, pose_stack.recorder
        asked, episode = new_episode(stack)
        outcome_at, samples = None, []  # (wall time, episode, outcome) at 20 Hz
        deadline = time.time() + 20.0
        while time.time() < deadline:
            status = dict(stack.probe.status)
            samples.append((time.time(), status['episode'], status['outcome']))
            if outcome_at is None and status['outcome'] != 'running':
                outcome_at = time.time()
            if status['episode'] != episode or (outcome_at and time.time() > outcome_at + 1.5):
                break
            time.sleep(0.05)
        assert outcome_at is not None, f'episode {episode} did not end: {samples[-1]}'
        decisions = gripper_decisions(recorder.records_since(asked))
        running = [t for t in decisions if _sample_at(samples, t)[1:] == (episode, 'running')]
        print(
            f'outcome {samples[-1][2]}; gripper decisions at',
            [round(t - asked, 2) for t in decisions],
        )
        # reaching, then one grasp: the gripper closes at most once while the episode runs
        assert len(running) <= 1, running
        # no chatter: at most one change per min dwell (the recorder judges it on the wire)
        dwell = stack.setup.min_gripper_dwell
        assert np.all(np.diff(decisions) >= dwell - 1e-6), np.diff(decisions)
        moving = [r for r in recorder.records_since(asked) if not r.holding]
        assert len(moving) > 100 and recorder.gripper_messages > 100

    @pytest.mark.parametrize('name', ['ee_pose_stops', 'ee_pose_nan', 'ee_pose_wrong_frame'])
    def test_a_lost_or_broken_measured_pose_holds_the_arm_and_it_resumes_from_it(
        self, pose_stack, name
    ):
        stack, recorder = pose_stack, pose_stack.recorder
        stack.wait_moving(30)
        before = stack.diagnostics()
        seen_broken = sum(recorder.refused_inputs.values())
        log_before = len(stack.policy.log())
        EE_FAULTS[name].start(stack)
        last_valid_input = time.time()
        try:
            held = diagnostics_say(
                stack,
                lambda d: d['_level'] == 'error' and 'ee_pose' in d['stale_inputs'],
                'ee_pose in the stale inputs',
            )
            assert held['_message'].startswith('holding: stale or missing input')
            time.sleep(max(0.0, last_valid_input + stack.stale_timeout + 0.5 - time.time()))
            late = recorder.records_since(last_valid_input + stack.stale_timeout + ARRIVAL)
            # the arm's state is unknown: one hold stops it, then nothing is commanded
            assert len(late) <= 1 and all(r.holding for r in late), late
            diagnostics = stack.diagnostics()
            if name != 'ee_pose_stops':
                assert int(diagnostics['rejected_inputs']) > int(before['rejected_inputs'])
                assert 'ee_pose' in diagnostics['rejected_inputs_by_source']
                assert sum(recorder.refused_inputs.values()) > seen_broken  # it was published
            if name == 'ee_pose_wrong_frame':
                assert int(diagnostics['ee_pose_wrong_frame']) > int(before['ee_pose_wrong_frame'])
            if name in LOG_LINES:
                stack.probe.wait_for(
                    lambda p: LOG_LINES[name] in stack.policy.log()[log_before:],
                    10,
                    f'the log line {LOG_LINES[name]!r}',
                )
        finally:
            back = time.time()
            EE_FAULTS[name].stop(stack)
        stack.wait_moving(30, since=back)
        resumed = [r for r in recorder.records_since(back) if not r.holding][0]
        assert resumed.from_measured  # and the recorder compares it with the pose seen

    def test_an_arm_that_does_not_follow_is_held_at_its_measured_pose(self, pose_stack):
        stack, recorder = pose_stack, pose_stack.recorder
        new_episode(stack)  # the episode cannot end while the arm stands still
        before = int(stack.diagnostics()['not_following'])
        EE_FAULTS['arm_frozen'].start(stack)
        frozen = time.time()
        try:
            diagnostics_say(
                stack, lambda d: int(d['not_following']) > before + 1, 'not_following to count'
            )
            time.sleep(0.5)
            end = time.time()
        finally:
            back = time.time()
            EE_FAULTS['arm_frozen'].stop(stack)
        assert stack.probe.status['ignored_cartesian_commands'] > 0
        limits = stack.limits
        # the first target after the switch stops the arm: from then on it stands still
        during = [r for r in recorder.records_since(frozen + 0.05) if r.time < end]
        measured = np.array([recorder.measured_pose_at(r.time) for r in during])
        assert np.abs(measured - measured[0]).max() <= 1e-9
        assert any(r.holding and r.from_measured for r in during)  # held where it is
        assert any(not r.holding for r in during)  # and tried again with each new chunk
        # never further from the arm than max_tracking_error plus the step of that tick
        previous, furthest = recorder.records_since(frozen)[0], 0.0
        for record, at in zip(during, measured):
            step = limits.max_linear_speed * (record.time - previous.time)
            off = float(np.linalg.norm(record.pose[:3] - at[:3]))
            assert off <= limits.max_tracking_error + step + 1e-6, (record, off)
            previous, furthest = record, max(furthest, off)
        assert furthest > 0.8 * limits.max_tracking_error  # it got there, and was held
        stack.wait_moving(30, since=back)

    def test_a_joint_space_bundle_is_refused_on_a_live_switch(self, pose_stack):
        stack = pose_stack
        stack.wait_moving(30)
        model = stack.diagnostics()['active_model']
        result = stack.set_policy(model_path=str(stack.joint_bundle))[0]
        asked = time.time()
        assert not result.successful
        # the refusal names the fix, as at start
        assert 'command_interface pose executes ee_pose actions' in result.reason, result.reason
        stack.probe.wait_for(
            lambda p: sum(not r.holding for r in stack.recorder.records_since(asked)) > 10,
            30,
            'motion commands from the running model after the refusal',
        )
        diagnostics = stack.diagnostics()
        assert diagnostics['active_model'] == model and diagnostics['switch_pending'] == 'False'


class TestTwistsInATightWorkspace:
    """config/sim_ee_twist.yaml with TIGHT_BOX: MoveIt Servo twists, no chunk fits."""

    def test_chunks_outside_the_workspace_are_refused_and_the_arm_holds(self, twist_stack):
        stack, recorder = twist_stack, twist_stack.recorder
        diagnostics_say(
            stack,
            lambda d: (
                int(d['chunks_refused']) >= 5
                and d['last_error'] == 'model output outside the workspace'
            ),
            'chunks refused for the workspace',
            timeout=60,
        )
        # nothing but the measured home was ever commanded, and no twist but zero
        records = recorder.records_since(0.0)
        assert records and records[-1].holding
        assert all(np.array_equal(r.pose, records[0].pose) for r in records)
        np.testing.assert_allclose(records[0].pose[:3], HOME, atol=1e-9)
        assert recorder.moving_twists == 0
        assert int(stack.diagnostics()['chunks_started']) == 0
        status = stack.probe.wait_for(lambda p: p.status, 10, "the simulator's status")
        tool = np.array(status['tool_position'])
        np.testing.assert_allclose(tool, HOME[:2], atol=1e-4)  # zero twists: it never moved


def test_a_joint_space_bundle_does_not_start_on_a_pose_interface(tmp_path):
    bundle = make_tiny_bundle(tmp_path, 'joints', cameras=(CameraSpec('top', 16, 16),))
    policy = NodeProcess(
        'imle_policy_ros.ros.policy_node',
        [
            '--params-file',
            str(resolve_config_path('sim_ee.yaml')),
            '-p',
            f'model_path:={bundle}',
            '-r',
            '__node:=imle_policy',
        ],
        new_domain_id(),
        tmp_path / 'policy.log',
    )
    try:
        code = policy.proc.wait(timeout=60)
    finally:
        policy.stop()
    log = policy.log()
    refusal = 'command_interface pose executes ee_pose actions; the bundle predicts joint_position'
    assert code == 1 and 'cannot start' in log and refusal in log, log
    assert 'Traceback' not in log


def gripper_decisions(records) -> list[float]:
    """
    Return the tick times at which the gripper decision changed.

    A change at a from_measured tick is the measured state, not a decision
    (control/cartesian_invariants.py).
    """
    records = sorted(records, key=lambda r: r.seq)
    return [
        r.time
        for q, r in zip(records, records[1:])
        if None not in (q.gripper, r.gripper) and q.gripper != r.gripper and not r.from_measured
    ]


def _sample_at(samples, t):
    """Return the status sample taken last before t (the first one if none was)."""
    before = [s for s in samples if s[0] <= t]
    return before[-1] if before else samples[0]
