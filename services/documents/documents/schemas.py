"""What crosses documents's boundary, validated on the way in (it has more callers than the gateway)."""
