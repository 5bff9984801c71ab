"""Infrastructure shared by every Antre process. Domain rules never live here."""
