"""Protection of the public flow against bots: requests counted per client address, and
the slots one address may hold (docs/DECISIONS.md §98)."""
