"""Countries: time zones, locale and the scheduling rules each country books under."""
