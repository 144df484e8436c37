"""Sample-data generator for member_analytics.

Writes the raw-data contract (docs/raw_data_contract.md) for a group of
Taobao/Tmall-style shops, with seasonality (6.18, 11.11), loyal and one-time
buyers, refunds, service and points events, a little dirt of every class the
contract rejects, and ground_truth.json describing what the marts must find.

    from member_analytics.generator import generate, SCALES
    truth = generate(out_dir, scale="small", seed=42, file_format="parquet",
                     as_of_date="2026-11-18")
"""
from .core import generate
from .scales import SCALES

__all__ = ["generate", "SCALES"]
