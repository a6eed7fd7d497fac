"""What citizens are told about their booking, and how it reaches them.

- `events`: the single place where a booking change fans out to channels (outbox rows).
- `facts`: the booking as a message states it (French dates, place, links).
- `email`: the French e-mail (text, HTML, iTIP calendar) as a MIME message.
- `sms`: the short text (GSM-7-safe, one SMS where possible) and its providers.
- `delivery`: the outbox channels "email" and "sms" (SMTP, providers, dev mailbox).
- `mailbox`: the development mailbox (.eml and SMS files in the data folder).
- `reminders`: the day-before reminders.
"""
