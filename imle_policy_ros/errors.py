# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The one kind of error a user is meant to read: a refusal.

A `Refusal` says what was wrong with what the user gave (a file, a bag, a bundle, a
setting) and what to do about it, in one line. The command line prints it as that one
line and exits 1; a node logs it and does not start (or keeps what it had). Anything else
that escapes is a bug and keeps its traceback.

The layers raise their own subclasses (BundleError, BagRejected, SettingError, ...), which
also stay ValueError or RuntimeError for the code that catches those.
"""


class Refusal(Exception):
    """Input that cannot be used; the message names the problem and the fix."""
