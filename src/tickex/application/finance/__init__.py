"""Finance: the money view. Ledger postings for every money-relevant change, the balances
read back from them, payouts to organizers and the organizer's live metrics."""
