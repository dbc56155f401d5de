# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Training side of IMLE Policy (torch): image encoder, UNet generator, RS-IMLE loss.

Nothing here is needed on a deploy host; the runtime only sees the exported ONNX files.
Submodules are imported explicitly (`from imle_policy_ros.learning.encoder import ...`)
so importing this package stays cheap.
"""
