"""What the receptor-model kinds share (``receptor calibrate``, ``schild``, ``recover``): the
balixafortide Kb option, the model it makes and the note of their examples."""

from __future__ import annotations

from typing import Any

from cxcr4lab.runs._options import option

__all__ = ["NOTE", "kb_option", "model_with_kb"]

NOTE = (
    "Receptor model: SIMULATED predictions and data of the mechanistic CXCL12/CXCR4 model "
    "(cxcr4lab.receptor), whose transduction parameters are assumptions; the published IC50s "
    "it is compared with are upper bounds from the seed technical guides."
)


def kb_option() -> Any:
    """The ``kb`` option: balixafortide's Kb in mol/L (mass units via its molecular weight)."""
    return option(
        "balixafortide Kb (equilibrium dissociation constant), e.g. 0.15 nM.",
        default=0.15e-9,
        quantity="concentration",
        example="0.15 nM",
        mw_of="balixafortide",
    )


def model_with_kb(kb: float) -> Any:
    """The default :class:`~cxcr4lab.receptor.mechanistic.Cxcr4Model` with balixafortide's Kb."""
    from cxcr4lab.receptor.mechanistic import Cxcr4Model

    return Cxcr4Model().with_kb(kb)
