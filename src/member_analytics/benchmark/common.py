"""What every benchmark step shares: the scales, the peers' caps, each scale's
folders, the project folder, the build's vars, the manifest, the machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from member_analytics.env import project_root


SCALE_ORDER = ("tiny", "small", "medium", "large")
LATEST_VALID_DATE = "2030-12-31"
# The peers' caps (each peer is one process): resident memory, as the build's
# target, and wall time.
PEER_MEMORY_BYTES = 8_000_000_000
PEER_TIMEOUT_SECONDS = 1800.0
PEER_TOOLS = {"rfm": "pandas", "cohorts": "pandas", "pairs": "mlxtend"}
NOT_YET_MEASURED = (
    "the daily incremental run against the full build: a separate command, member-analytics benchmark-daily "
    "(measured at small and medium; docs/benchmark.md)",
)


@dataclass(frozen=True)
class PeerOptions:
    """Whether to run the peers after each build, and their caps."""

    enabled: bool = True
    memory_bytes: int = PEER_MEMORY_BYTES
    timeout_seconds: float = PEER_TIMEOUT_SECONDS


# ----------------------------------------------------------------------------- folders

@dataclass(frozen=True)
class ScaleFolder:
    """Where one scale's data, warehouse, dbt target and logs live: DIR/<scale>/."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "member_analytics.duckdb"

    @property
    def temp_dir(self) -> Path:
        return self.warehouse_dir / "tmp"

    @property
    def floors(self) -> Path:
        return self.warehouse_dir / "floors.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def build_log(self) -> Path:
        return self.root / "build.log"

    @property
    def peers(self) -> Path:
        return self.root / "peers"

    @property
    def wap(self) -> Path:
        """The write-audit-publish build's own folder (benchmark.wap_build.WapFolder)."""
        return self.root / "wap"

    def scratch(self) -> tuple[Path, ...]:
        """The folders deleted after the scale (unless --keep-data) and before a rerun."""
        return self.raw, self.warehouse_dir, self.target, self.logs, self.peers, self.wap

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with every path dbt touches pointed into this folder (like pytests' DbtProject)."""
        env = dict(base)
        env.update(
            MEMBER_ANALYTICS_RAW_DATA_PATH=str(self.raw),
            MEMBER_ANALYTICS_WAREHOUSE_DIR=str(self.warehouse_dir),
            MEMBER_ANALYTICS_DUCKDB_PATH=str(self.warehouse),
            MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(self.temp_dir),
            DBT_TARGET_PATH=str(self.target),
            DBT_LOG_PATH=str(self.logs),
        )
        return env


def project_home() -> Path:
    """The project folder (bin/_env.sh exports it; else the checkout this module is in)."""
    home = os.environ.get("MEMBER_ANALYTICS_HOME")
    return Path(home) if home else project_root()


def build_vars(truth: dict) -> dict[str, str]:
    """The sample's as_of_date and a fixed latest valid date (as pytests/dbt/conftest.py)."""
    return {"as_of_date": truth["as_of_date"],
            "member_analytics__validation__latest_valid_date": LATEST_VALID_DATE}


def read_manifest(target: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """From dbt's manifest: every model's file path and its parent models, by model name."""
    path = target / "manifest.json"
    if not path.exists():
        return {}, {}
    manifest = json.loads(path.read_text(encoding="utf-8"))
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    paths = {node["name"]: node["original_file_path"] for node in models.values()}
    parents = {node["name"]: [models[parent]["name"] for parent in manifest["parent_map"].get(uid, [])
                              if parent in models]
               for uid, node in models.items()}
    return paths, parents


def machine_facts() -> dict:
    """Cores, memory, CPU, versions: what the figures were measured on."""
    memory = cpu = None
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    return {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "memory_bytes": memory,
            "cpu": cpu, "platform": platform.platform(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "load_average_at_start": list(os.getloadavg())}


def _say(message: str) -> None:
    print(message, flush=True)


def _clear(folder: ScaleFolder) -> None:
    for path in folder.scratch():
        shutil.rmtree(path, ignore_errors=True)


def _checked_scales(scales: list[str]) -> tuple[list[str], Path]:
    """The scales, known and smallest first, and the project folder (with its bin/dbt)."""
    from member_analytics.generator import SCALES

    unknown = [scale for scale in scales if scale not in SCALES]
    if unknown:
        raise SystemExit(f"unknown scale(s) {unknown}: choose from {', '.join(SCALE_ORDER)}")
    home = project_home()
    if not (home / "bin" / "dbt").exists():
        raise SystemExit(f"no bin/dbt under {home}: set MEMBER_ANALYTICS_HOME to the project folder")
    return sorted(dict.fromkeys(scales), key=SCALE_ORDER.index), home
