"""Console entry points of the ROS 2 executables (registered in setup.py).

The nodes themselves are built on the control core; until they are in this package, each
executable says so and exits with status 2 rather than starting something that does not
command the arm.
"""
import sys

_PENDING = ("{name}: this executable is declared by imle_policy_ros but the node is not part "
            "of this version yet (see the issue on the ROS 2 package). Use `imle-policy-ros` "
            "for training and export in the meantime.")


def _not_available(name: str) -> int:
    print(_PENDING.format(name=name), file=sys.stderr)
    return 2


def policy_node() -> int:
    return _not_available("policy_node")


def realsense_node() -> int:
    return _not_available("realsense_node")


def sim_robot_node() -> int:
    return _not_available("sim_robot_node")
