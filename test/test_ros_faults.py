# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Faults in the transport, injected into the running ROS 2 nodes end to end.

sim_robot_node and policy_node run as separate processes, broken the ways
ros/harness/fault_injector.py lists (the same table `imle-policy-ros soak` draws from). After
every test, every safety invariant is judged over everything recorded since the stack
started (ros/harness/safety_recorder.py).

The policy runs a tiny two-camera bundle (random weights, made by bundle_factory) on the
simulated arm: the top camera as sensor_msgs/Image, a second one as CompressedImage. What
the arm does with it is noise; what is checked is when it may move and how.

Waits are on behaviour with generous timeouts (the machine is shared); the one time bound
asserted is the issue's own: no motion later than stale_observation_timeout after the
last valid input was published, which is an ordering of stamps, not a duration measured
under load.
"""

import time

import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

from bundle_factory import make_tiny_bundle  # noqa: E402, I100
from imle_policy_ros.ros.harness.fault_injector import FAULTS, faults_for  # noqa: E402
from imle_policy_ros.ros.harness.fault_stack import FaultStack  # noqa: E402
from imle_policy_ros.runtime.policy_spec import CameraSpec  # noqa: E402
from imle_policy_ros.sim.reach_env import ReachEnv  # noqa: E402

TOP, SIDE = '/camera/top/image_raw', '/camera/side/image_raw/compressed'
JOINTS = ('shoulder', 'elbow')
# Slack for the last valid input to reach the node after the fault switch answered (the
# switch takes effect at the robot's next publish, before the answer comes back).
ARRIVAL = 0.05


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp('ros_faults')
    cameras = tuple(CameraSpec(name, 20, 24, crop=(16, 16)) for name in ('top', 'side'))
    bundle = make_tiny_bundle(
        work, 'two_cameras', cameras=cameras, joint_names=JOINTS, action_names=JOINTS
    )
    stack = FaultStack(
        work / 'stack',
        policy_params={'model_path': str(bundle), 'image_topics': [TOP, SIDE], 'num_samples': 8},
        sim_params={'compressed_camera_topic': SIDE, 'reset_on_done': False},
    )
    stack.prepare_model_refusals()
    try:
        stack.wait_moving(60)
        stack.probe.wait_for(lambda p: p.policy_diagnostics(), 30, "the policy's diagnostics")
        yield stack
    finally:
        codes = stack.close()
        print('policy log:\n', stack.policy.log()[-3000:], '\nsim log:\n', stack.sim.log()[-1500:])
        assert codes == (0, 0), f'nodes did not exit cleanly on SIGINT: {codes}'


@pytest.fixture(autouse=True)
def every_invariant_holds(request):
    yield
    if 'stack' in request.fixturenames:
        report = request.getfixturevalue('stack').recorder.report()
        assert report.ok, str(report)
        assert report.checked > 0


def diagnostics_say(stack, words, level, timeout=10.0):
    def saying(probe):
        values = stack.diagnostics()
        return values.get('_level') == level and all(w in str(values) for w in words) and values

    return stack.probe.wait_for(
        saying, timeout, f'diagnostics at level {level} to mention {words}'
    )


HOLDS = {  # fault -> what the diagnostics must say while it lasts
    'camera_stops': ["stale or missing input: camera 'top'"],
    'compressed_camera_stops': ["stale or missing input: camera 'side'"],
    'image_wrong_encoding': ["camera 'top'", "encoding 'yuv422' is not supported"],
    'image_wrong_size': ["camera 'top'", 'the header does not match the pixels'],
    'image_bad_step': ["camera 'top'", 'step'],
    'compressed_image_corrupt': ["camera 'side'", 'could not be decoded'],
    'frames_late': ["stale or missing input: camera 'top', camera 'side'"],
    'frames_out_of_order': ["camera 'top'", 'out-of-order'],
    'frames_duplicate_stamps': ["camera 'top'", 'duplicate'],
    'joint_state_missing_joint': [
        'stale or missing input',
        'joint_states',
        "missing joints ['elbow']",
    ],
    'joint_state_nan': ['stale or missing input', 'joint_states', 'non-finite'],
    'robot_restart': ["stale or missing input: camera 'top', camera 'side', joint_states"],
}
LOG_LINES = {  # the policy's log says what it refused, and where (one line per 2 s at most)
    'image_wrong_encoding': f"image refused on {TOP}: image encoding 'yuv422' is not supported",
    'image_wrong_size': f'image refused on {TOP}: image data has',
    'image_bad_step': f'image refused on {TOP}: image step',
    'compressed_image_corrupt': f'image refused on {SIDE}: jpeg image of',
    'frames_out_of_order': "input refused: camera 'top': out-of-order stamp",
    'frames_duplicate_stamps': "input refused: camera 'top': duplicate stamp",
    'joint_state_missing_joint': "input refused: joint_states: missing joints ['elbow']",
    'joint_state_nan': "input refused: joint_states: non-finite position for ['shoulder']",
}


def test_the_table_covers_every_hold_fault():
    assert sorted(HOLDS) == sorted(n for n in faults_for(True) if FAULTS[n].outcome == 'hold')


@pytest.mark.parametrize('name', list(HOLDS))
def test_fault_holds_the_arm_within_the_timeout_and_it_resumes_from_where_it_is(stack, name):
    fault = FAULTS[name]
    stack.wait_moving(30)
    rejected_before = int(stack.diagnostics().get('rejected_inputs', 0))
    log_before = len(stack.policy.log())
    fault.start(stack)
    last_valid_input = time.time()  # the switch answered: every input published from now on is bad
    try:
        diagnostics = diagnostics_say(stack, HOLDS[name], 'error')
        assert diagnostics['_message'].startswith('holding')
        time.sleep(max(0.0, last_valid_input + stack.stale_timeout + 0.5 - time.time()))
        late = [
            r
            for r in stack.recorder.records_since(last_valid_input + stack.stale_timeout + ARRIVAL)
            if not r.holding
        ]
        assert not late, (
            f'moved {late[-1].time - last_valid_input:.2f} s after the last valid input'
        )
        if name.startswith(
            ('image', 'compressed_image', 'frames_out', 'frames_dup', 'joint_state')
        ):
            assert int(stack.diagnostics()['rejected_inputs']) > rejected_before  # counted
        if name in LOG_LINES:
            stack.probe.wait_for(
                lambda p: LOG_LINES[name] in stack.policy.log()[log_before:],
                10,
                f'the log line {LOG_LINES[name]!r}',
            )
    finally:
        back = (
            time.time()
        )  # before the switch answers: the node may resume before the answer arrives
        fault.stop(stack)
    stack.wait_moving(60, since=back)
    resumed = [r for r in stack.recorder.records_since(back) if not r.holding][0]
    assert resumed.from_measured  # and check_measured_starts compares it with the arm seen
    if name == 'robot_restart':
        assert_restarted_robot_is_commanded_only_from_its_own_state(stack, last_valid_input)


def assert_restarted_robot_is_commanded_only_from_its_own_state(stack, killed):
    """
    Check what the blind window of the recorder leaves to the test.

    Nothing moved between the kill and the new process, and the first command the new
    robot got is where it starts (the home of its first scene: the simulator is
    deterministic in its seed).
    """
    moved = [
        r
        for r in stack.recorder.records_since(killed + stack.stale_timeout + ARRIVAL)
        if not r.holding and r.time < stack.robot_started
    ]
    assert not moved
    env = ReachEnv(seed=stack.sim_config['seed'], image_size=stack.sim_config['image_size'])
    env.reset(seed=stack.sim_config['seed'])
    first_command = stack.recorder.records_since(stack.robot_started)[0]
    assert first_command.from_measured
    np.testing.assert_allclose(
        first_command.positions,
        np.clip(env.joint_positions, stack.limits.lower, stack.limits.upper),
        atol=1e-4,
    )


@pytest.mark.parametrize('name', ['joint_state_extra_joint', 'joint_state_reordered'])
def test_joint_states_with_extra_joints_or_in_another_order_are_matched_by_name(stack, name):
    stack.wait_moving(30)
    rejected_before = int(stack.diagnostics()['rejected_inputs'])
    FAULTS[name].start(stack)
    try:
        started = time.time()
        time.sleep(stack.stale_timeout + 1.0)
        stack.wait_moving(
            30, since=started + stack.stale_timeout
        )  # still moving, well after the timeout
        diagnostics = stack.diagnostics()
        assert int(diagnostics['rejected_inputs']) == rejected_before, diagnostics['last_error']
        assert 'joint_states' not in diagnostics['stale_inputs']
    finally:
        FAULTS[name].stop(stack)


def test_bad_model_switches_are_refused_and_the_old_model_keeps_control(stack):
    stack.wait_moving(30)
    model = stack.diagnostics()['active_model']
    started = time.time()
    expected = {
        'model_missing': 'does not exist',
        'model_corrupt_onnx': 'corrupt',
        'model_hash_mismatch': 'sha256 mismatch',
        'model_other_joint_names': 'differ from the running',
        'model_other_action_dim': "'extra_joint'] differ from the running",
    }
    clients = []
    for name, words in expected.items():
        FAULTS[name].start(stack)  # raises if the node accepted it
        assert words in stack.last_refusal, (name, stack.last_refusal)
        clients.append(len(list(stack.probe.node.clients)))
    # one parameter client, reused: each new one would add endpoints every node keeps for good
    assert len(set(clients)) == 1, clients
    # The old model still drives the arm: motion commands keep coming after the refusals. The five
    # refusals can take as little as 50 ms, so wait for the commands rather than count what came.
    stack.probe.wait_for(
        lambda p: sum(not r.holding for r in stack.recorder.records_since(started)) > 10,
        30,
        'motion commands from the old model after the refusals',
    )
    during = stack.recorder.records_since(started)
    diagnostics = stack.diagnostics()
    assert diagnostics['active_model'] == model and diagnostics['switch_pending'] == 'False'
    ticks = np.array([r.seq for r in during])
    assert np.all(np.diff(ticks) > 0)
