"""Every service's app, built as its container builds it, for checks across all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def service_apps(tmp: Path) -> dict[str, Any]:
    from tradingstack.data.app import create_app as data
    from tradingstack.data.settings import DataSettings
    from tradingstack.embedder.app import create_app as embedder
    from tradingstack.hmm.app import create_app as hmm
    from tradingstack.hmm.settings import HmmSettings
    from tradingstack.llm.app import create_app as llm
    from tradingstack.nhits.app import create_app as nhits
    from tradingstack.nhits.settings import NhitsSettings
    from tradingstack.rag.app import create_app as rag
    from tradingstack.rag.settings import RagSettings
    from tradingstack.tcn.app import create_app as tcn
    from tradingstack.tcn.settings import TcnSettings

    return {
        "data": data(DataSettings(dir=tmp / "data")),
        "nhits": nhits(NhitsSettings(dir=tmp / "nhits")),
        "hmm": hmm(HmmSettings(dir=tmp / "hmm")),
        "tcn": tcn(TcnSettings(dir=tmp / "tcn")),
        "embedder": embedder(),
        "rag": rag(RagSettings(dir=tmp / "rag")),
        "llm": llm(),
    }
