# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ament_python package that is also a plain pip package.

`pip install .` gives the deploy runtime (numpy, onnxruntime, opencv); extras add the rest:
  [train]  torch and onnx, to train and export models
  [dev]    the test tools
  [ros]    ROS 2 Jazzy rclpy + Fast DDS + the message packages, as pip wheels, for hosts
           without a ROS install (Python 3.11, x86_64 only). On a robot, rclpy comes from the
           sourced ROS 2 install: do not install this extra there.
"""

import os

from setuptools import find_packages, setup

PACKAGE = 'imle_policy_ros'


def share_tree(folder):
    """One (destination, [files]) entry per directory: data_files take files, not folders."""
    entries = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [
            d for d in subdirs if d != '__pycache__'
        ]  # bytecode of a launch file is not data
        paths = [os.path.join(directory, f) for f in sorted(files) if f != '.gitkeep']
        if paths:
            entries.append((os.path.join('share', PACKAGE, directory), paths))
    return entries


setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(include=[PACKAGE, PACKAGE + '.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        *share_tree('launch'),
        *share_tree('config'),
        *share_tree('models'),
    ],
    python_requires='>=3.10',
    install_requires=[
        'numpy>=1.23',
        'onnxruntime>=1.16',
        'opencv-python-headless>=4.7',
        'pyyaml',
        'rosbags>=0.10',  # rosbag2 bags without ROS: sim-demos --format bag, dataset, replay
        'tqdm',
    ],
    extras_require={
        'train': ['torch>=2.1', 'onnx>=1.14'],
        'dev': ['pytest>=7'],
        'ros': [
            f"ros-jazzy-{name}; python_version == '3.11' and platform_machine == 'x86_64'"
            for name in (
                'rclpy',
                'rmw-fastrtps-cpp',
                'sensor-msgs',
                'trajectory-msgs',
                'std-msgs',
                'std-srvs',
                'geometry-msgs',
                'diagnostic-msgs',
                'visualization-msgs',
            )
        ],
    },
    zip_safe=True,
    maintainer='imle_policy_ros maintainers',
    maintainer_email='maintainers@imle-policy-ros.dev',
    description='IMLE Policy for ROS 2 arms: train, export to ONNX, deploy at control rate.',
    license='MIT',
    entry_points={
        'console_scripts': [
            'imle-policy-ros = imle_policy_ros.cli:main',
            'policy_node = imle_policy_ros.ros.entry_points:policy_node',
            'realsense_node = imle_policy_ros.ros.entry_points:realsense_node',
            'sim_robot_node = imle_policy_ros.ros.entry_points:sim_robot_node',
            'sim_teleop_node = imle_policy_ros.ros.entry_points:sim_teleop_node',
        ],
    },
)
