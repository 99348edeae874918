"""The structural model names of ``popfit``, spelled once (a leaf module: no numpy, so the
command line's options can name them without importing the estimator)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["MODEL_NAMES", "ModelName"]

ModelName = Literal[
    "1cmt-iv",
    "1cmt-infusion",
    "1cmt-oral",
    "1cmt-oral-lag",
    "2cmt-iv",
    "2cmt-infusion",
    "2cmt-oral",
    "2cmt-oral-lag",
    "3cmt-iv",
    "3cmt-infusion",
]
"""``{1,2,3}cmt-{iv,infusion,oral}``, ``-lag`` for an absorption lag time."""

MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
