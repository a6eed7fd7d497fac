"""What staff read out of the bookings: the CSV export and the statistics."""
