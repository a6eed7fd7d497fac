"""Web Push (RFC 8030) for citizens who opted in: VAPID keys (RFC 8292), payload
encryption (RFC 8291, aes128gcm), subscriptions per booking, and the outbox channel."""
