"""Banking provider clients: the offline sandbox, Teller, Plaid."""
