"""Provider clients, each behind the `BankingProvider` interface in `fin_infra.providers.base`."""
