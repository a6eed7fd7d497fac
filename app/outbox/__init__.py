"""The durable outbox: messages written in the transaction of the change that caused them,
delivered afterwards by a worker through pluggable channels.

- `store`: enqueue in the caller's session; claim with a lease; record the outcome.
- `channels`: the registry channel name → async deliver function, and its errors.
- `worker`: the loop (retries with exponential backoff, periodic jobs such as reminders).
"""
