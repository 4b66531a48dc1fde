"""The offline sandbox provider: deterministic, realistic data with no network and no credentials."""

from fin_infra.providers.banking.sandbox.provider import DEMO_ACCESS_TOKEN, SandboxProvider

__all__ = ["DEMO_ACCESS_TOKEN", "SandboxProvider"]
